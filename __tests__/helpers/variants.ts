// Configurations of the example app for the Terraform tier (stacks.test.ts, toolchain.test.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App } from "cdktf";
import { buildExampleApp } from "../../stacks/app";
import { loadConfig } from "../../stacks/config";

/** Configurations of the example app that between them use every construct feature. */
export const VARIANTS: Record<string, Record<string, string>> = {
  defaults: {},
  "spot, subnet, existing bucket, S8, token, endpoint options": {
    NEURONX_MODEL_ID: "meta-llama/Meta-Llama-3-8B-Instruct",
    NEURONX_QUANT_DTYPE: "s8",
    NEURONX_OPT_LEVEL: "3",
    NEURONX_SPOT: "true",
    NEURONX_BUCKET: "my-model-artifacts",
    NEURONX_SUBNET_ID: "subnet-0123456789abcdef0",
    NEURONX_AMI_ID: "ami-0123456789abcdef0",
    NEURONX_HF_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf",
    NEURONX_HF_TOKEN_KMS_KEY_ARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    NEURONX_ENDPOINT_NAME: "llama3-chat",
    NEURONX_INSTANCE_COUNT: "2",
  },
  "S3 backend": { NEURONX_BACKEND: "s3", NEURONX_STATE_BUCKET: "team-terraform-state" },
  // The waiter for Terraform Cloud's hosted runners (no AWS CLI): CompileWaiter.cloudFormation().
  "Terraform Cloud backend": { NEURONX_BACKEND: "cloud", NEURONX_TFC_ORGANIZATION: "acme", NEURONX_WAITER: "cloudformation" },
  "one stack, pointed at an emulator (the rehearsal's)": {
    NEURONX_STACK_LAYOUT: "one-stack",
    NEURONX_AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
    NEURONX_BUCKET_FORCE_DESTROY: "true",
    NEURONX_POLL_SECONDS: "5",
  },
};

/** Synthesizes the example app with a configuration into a new directory, and returns it. */
export function synthesize(env: Record<string, string>): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-tf-"));
  const app = new App({ outdir });
  buildExampleApp(app, loadConfig(app, env));
  app.synth();
  return outdir;
}

// The Terraform tier for the optimum-neuron backend: a stack with OptimumNeuronCompile on its inf2 and its CPU host
// and the endpoint through terraform init and validate, and checkov.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Model } from "../../lib/model";
import { OptimumNeuronCompile } from "../../lib/optimum-neuron-compile";
import { OptimumNeuronModelData, OptimumNeuronSageMakerRealtimeInferenceEndpoint } from "../../lib/optimum-neuron-endpoint";
import { checkovVerdict } from "../helpers/checkov-verdict";
import { terraform } from "../helpers/terraform";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "optimum-neuron-"));
const app = new App({ outdir });
const stack = new TerraformStack(app, "optimum-neuron");
new AwsProvider(stack, "aws", { region: "us-east-1" });
new NullProvider(stack, "null");
const compile = new OptimumNeuronCompile(stack, "Compile", {
  model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct"),
  spot: true,
});
new OptimumNeuronSageMakerRealtimeInferenceEndpoint(stack, "Chat", {
  modelData: OptimumNeuronModelData.fromCompile(compile),
  autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 20 },
});
new OptimumNeuronCompile(stack, "CpuCompile", {
  model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-70B-Instruct"),
  compileHost: "cpu",
  privateCacheRepo: "my-org/neuron-cache",
});
app.synth();
const dir = path.join(outdir, "stacks", "optimum-neuron");

describe("a stack with OptimumNeuronCompile (inf2 and CPU hosts) and its endpoint", () => {
  test("passes terraform init and validate", () => {
    const init = terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    expect(init.out).toContain("Terraform has been successfully initialized");
    const validate = JSON.parse(terraform(dir, ["validate", "-json", "-no-color"]).out);
    expect(validate.diagnostics).toEqual([]);
    expect(validate.valid).toBe(true);
  });

  test("passes checkov, each failed check justified on its resource and no reason stale", () => {
    expect(checkovVerdict(dir)).toEqual({ unjustified: [], stale: [] });
  });
});

import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Model, ModelArchitecture, Parameters } from "../lib/model";
import { PRICE_TABLE, estimateCompileCost } from "../lib/cost";
import { CompileWaiter } from "../lib/compile-waiter";
import { NEURONX_COMPILE_DEFAULTS, NeuronxCompile } from "../lib/neuronx-compile";
import { useBackend } from "./backend";
import { ExampleConfig } from "./config";
import { exampleAwsProvider } from "./provider";

/** Adds the configured NeuronxCompile and its outputs to a stack. */
export function addCompile(stack: TerraformStack, config: ExampleConfig): NeuronxCompile {
  const compile = new NeuronxCompile(stack, "Compile", {
    model: Model.fromHuggingFace(config.modelId, {
      revision: config.revision,
      parameters: config.parametersBillion === undefined ? undefined : Parameters.billion(config.parametersBillion),
      // Model.fromHuggingFace checks it against the served families and names NEURONX_ARCHITECTURE's value.
      architecture: config.architecture as ModelArchitecture | undefined,
    }),
    compileOptions: config.compileOptions,
    spot: config.spot,
    bucket: config.bucket,
    subnetId: config.subnetId,
    instanceType: config.instanceType,
    servingInstanceType: config.servingInstanceType,
    amiId: config.amiId,
    huggingFaceTokenSecretArn: config.huggingFaceTokenSecretArn,
    huggingFaceTokenKmsKeyArn: config.huggingFaceTokenKmsKeyArn,
    deadlineMinutes: config.deadlineMinutes,
    pollIntervalSeconds: config.pollIntervalSeconds,
    abandonAfterMinutes: config.abandonAfterMinutes,
    bucketForceDestroy: config.bucketForceDestroy,
    waiter: config.waiter === "cloudformation" ? CompileWaiter.cloudFormation() : undefined,
  });
  const outputs: Record<string, [string | number, string]> = {
    compiled_artifact_s3_url: [compile.compiledArtifactS3Url, "S3 URL of the compiled artifacts (model/, compiled/, manifest.json)"],
    artifact_bucket: [compile.bucketName, "Bucket of the artifacts"],
    artifact_bucket_arn: [compile.bucketArn, "ARN of the bucket of the artifacts"],
    artifact_prefix: [compile.artifactPrefix, "Cache-key prefix of the artifacts in the bucket"],
    compile_instance_type: [compile.compileInstanceType, "EC2 instance type that compiles the model"],
    serving_instance_type: [compile.servingInstanceType, "Instance type the model is compiled to be served on (EC2 name)"],
    tp_degree: [compile.tpDegree, "Tensor parallel degree the model is compiled for"],
    waiter_policy_json: [compile.waiterPolicyJson, "IAM policy the credentials of terraform apply need for the compile's waiter"],
  };
  // An estimate from lib/cost.ts's price table (its source and date are there), not a bill.
  const cost = estimateCompileCost({
    instanceType: compile.compileInstanceType,
    checkpointBytes: compile.sizing.checkpointBytes,
    deadlineMinutes: config.deadlineMinutes ?? NEURONX_COMPILE_DEFAULTS.deadlineMinutes,
  });
  const pricing = config.spot ? "spot, at most the on-demand price" : "on-demand";
  outputs.compile_expected_minutes_estimate = [
    cost.expectedMinutes,
    "Expected minutes of the compile instance (an assumption, not a measurement)",
  ];
  outputs.compile_cost_usd_estimate = [
    cost.expectedUsd,
    `Estimated USD of the compile: ${compile.compileInstanceType} (${pricing}, ${PRICE_TABLE.region} prices of ${PRICE_TABLE.date}) for the expected minutes`,
  ];
  outputs.compile_cost_usd_max_estimate = [
    cost.maxUsd,
    "Estimated USD of the compile if it runs to its deadline (the instance is terminated then)",
  ];
  addOutputs(stack, outputs);
  return compile;
}

/** Adds named outputs to a stack: name -> [value, description]. */
export function addOutputs(stack: TerraformStack, outputs: Record<string, [string | number, string]>): void {
  for (const [name, [value, description]] of Object.entries(outputs)) {
    new TerraformOutput(stack, name, { value, description });
  }
}

/** The compile stack: a NeuronxCompile of the configured model, and its outputs. */
export class CompileStack extends TerraformStack {
  /** The compile; the endpoint stack serves its artifacts. */
  public readonly compile: NeuronxCompile;

  constructor(scope: Construct, id: string, config: ExampleConfig) {
    super(scope, id);
    exampleAwsProvider(this, config);
    new NullProvider(this, "null");
    useBackend(this, config);
    this.compile = addCompile(this, config);
  }
}

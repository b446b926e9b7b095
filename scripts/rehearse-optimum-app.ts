// The rehearsal's optimum-neuron app (scripts/rehearse.py, group "optimum-neuron"; run as cdktf.json runs main.ts:
// `node scripts/run-app.js scripts/rehearse-optimum-app.ts`): one stack, "optimum", with an OptimumNeuronCompile of
// the configured model and the OptimumNeuronSageMakerRealtimeInferenceEndpoint that serves it
// (OptimumNeuronModelData.fromCompile), configured like the example app (stacks/config.ts: NEURONX_* variables or
// context) and pointed at the emulator by the same provider settings.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Model, Parameters } from "../lib/model";
import { OptimumNeuronCompile } from "../lib/optimum-neuron-compile";
import { OptimumNeuronModelData, OptimumNeuronSageMakerRealtimeInferenceEndpoint } from "../lib/optimum-neuron-endpoint";
import { useBackend } from "../stacks/backend";
import { loadConfig } from "../stacks/config";
import { exampleAwsProvider } from "../stacks/provider";

const app = new App();
const config = loadConfig(app);
const stack = new TerraformStack(app, "optimum");
exampleAwsProvider(stack, config);
new NullProvider(stack, "null");
useBackend(stack, config);
const compile = new OptimumNeuronCompile(stack, "Compile", {
  model: Model.fromHuggingFace(config.modelId, {
    revision: config.revision,
    parameters: config.parametersBillion === undefined ? undefined : Parameters.billion(config.parametersBillion),
  }),
  // The rehearsal's model holds 2048 positions (its max_position_embeddings).
  exportOptions: { batchSize: config.compileOptions.batchSize ?? 4, sequenceLength: config.compileOptions.nPositions ?? 2048 },
  bucket: config.bucket,
  amiId: config.amiId,
  deadlineMinutes: config.deadlineMinutes,
  pollIntervalSeconds: config.pollIntervalSeconds,
  bucketForceDestroy: config.bucketForceDestroy,
});
const endpoint = new OptimumNeuronSageMakerRealtimeInferenceEndpoint(stack, "Chat", {
  modelData: OptimumNeuronModelData.fromCompile(compile),
  endpointName: config.endpointName,
  // No alarms against an emulator (stacks/endpoint-stack.ts says why).
  monitoring: config.awsEndpointUrl === undefined,
});
const outputs: Record<string, string> = {
  artifact_bucket: compile.bucketName,
  artifact_prefix: compile.artifactPrefix,
  endpoint_name: endpoint.endpointName,
};
for (const [name, value] of Object.entries(outputs)) new TerraformOutput(stack, name, { value });
app.synth();

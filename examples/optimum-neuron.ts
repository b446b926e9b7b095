// main.ts of a CDKTF app: a chat model exported with optimum-neuron and served by the vLLM Neuron container.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import {
  Model,
  OptimumNeuronCompile,
  OptimumNeuronModelData,
  OptimumNeuronSageMakerRealtimeInferenceEndpoint,
  PortableLocalBackend,
} from "cdktf-neuronx-patterns";

class VllmChatStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new NullProvider(this, "null"); // the compile waiter is a null_resource
    new PortableLocalBackend(this);

    const compile = new OptimumNeuronCompile(this, "Compile", {
      model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
      // TinyLlama's max_position_embeddings is 2048; vLLM decodes up to 4 sequences at once.
      exportOptions: { sequenceLength: 2048, batchSize: 4 },
    });
    const endpoint = new OptimumNeuronSageMakerRealtimeInferenceEndpoint(this, "Chat", {
      modelData: OptimumNeuronModelData.fromCompile(compile),
      endpointName: "tinyllama-vllm",
    });
    new TerraformOutput(this, "endpoint_name", { value: endpoint.endpointName });
  }
}

const app = new App();
new VllmChatStack(app, "vllm-chat");
app.synth();

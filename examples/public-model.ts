// main.ts of a CDKTF app: a public chat model compiled for Inferentia2 and served on a SageMaker endpoint.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import {
  Model,
  NeuronxCompile,
  PortableLocalBackend,
  TransformersNeuronxSageMakerInferenceModelData,
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint,
} from "cdktf-neuronx-patterns";

class ChatStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new NullProvider(this, "null"); // the compile waiter is a null_resource
    new PortableLocalBackend(this); // terraform.chat.tfstate beside cdktf.json, by a relative path

    const compile = new NeuronxCompile(this, "Compile", {
      model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
      compileOptions: { nPositions: 2048 },
    });
    const endpoint = new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(this, "Chat", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
      endpointName: "tinyllama-chat",
    });
    new TerraformOutput(this, "endpoint_name", { value: endpoint.endpointName });
  }
}

const app = new App();
new ChatStack(app, "chat");
app.synth();

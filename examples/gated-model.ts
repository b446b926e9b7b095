// main.ts of a CDKTF app: a gated model (Llama 3), downloaded with a Hugging Face token kept in Secrets Manager.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsSecretsmanagerSecret } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import {
  Model,
  NeuronxCompile,
  OptLevel,
  PortableLocalBackend,
  QuantDtype,
  TransformersNeuronxSageMakerInferenceModelData,
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint,
} from "cdktf-neuronx-patterns";

class LlamaStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new NullProvider(this, "null");
    new PortableLocalBackend(this);

    // The secret holds the token as its secret string; only its ARN reaches Terraform. The compile
    // instance reads the value at run time: it is never in user data, state or logs.
    const token = new DataAwsSecretsmanagerSecret(this, "HuggingFaceToken", { name: "hugging-face-token" });
    const compile = new NeuronxCompile(this, "Compile", {
      model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct", { revision: "main" }),
      huggingFaceTokenSecretArn: token.arn,
      compileOptions: { nPositions: 4096, quantDtype: QuantDtype.S8, optLevel: OptLevel.MODEL_EXECUTION_PERFORMANCE },
      spot: true, // spot capacity first, on-demand when it is refused
    });
    const endpoint = new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(this, "Chat", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
      endpointName: "llama3-chat",
    });
    new TerraformOutput(this, "endpoint_name", { value: endpoint.endpointName });
  }
}

const app = new App();
new LlamaStack(app, "llama");
app.synth();

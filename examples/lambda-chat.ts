// main.ts of a CDKTF app: a small ONNX chat model served on Lambda's CPUs behind a function URL.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LambdaInferenceDependencies, LambdaInferenceFunction, LambdaInferenceModel, PortableLocalBackend } from "cdktf-neuronx-patterns";

class LambdaChatStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new PortableLocalBackend(this);

    const chat = new LambdaInferenceFunction(this, "Chat", {
      // model.onnx, config.json, tokenizer.json, tokenizer_config.json under the prefix (or fromLocalDirectory, fromEfs, fromContainerImage)
      model: LambdaInferenceModel.fromS3({ bucket: "my-models", prefix: "tiny-chat-onnx/", sizeMiB: 180 }),
      // scripts/build-lambda-layer.sh arm64 3.13 builds it; LambdaInferenceDependencies.fromLayerZip(file, bucket) publishes it for you
      dependencies: LambdaInferenceDependencies.fromLayerArn("arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:1", 144),
    });
    new TerraformOutput(this, "url", { value: chat.url }); // POST the chat request here, signed with SigV4
    new TerraformOutput(this, "invoke_policy", { value: chat.invokePolicyJson }); // for the callers' role
  }
}

const app = new App();
new LambdaChatStack(app, "lambda-chat");
app.synth();

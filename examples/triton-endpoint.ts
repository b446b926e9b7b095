// main.ts of a CDKTF app: a Neuron-traced encoder served by Triton on a SageMaker endpoint on Inferentia2.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  PortableLocalBackend,
  TritonCompiledModel,
  TritonImage,
  TritonNeuronModelRepository,
  TritonSageMakerRealtimeInferenceEndpoint,
} from "cdktf-neuronx-patterns";

class TritonStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new PortableLocalBackend(this);

    const repository = new TritonNeuronModelRepository(this, "Repository", {
      bucket: "my-models",
      instanceType: "ml.inf2.xlarge",
      neuronSdkVersion: "2.21.0", // the SDK the model was traced with: the endpoint refuses an image of another
      models: [
        {
          name: "bert",
          // traced with torch_neuronx.trace for batches of 4 and saved with torch.jit.save (or TritonCompiledModel.fromLocalFile)
          compiledModel: TritonCompiledModel.fromS3Object("my-models", "traced/bert-neuron.pt", 420),
          compiledBatchSize: 4,
          inputs: [
            { name: "INPUT__0", dataType: "TYPE_INT64", dims: [128] },
            { name: "INPUT__1", dataType: "TYPE_INT64", dims: [128] },
          ],
          outputs: [{ name: "OUTPUT__0", dataType: "TYPE_FP32", dims: [2] }],
          instanceCount: 2, // instances of KIND_MODEL, one NeuronCore each (neuronCoresPerInstance)
          dynamicBatching: { preferredBatchSizes: [4], maxQueueDelayMicroseconds: 100 },
        },
      ],
    });
    const endpoint = new TritonSageMakerRealtimeInferenceEndpoint(this, "Bert", {
      repository,
      // docker/triton-neuron/Dockerfile, built and pushed to your ECR
      image: TritonImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/tritonserver-neuronx:24.12", "2.21.0"),
      endpointName: "bert-triton",
    });
    new TerraformOutput(this, "endpoint_name", { value: endpoint.endpointName });
  }
}

const app = new App();
new TritonStack(app, "triton");
app.synth();

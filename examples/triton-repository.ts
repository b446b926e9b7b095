// main.ts of a CDKTF app: a Triton model repository for a Neuron-traced encoder, uploaded to S3 for a SageMaker model.
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PortableLocalBackend, TritonCompiledModel, TritonNeuronModelRepository } from "cdktf-neuronx-patterns";

class TritonStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    new PortableLocalBackend(this);

    const repository = new TritonNeuronModelRepository(this, "Repository", {
      bucket: "my-models",
      instanceType: "ml.inf2.xlarge",
      models: [
        {
          name: "bert",
          // traced with torch_neuronx.trace for batches of 4 and saved with torch.jit.save (or TritonCompiledModel.fromLocalFile)
          compiledModel: TritonCompiledModel.fromS3Object("my-models", "traced/bert-neuron.pt"),
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
    new TerraformOutput(this, "model_repository", { value: repository.s3Uri });
  }
}

const app = new App();
new TritonStack(app, "triton");
app.synth();

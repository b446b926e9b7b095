import { DLC_REGISTRY_ACCOUNTS, NEURONX_DLC, NeuronxContainerImage } from "../lib/container-images";
import { testStack } from "./helpers/synth";

describe("NeuronxContainerImage", () => {
  test("the default is the pinned PyTorch inference Neuron DLC", () => {
    expect(NeuronxContainerImage.pytorchInferenceNeuronx().neuronSdkVersion).toBe(NEURONX_DLC.neuronSdkVersion);
    expect(NEURONX_DLC.tag).toContain(`sdk${NEURONX_DLC.neuronSdkVersion}`);
  });

  test("the registry table covers the Inferentia2 regions", () => {
    for (const region of [
      "us-east-1",
      "us-east-2",
      "us-west-2",
      "eu-west-1",
      "eu-central-1",
      "ap-northeast-1",
      "ap-south-1",
      "sa-east-1",
    ]) {
      expect(DLC_REGISTRY_ACCOUNTS[region]).toMatch(/^\d{12}$/);
    }
  });

  test("fromEcrUri derives the repository ARN and registry", () => {
    const config = NeuronxContainerImage.fromEcrUri(
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b@sha256:" + "0".repeat(64),
      "2.20.2",
    ).bind(testStack());
    expect(config.registry).toBe("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
    expect(config.repositoryArn).toMatch(/:ecr:cn-north-1:123456789012:repository\/a\/b$/);
    expect(config.regionCheck).toBeUndefined();
  });

  test.each([
    [
      "public.ecr.aws/neuron/pytorch-inference-neuronx:2.1.2",
      /imageUri must be a private ECR image, .* because SageMaker pulls only from ECR.* got "public\.ecr\.aws/,
    ],
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com/repo", /imageUri must be a private ECR image/],
  ])("fromEcrUri throws for %s", (uri, message) => {
    expect(() => NeuronxContainerImage.fromEcrUri(uri, "2.21.0")).toThrow(message);
  });

  test.each(["latest", "1.19.0", "2"])("fromEcrUri throws for the SDK version %j", (sdk) => {
    expect(() => NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t", sdk)).toThrow(
      /neuronSdkVersion must be a Neuron SDK 2\.x release .* since 2\.18 .* got/,
    );
  });
});

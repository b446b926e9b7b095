import { DLC_REGISTRY_ACCOUNTS, NEURONX_DLC, NeuronxContainerImage, neuronSdkVersionProblem } from "../lib/container-images";
import { testStack } from "./helpers/synth";

describe("NeuronxContainerImage", () => {
  test("the default is the pinned PyTorch inference Neuron DLC", () => {
    expect(NeuronxContainerImage.pytorchInferenceNeuronx().neuronSdkVersion).toBe(NEURONX_DLC.neuronSdkVersion);
    expect(NEURONX_DLC.tag).toContain(`sdk${NEURONX_DLC.neuronSdkVersion}`);
  });

  test("the default is a listed tag that still carries transformers-neuronx and the 2.0.x toolkit", () => {
    expect(NEURONX_DLC.tag).toBe("2.7.0-neuronx-py310-sdk2.25.0-ubuntu22.04");
    expect(NEURONX_DLC.transformersNeuronxVersion).toMatch(/^0\.13\./);
    expect(NEURONX_DLC.sagemakerPytorchInferenceVersion).toMatch(/^2\.0\./);
    expect(neuronSdkVersionProblem(NEURONX_DLC.neuronSdkVersion)).toBeUndefined();
  });

  test("the region table is the Neuron column of the DLC region table", () => {
    expect(Object.keys(DLC_REGISTRY_ACCOUNTS).sort()).toEqual([
      "ap-east-2",
      "ap-northeast-1",
      "ap-south-1",
      "ap-southeast-1",
      "ap-southeast-2",
      "eu-central-1",
      "eu-west-1",
      "eu-west-3",
      "sa-east-1",
      "us-east-1",
      "us-east-2",
      "us-west-2",
    ]);
    for (const account of Object.values(DLC_REGISTRY_ACCOUNTS)) expect(account).toMatch(/^\d{12}$/);
  });

  test.each(["us-west-1", "eu-west-2", "eu-north-1", "ca-central-1", "cn-north-1", "cn-northwest-1", "me-west-1", "us-gov-west-1"])(
    "%s, with a DLC registry but no Neuron image (or in no table), is not in it",
    (region) => {
      expect(DLC_REGISTRY_ACCOUNTS[region]).toBeUndefined();
    },
  );

  test("a region without the Neuron image fails the plan with a precondition that says so", () => {
    const check = NeuronxContainerImage.pytorchInferenceNeuronx().bind(testStack()).regionCheck;
    expect(check?.errorMessage).toMatch(/The PyTorch inference Neuron DLC is not published in this region/);
    // The condition itself (contains(keys(local.neuronx_dlc_registry_accounts), region)) is checked in the synthesized
    // waiter by neuronx-compile.test.ts, and planned by the Terraform tier.
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

  test.each(["2.18.0", "2.21.0", "2.25.0", "2.25"])("fromEcrUri accepts the SDK version %j, which carries transformers-neuronx", (sdk) => {
    expect(NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t", sdk).neuronSdkVersion).toBe(sdk);
  });

  test.each(["2.26.0", "2.26.1", "2.28.0", "2.30"])(
    "fromEcrUri throws for the SDK version %j, which has no transformers-neuronx",
    (sdk) => {
      expect(() => NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t", sdk)).toThrow(
        /neuronSdkVersion must be at most 2\.25: the Neuron DLCs carry transformers-neuronx only up to SDK 2\.25, .* fails at "import transformers_neuronx" .* or the optimum-neuron backend for newer SDKs/,
      );
    },
  );

  test.each(["latest", "1.19.0", "2"])("fromEcrUri throws for the SDK version %j", (sdk) => {
    expect(() => NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t", sdk)).toThrow(
      /neuronSdkVersion must be a Neuron SDK 2\.x release .* since 2\.18 .* got/,
    );
  });
});

import * as fs from "fs";
import * as path from "path";
import { ValidationError } from "../lib/errors";
import { LAMBDA_INFERENCE_CODE } from "../lib/lambda-inference";
import { LAMBDA_INFERENCE_MODEL } from "../lib/lambda-inference-model";
import { TRITON_NEURON_DOCKERFILE, TRITON_NEURON_DOCKERFILE_SDK, TritonImage } from "../lib/triton-image";
import { synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

// The Dockerfiles cannot be built here (no Docker engine); these tests keep them in step with the constructs.
const ROOT = path.join(__dirname, "..");
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

describe("docker/triton-neuron/Dockerfile", () => {
  const dockerfile = read(TRITON_NEURON_DOCKERFILE);

  test("pins the Triton base and every Neuron package, and says which SDK they are", () => {
    expect(dockerfile).toMatch(/^ARG TRITON_VERSION=\d+\.\d+$/m);
    expect(dockerfile).toMatch(/^FROM nvcr\.io\/nvidia\/tritonserver:\$\{TRITON_VERSION\}-py3$/m);
    for (const arg of [
      "NEURONX_RUNTIME_LIB_VERSION",
      "NEURONX_COLLECTIVES_LIB_VERSION",
      "NEURONX_TOOLS_VERSION",
      "NEURONX_CC_VERSION",
      "TORCH_NEURONX_VERSION",
    ]) {
      expect(dockerfile).toMatch(new RegExp(`^ARG ${arg}=[0-9][0-9a-f.-]+$`, "m"));
    }
    expect(dockerfile).toContain(`LABEL neuron.sdk.version="${TRITON_NEURON_DOCKERFILE_SDK}"`);
    expect(dockerfile).toContain(`TritonImage.fromEcrUri(<this image in your ECR>, "${TRITON_NEURON_DOCKERFILE_SDK}")`);
    expect(dockerfile).not.toMatch(/:latest|pip install(?!.*==)[^\\]*torch-neuronx\s*$/m);
  });
});

describe("docker/lambda-inference/Dockerfile", () => {
  const dockerfile = read("docker/lambda-inference/Dockerfile");

  test("ships the packages of the .zip function and runs the same handler", () => {
    for (const p of LAMBDA_INFERENCE_CODE.packages) {
      expect(dockerfile).toContain(`COPY ${path.relative(ROOT, p.dir)} \${LAMBDA_TASK_ROOT}/${p.name}`);
    }
    expect(dockerfile).toContain(`CMD ["${LAMBDA_INFERENCE_CODE.handler}"]`);
    expect(dockerfile).toContain("COPY python/lambda_inference/requirements.txt");
  });

  test("tells the function where the model is, as the construct does", () => {
    expect(dockerfile).toContain(`ENV ${LAMBDA_INFERENCE_MODEL.env.source}=image`);
    expect(dockerfile).toContain(`ENV ${LAMBDA_INFERENCE_MODEL.env.directory}=${LAMBDA_INFERENCE_MODEL.imageModelDir}`);
  });
});

describe("TritonImage.fromEcrUri", () => {
  test("resolves the repository for least-privilege pulls", () => {
    let config: any;
    synth((stack) => {
      config = TritonImage.fromEcrUri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/triton-neuron:24.12-sdk2.21.0", "2.21.0").bind(stack);
    });
    expect(config.repositoryArn).toMatch(/^arn:.+:ecr:eu-west-1:123456789012:repository\/triton-neuron$/);
    expect(config.registry).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  });

  test("throws for an image outside ECR and an SDK that is not 2.x, naming the Dockerfile", () => {
    const error = thrown(() => TritonImage.fromEcrUri("nvcr.io/nvidia/tritonserver:24.12-py3", "latest"));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      'imageUri must be a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>, because SageMaker and Lambda pull images only from ECR; 255 characters at most, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron/serving:2.21.0"; got "nvcr.io/nvidia/tritonserver:24.12-py3", which does not have that form',
      expect.stringMatching(
        /^neuronSdkVersion must be a Neuron SDK 2.x release such as "2.21.0".* got "latest", which does not have that form$/,
      ),
    ]);
  });
});

import { Construct } from "constructs";
import { ContainerImageConfig } from "./container-images";
import { Problems } from "./errors";
import { PATTERNS } from "./patterns";
import { currentPartition } from "./private/stack-singletons";

/** The Dockerfile that builds a Triton image with the Neuron runtime (docker/triton-neuron/Dockerfile). */
export const TRITON_NEURON_DOCKERFILE = "docker/triton-neuron/Dockerfile";

/**
 * The Neuron SDK that Dockerfile installs (its `neuron.sdk.version` label; a test checks). Triton's
 * models are traced with torch-neuronx on their own, so this need not be the compile image's SDK,
 * but a model must be traced with the SDK of the image that serves it.
 */
export const TRITON_NEURON_DOCKERFILE_SDK = "2.21.0";

/**
 * The image of a Triton endpoint on Inferentia2. AWS publishes no Triton image with the Neuron
 * runtime, so it is yours: build docker/triton-neuron/Dockerfile (Triton's NGC image plus the Neuron
 * runtime and torch-neuronx) and push it to ECR, which is where SageMaker pulls from.
 */
export abstract class TritonImage {
  /**
   * An image in a private ECR repository.
   * @param imageUri `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:<digest>`)
   * @param neuronSdkVersion the Neuron SDK release inside it, e.g. `2.21.0`: models must be compiled with the same one
   */
  public static fromEcrUri(imageUri: string, neuronSdkVersion: string): TritonImage {
    const problems = new Problems();
    const parts = PATTERNS.ecrImageUri.exec(imageUri);
    problems.when(
      !parts,
      () =>
        `imageUri must be a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>, because SageMaker pulls only from ECR; ` +
        `build ${TRITON_NEURON_DOCKERFILE} and push it there; got ${JSON.stringify(imageUri)}`,
    );
    problems.when(
      !/^2\.\d+(\.\d+)?$/.test(neuronSdkVersion),
      () => `neuronSdkVersion must be the Neuron SDK 2.x release in the image, such as "2.21.0", got ${JSON.stringify(neuronSdkVersion)}`,
    );
    problems.throwIfAny("TritonImage.fromEcrUri");
    const [, account, region, cn, repository] = parts as RegExpExecArray;
    return new (class extends TritonImage {
      public readonly neuronSdkVersion = neuronSdkVersion;
      public bind(scope: Construct): ContainerImageConfig {
        return {
          imageUri,
          repositoryArn: `arn:${currentPartition(scope).partition}:ecr:${region}:${account}:repository/${repository}`,
          registry: `${account}.dkr.ecr.${region}.amazonaws.com${cn ?? ""}`,
        };
      }
    })();
  }

  /** The Neuron SDK release of the image. */
  public abstract readonly neuronSdkVersion: string;

  /** Resolves the image for a stack. */
  public abstract bind(scope: Construct): ContainerImageConfig;
}

import { Construct } from "constructs";
import { ContainerImageConfig } from "./container-images";
import { PATTERNS, RULES } from "./patterns";
import { currentPartition } from "./private/stack-singletons";
import { Validator } from "./private/validation";

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
    // SageMaker pulls only from ECR: build TRITON_NEURON_DOCKERFILE and push it there.
    const v = new Validator();
    const uriOk = v.string("imageUri", imageUri, RULES.ecrImageUri, {
      optional: false,
      refuseReference: "its account, region and repository name the endpoint role's pull permission",
    });
    v.string("neuronSdkVersion", neuronSdkVersion, RULES.neuronSdkVersion, {
      optional: false,
      refuseReference: "models must be compiled with the image's SDK, which the endpoint checks at synth",
    });
    v.problems.throwIfAny("TritonImage.fromEcrUri");
    const parts = uriOk ? PATTERNS.ecrImageUri.exec(imageUri) : null;
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

import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { currentPartition, currentRegion, stackSingleton } from "./private/stack-singletons";
import { PATTERNS, RULES } from "./patterns";
import { Validator } from "./private/validation";

/**
 * Accounts of the AWS Deep Learning Containers registries, by region.
 * Source: aws/deep-learning-containers, reference/region_availability.md, and the
 * SageMaker Python SDK's image_uri_config for the GovCloud regions.
 */
export const DLC_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  "af-south-1": "626614931356",
  "ap-east-1": "871362719292",
  "ap-east-2": "975050140332",
  "ap-northeast-1": "763104351884",
  "ap-northeast-2": "763104351884",
  "ap-northeast-3": "364406365360",
  "ap-south-1": "763104351884",
  "ap-south-2": "772153158452",
  "ap-southeast-1": "763104351884",
  "ap-southeast-2": "763104351884",
  "ap-southeast-3": "907027046896",
  "ap-southeast-4": "457447274322",
  "ap-southeast-5": "550225433462",
  "ap-southeast-7": "590183813437",
  "ca-central-1": "763104351884",
  "ca-west-1": "204538143572",
  "cn-north-1": "727897471807",
  "cn-northwest-1": "727897471807",
  "eu-central-1": "763104351884",
  "eu-central-2": "380420809688",
  "eu-north-1": "763104351884",
  "eu-south-1": "692866216735",
  "eu-south-2": "503227376785",
  "eu-west-1": "763104351884",
  "eu-west-2": "763104351884",
  "eu-west-3": "763104351884",
  "il-central-1": "780543022126",
  "me-central-1": "914824155844",
  "me-south-1": "217643126080",
  "me-west-1": "124382933778",
  "mx-central-1": "637423239942",
  "sa-east-1": "763104351884",
  "us-east-1": "763104351884",
  "us-east-2": "763104351884",
  "us-gov-east-1": "446045086412",
  "us-gov-west-1": "442386744353",
  "us-west-1": "763104351884",
  "us-west-2": "763104351884",
};

/**
 * The pinned PyTorch inference Neuron DLC. transformers-neuronx ended with the
 * Neuron 2.2x releases, so the image is pinned, never "latest": it compiles on
 * the instance and serves on SageMaker, so the NEFFs match the runtime.
 */
export const NEURONX_DLC = {
  repository: "pytorch-inference-neuronx",
  tag: "2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04",
  neuronSdkVersion: "2.21.0",
  transformersNeuronxVersion: "0.13.322",
} as const;

/** Where an image is and what it may be pulled with. */
export interface ContainerImageConfig {
  /** The image URI to pull. */
  readonly imageUri: string;
  /** The ECR repository ARN, for least-privilege pull rights. */
  readonly repositoryArn: string;
  /** The registry host, for `docker login`. */
  readonly registry: string;
  /** A condition that is true when the image is known for the stack's region, with its error message. */
  readonly regionCheck?: { readonly condition: unknown; readonly errorMessage: string };
}

/** The container image that compiles the model and serves it: one image, one Neuron SDK. */
export abstract class NeuronxContainerImage {
  /** The pinned PyTorch inference Neuron DLC of the stack's region (Neuron SDK {@link NEURONX_DLC}). */
  public static pytorchInferenceNeuronx(): NeuronxContainerImage {
    return new DlcImage();
  }

  /**
   * An image in a private ECR repository, e.g. a copy of the DLC or one you built from it.
   * @param imageUri `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:<digest>`)
   * @param neuronSdkVersion the Neuron SDK release inside it, e.g. `2.21.0`; part of the cache key
   */
  public static fromEcrUri(imageUri: string, neuronSdkVersion: string): NeuronxContainerImage {
    return new EcrImage(imageUri, neuronSdkVersion);
  }

  /** The Neuron SDK release of the image; part of the cache key. */
  public abstract readonly neuronSdkVersion: string;

  /** Resolves the image for a stack. */
  public abstract bind(scope: Construct): ContainerImageConfig;
}

class DlcImage extends NeuronxContainerImage {
  public readonly neuronSdkVersion = NEURONX_DLC.neuronSdkVersion;

  public bind(scope: Construct): ContainerImageConfig {
    const accounts = stackSingleton(scope, "neuronx_dlc_registry_accounts", (stack) => {
      const local = new TerraformLocal(stack, "neuronx_dlc_registry_accounts", DLC_REGISTRY_ACCOUNTS);
      local.overrideLogicalId("neuronx_dlc_registry_accounts");
      return local;
    });
    const region = currentRegion(scope).region;
    const partition = currentPartition(scope);
    // Unknown regions read as a placeholder here and fail the plan in the waiter's precondition.
    const account = Fn.lookup(accounts.expression, region, "unsupported-region");
    const registry = `${account}.dkr.ecr.${region}.${partition.dnsSuffix}`;
    return {
      imageUri: `${registry}/${NEURONX_DLC.repository}:${NEURONX_DLC.tag}`,
      repositoryArn: `arn:${partition.partition}:ecr:${region}:${account}:repository/${NEURONX_DLC.repository}`,
      registry,
      regionCheck: {
        condition: Fn.contains(Fn.keys(accounts.expression), region),
        errorMessage:
          "The AWS Deep Learning Containers registry is not known for this region. Use a region from local.neuronx_dlc_registry_accounts, or set containerImage to NeuronxContainerImage.fromEcrUri(...) with a copy of the image in your own ECR repository.",
      },
    };
  }
}

const ECR_URI = PATTERNS.ecrImageUri;
/** Neuron 2.18 (transformers-neuronx 0.10) is the first that loads Hub checkpoints without a split copy. */
const MIN_SDK_MINOR = 18;

class EcrImage extends NeuronxContainerImage {
  private readonly parts: RegExpExecArray;

  constructor(
    private readonly imageUri: string,
    public readonly neuronSdkVersion: string,
  ) {
    super();
    // The URI reaches the user data, the IAM policy (its repository ARN) and SageMaker: a literal, checked whole.
    const v = new Validator();
    const why = "it names the repository the roles may pull from and the cache key";
    v.string("imageUri", imageUri, RULES.ecrImageUri, { optional: false, refuseReference: why });
    const sdkOk = v.string("neuronSdkVersion", neuronSdkVersion, RULES.neuronSdkVersion, { optional: false, refuseReference: why });
    if (sdkOk && Number(neuronSdkVersion.split(".")[1]) < MIN_SDK_MINOR) {
      v.problems.add(
        `neuronSdkVersion must be a Neuron SDK 2.x release such as "2.21.0", since 2.${MIN_SDK_MINOR} (transformers-neuronx reads ` +
          `Hugging Face checkpoints directly from then on), got ${JSON.stringify(neuronSdkVersion)}`,
      );
    }
    v.problems.throwIfAny("NeuronxContainerImage.fromEcrUri");
    this.parts = ECR_URI.exec(imageUri) as RegExpExecArray;
  }

  public bind(scope: Construct): ContainerImageConfig {
    const [, account, region, cn, repository] = this.parts;
    const partition = currentPartition(scope).partition;
    return {
      imageUri: this.imageUri,
      repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repository}`,
      registry: `${account}.dkr.ecr.${region}.amazonaws.com${cn ?? ""}`,
    };
  }
}

import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { currentPartition, currentRegion, stackSingleton } from "./private/stack-singletons";
import { PATTERNS, RULES } from "./patterns";
import { Validator } from "./private/validation";

/**
 * Accounts of the AWS Deep Learning Containers registries, by region, for the regions that carry the Neuron
 * images: the "Neuron Container: Available" rows of the region table in aws/deep-learning-containers
 * available_images.md (commit bbf69f1f93, 2026-02-06, the last version with the Neuron column before the file
 * moved to the documentation site). Regions with a DLC registry but no Neuron image (us-west-1, eu-west-2,
 * eu-north-1, ca-central-1, the China regions, ...) and regions in no table (GovCloud, me-west-1) are left out:
 * use `NeuronxContainerImage.fromEcrUri` with a copy of the image there.
 */
export const DLC_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  "ap-east-2": "975050140332",
  "ap-northeast-1": "763104351884",
  "ap-south-1": "763104351884",
  "ap-southeast-1": "763104351884",
  "ap-southeast-2": "763104351884",
  "eu-central-1": "763104351884",
  "eu-west-1": "763104351884",
  "eu-west-3": "763104351884",
  "sa-east-1": "763104351884",
  "us-east-1": "763104351884",
  "us-east-2": "763104351884",
  "us-west-2": "763104351884",
};

/**
 * The pinned PyTorch inference Neuron DLC: the last release that carries transformers-neuronx, still listed in
 * aws/deep-learning-containers docs/src/data/pytorch-inference-neuronx/2.7-neuronx-sdk2.25.0.yml (2026-08).
 * What it carries, from its Dockerfile (aws-neuron/deep-learning-containers, tag 2.25.0,
 * docker/pytorch/inference/2.7.0/Dockerfile.neuronx): torch-neuronx 2.7.0.2.9.9357, transformers-neuronx
 * 0.13.1216, neuronx-cc 2.20.9961.0, transformers 4.48, Python 3.10, TorchServe 0.11.0 and the SageMaker PyTorch
 * inference toolkit (sagemaker-pytorch-inference) 2.0.25. The 2.21.0 tag pinned before (toolkit 2.0.21) is no
 * longer listed; 2.0.21 to 2.0.25 changed error logging and TorchServe's token authorization only. It compiles on
 * the instance and serves on SageMaker, so the NEFFs match the runtime; never "latest".
 */
export const NEURONX_DLC = {
  repository: "pytorch-inference-neuronx",
  tag: "2.7.0-neuronx-py310-sdk2.25.0-ubuntu22.04",
  neuronSdkVersion: "2.25.0",
  transformersNeuronxVersion: "0.13.1216",
  torchNeuronxVersion: "2.7.0.2.9.9357",
  sagemakerPytorchInferenceVersion: "2.0.25",
  torchServeVersion: "0.11.0",
} as const;

/**
 * Neuron SDK releases whose PyTorch inference DLC carries transformers-neuronx and reads Hugging Face checkpoints
 * directly: from 2.18 (transformers-neuronx 0.10, no split checkpoint) to 2.25 (0.13.1216; the 2.26 Dockerfiles
 * install no transformers-neuronx, aws-neuron/deep-learning-containers tag 2.26.0).
 */
export const TRANSFORMERS_NEURONX_SDK_RANGE = { minMinor: 18, maxMinor: 25 } as const;

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
   * @param neuronSdkVersion the Neuron SDK release inside it, 2.18 to 2.25 (the releases with transformers-neuronx), e.g. `2.25.0`; part of the cache key
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
    return bindDlcImage(scope, NEURONX_DLC, {
      name: "The PyTorch inference Neuron DLC",
      fix: "set containerImage to NeuronxContainerImage.fromEcrUri(...)",
    });
  }
}

/**
 * A Deep Learning Container of the stack's region, from the DLC registry accounts ({@link DLC_REGISTRY_ACCOUNTS}, one
 * local a stack): its URI, repository ARN and registry, and a plan-time check that the region carries it.
 * @param what the image's name and the prop that replaces it, for the check's message
 */
export function bindDlcImage(
  scope: Construct,
  image: { readonly repository: string; readonly tag: string },
  what: { readonly name: string; readonly fix: string },
): ContainerImageConfig {
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
    imageUri: `${registry}/${image.repository}:${image.tag}`,
    repositoryArn: `arn:${partition.partition}:ecr:${region}:${account}:repository/${image.repository}`,
    registry,
    regionCheck: {
      condition: Fn.contains(Fn.keys(accounts.expression), region),
      errorMessage: `${what.name} is not published in this region (local.neuronx_dlc_registry_accounts lists the regions that carry it). Use one of those regions, or ${what.fix} with a copy of the image in your own ECR repository.`,
    },
  };
}

/** The parts of a private ECR image URI (checked against RULES.ecrImageUri first) as the roles and `docker login` need them. */
export function ecrImageConfig(scope: Construct, imageUri: string): ContainerImageConfig {
  const [, account, region, cn, repository] = ECR_URI.exec(imageUri) as RegExpExecArray;
  const partition = currentPartition(scope).partition;
  return {
    imageUri,
    repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repository}`,
    registry: `${account}.dkr.ecr.${region}.amazonaws.com${cn ?? ""}`,
  };
}

const ECR_URI = PATTERNS.ecrImageUri;
const SDK_VERSION = /^2\.\d+(\.\d+)?$/;

/** Why an SDK version cannot compile and serve with transformers-neuronx, or undefined when it can. */
export function neuronSdkVersionProblem(neuronSdkVersion: string): string | undefined {
  const { minMinor, maxMinor } = TRANSFORMERS_NEURONX_SDK_RANGE;
  const minor = SDK_VERSION.test(neuronSdkVersion) ? Number(neuronSdkVersion.split(".")[1]) : -1;
  if (minor < minMinor) {
    return (
      `neuronSdkVersion must be a Neuron SDK 2.x release such as "${NEURONX_DLC.neuronSdkVersion}", since 2.${minMinor} ` +
      `(transformers-neuronx reads Hugging Face checkpoints directly from then on), got ${JSON.stringify(neuronSdkVersion)}`
    );
  }
  if (minor > maxMinor) {
    return (
      `neuronSdkVersion must be at most 2.${maxMinor}: the Neuron DLCs carry transformers-neuronx only up to SDK 2.${maxMinor}, ` +
      `so an image of ${neuronSdkVersion} fails at "import transformers_neuronx" on the instance, got ${JSON.stringify(neuronSdkVersion)}; ` +
      `use an image of 2.${minMinor} to 2.${maxMinor} (the default is ${NEURONX_DLC.neuronSdkVersion}), or the optimum-neuron backend for newer SDKs (a separate issue)`
    );
  }
  return undefined;
}

class EcrImage extends NeuronxContainerImage {
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
    const sdkProblem = sdkOk ? neuronSdkVersionProblem(neuronSdkVersion) : undefined;
    if (sdkProblem) v.problems.add(sdkProblem);
    v.problems.throwIfAny("NeuronxContainerImage.fromEcrUri");
  }

  public bind(scope: Construct): ContainerImageConfig {
    return ecrImageConfig(scope, this.imageUri);
  }
}

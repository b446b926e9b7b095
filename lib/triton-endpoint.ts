import { Token } from "cdktf";
import { Construct } from "constructs";
import { INF2_INSTANCE_TYPES, findInf2InstanceType } from "./neuron-spec";
import { Validator, show } from "./private/validation";
import {
  SageMakerEndpointCommonProps,
  SageMakerEndpointRecipe,
  SageMakerEndpointRecipeConfig,
  SageMakerInferenceEndpointBase,
  scaledDefaults,
} from "./sagemaker-endpoint-core";
import { TRITON_NEURON_DOCKERFILE, TritonImage } from "./triton-image";
import { TritonNeuronModelRepository } from "./triton-model-repository";

const MiB = 2 ** 20;

/**
 * The variables SageMaker's Triton serve script reads (triton-inference-server/server at 12cd9a4,
 * docker/sagemaker/serve): the model to load (`--load-model`), the Python backend's shared memory
 * (`--backend-config=python,shm-default-byte-size` and `shm-growth-byte-size`, 16 MiB and 1 MiB when
 * unset) and the log level (verbose when unset).
 */
export const TRITON_SERVING_ENV = {
  defaultModelName: "SAGEMAKER_TRITON_DEFAULT_MODEL_NAME",
  shmDefaultByteSize: "SAGEMAKER_TRITON_SHM_DEFAULT_BYTE_SIZE",
  shmGrowthByteSize: "SAGEMAKER_TRITON_SHM_GROWTH_BYTE_SIZE",
  logVerbose: "SAGEMAKER_TRITON_LOG_VERBOSE",
} as const;

/** Why an Inf1 type cannot serve the repository (the construct's and the HCL module's message). */
export const TRITON_INF1_REFUSAL = "the Neuron SDK no longer supports Inf1, and models traced with torch-neuronx run on Inf2";

/** The serve script's own shared-memory defaults, the least the endpoint sets. */
export const TRITON_SHM_DEFAULTS = { defaultBytes: 16 * MiB, growthBytes: 1 * MiB } as const;

/**
 * Variables the `environment` prop may not set besides {@link TRITON_SERVING_ENV}, and why: each would
 * break what the repository's model.py or the single-model layout relies on.
 */
export const TRITON_RESERVED_ENVIRONMENT: Readonly<Record<string, string>> = {
  NEURON_RT_VISIBLE_CORES:
    "model.py pins each Triton instance to its own NeuronCores before the Neuron runtime starts; a value for the whole container would put every instance on the same cores",
  NEURON_RT_NUM_CORES:
    "model.py pins each Triton instance to its own NeuronCores (NEURON_RT_VISIBLE_CORES); a core count for the whole container would override that",
  SAGEMAKER_MULTI_MODEL:
    "the endpoint serves one model repository (SageMaker's Triton serve script loads one model or one ensemble in single-model mode); multi-model endpoints are not offered",
};

/** Shared memory for the Python backend: twice the largest batch of a model's inputs or outputs, at least the serve script's default. */
export function tritonSharedMemory(largestBatchBytes: number): { defaultBytes: number; growthBytes: number } {
  const ceilMiB = (bytes: number) => Math.ceil(bytes / MiB) * MiB;
  return {
    defaultBytes: Math.max(TRITON_SHM_DEFAULTS.defaultBytes, ceilMiB(2 * largestBatchBytes)),
    growthBytes: Math.max(TRITON_SHM_DEFAULTS.growthBytes, ceilMiB(largestBatchBytes)),
  };
}

/** Props of {@link TritonSageMakerRealtimeInferenceEndpoint}. */
export interface TritonSageMakerRealtimeInferenceEndpointProps extends SageMakerEndpointCommonProps {
  /** The model repository to serve: its prefix is the model's uncompressed S3Prefix. */
  readonly repository: TritonNeuronModelRepository;
  /**
   * The Triton image with the Neuron runtime, in your ECR: AWS publishes none, so build
   * docker/triton-neuron/Dockerfile and push it (`TritonImage.fromEcrUri(uri, neuronSdkVersion)`).
   */
  readonly image: TritonImage;
  /**
   * The SageMaker instance type; it needs at least the NeuronCores the repository's models use.
   * @default - `ml.` and the repository's instanceType
   */
  readonly instanceType?: string;
  /**
   * The ML storage volume in GiB.
   * @default - the compiled models' size plus 10 GiB, at least 30 (what the repository knows of their size)
   */
  readonly volumeSizeGiB?: number;
}

/**
 * A SageMaker real-time endpoint on Inferentia2 that serves a {@link TritonNeuronModelRepository} with
 * Triton's SageMaker entry point (`serve`): the repository's prefix is the model data, the image is
 * yours, and no code is uploaded (each model's model.py is in the repository). It loads the one model
 * or the ensemble (`SAGEMAKER_TRITON_DEFAULT_MODEL_NAME`) and sizes the Python backend's shared memory
 * from the models' largest batch. Everything else (role, endpoint configuration, autoscaling, data
 * capture, VPC, network isolation) is the endpoint core's, as for
 * TransformersNeuronxSageMakerRealtimeInferenceEndpoint.
 */
export class TritonSageMakerRealtimeInferenceEndpoint extends SageMakerInferenceEndpointBase {
  constructor(scope: Construct, id: string, props: TritonSageMakerRealtimeInferenceEndpointProps) {
    super(scope, id, props, new TritonRecipe(props));
  }
}

/** The Triton recipe: model data, image, environment and sizing from the repository. */
class TritonRecipe implements SageMakerEndpointRecipe {
  public readonly propsDescription = "the endpoint's props (an object with repository and image)";
  constructor(private readonly props: TritonSageMakerRealtimeInferenceEndpointProps) {}

  public bind(endpoint: Construct, v: Validator): SageMakerEndpointRecipeConfig {
    const props = this.props;
    if (!(props.repository instanceof TritonNeuronModelRepository)) {
      v.problems.add(`repository must be a TritonNeuronModelRepository, got ${show(props.repository)}`);
    }
    if (!(props.image instanceof TritonImage)) {
      v.problems.add(
        `image must be a TritonImage, got ${show(props.image)}; AWS publishes no Triton image with the Neuron runtime: build ` +
          `${TRITON_NEURON_DOCKERFILE}, push it to ECR and pass TritonImage.fromEcrUri(uri, neuronSdkVersion)`,
      );
    }
    v.problems.throwIfAny(endpoint.node.path);
    const repository = props.repository;
    const rendered = repository.rendered;
    const sizing = scaledDefaults(repository.compiledBytes);
    const shm = tritonSharedMemory(rendered.largestBatchBytes);
    const setBy = "the endpoint (from the repository)";
    return {
      modelData: {
        bucketName: repository.bucketName,
        bucketArn: repository.bucketArn,
        prefix: repository.keyPrefix,
        s3Uri: repository.s3Uri,
        dependsOn: repository.uploads,
        preconditions: repository.planChecks,
      },
      // No code: Triton's serve script is the entry point, and each model's model.py is in the repository.
      tags: { "neuronx:triton-model": repository.defaultModelName },
      defaults: {
        instanceType: repository.instanceType,
        volumeSizeGiB: sizing.volumeSizeGiB,
        modelDataDownloadTimeoutSeconds: sizing.downloadTimeout,
        containerStartupHealthCheckTimeoutSeconds: sizing.startupTimeout,
      },
      image: { prop: "image", image: props.image },
      reservedEnvironment: {
        problem: (key) =>
          Object.hasOwn(TRITON_RESERVED_ENVIRONMENT, key)
            ? `environment.${key} must not be set: ${TRITON_RESERVED_ENVIRONMENT[key]}`
            : undefined,
        setBy: Object.fromEntries(Object.values(TRITON_SERVING_ENV).map((key) => [key, setBy])),
      },
      checkInstanceType: (checks, instanceType) => checkInstanceType(checks, instanceType, rendered.neuronCoresUsed),
      checkProps: (checks) => {
        const image = props.image;
        const traced = repository.neuronSdkVersion;
        checks.problems.when(
          traced !== undefined && release(image.neuronSdkVersion) !== release(traced),
          () =>
            `image carries the Neuron SDK ${image.neuronSdkVersion}, but the repository's models were traced with ${traced} ` +
            `(its neuronSdkVersion); a Neuron model loads only in the runtime of the SDK that traced it, so serve with an image of ${traced} or trace again`,
        );
      },
      environment: () => ({
        [TRITON_SERVING_ENV.defaultModelName]: repository.defaultModelName,
        [TRITON_SERVING_ENV.shmDefaultByteSize]: String(shm.defaultBytes),
        [TRITON_SERVING_ENV.shmGrowthByteSize]: String(shm.growthBytes),
        // serve logs verbosely unless told otherwise: every request would be in the endpoint's log.
        [TRITON_SERVING_ENV.logVerbose]: "false",
      }),
    };
  }
}

/** "2.21" and "2.21.0" name one release. */
const release = (version: string) => (/^\d+\.\d+$/.test(version) ? `${version}.0` : version);

/** An ml.inf2 type with the NeuronCores the repository's models use (cores 0 to used - 1). */
function checkInstanceType(v: Validator, instanceType: unknown, coresUsed: number): void {
  const allowed = INF2_INSTANCE_TYPES.map((t) => `ml.${t.name}`).join(", ");
  const type = typeof instanceType === "string" && instanceType.startsWith("ml.") ? findInf2InstanceType(instanceType.slice(3)) : undefined;
  if (!type) {
    const inf1 = typeof instanceType === "string" && /^(ml\.)?inf1\./.test(instanceType);
    v.problems.add(
      inf1
        ? `instanceType ${instanceType} is an Inf1 type: ${TRITON_INF1_REFUSAL}; use one of ${allowed}`
        : `instanceType must be one of ${allowed}, got ${
            typeof instanceType === "string" && Token.isUnresolved(instanceType)
              ? "a Terraform reference (it is checked against the repository's NeuronCores, so it must be known at synth time)"
              : show(instanceType)
          }`,
    );
    return;
  }
  v.problems.when(type.neuronCores < coresUsed, () => {
    const fitting = INF2_INSTANCE_TYPES.find((t) => t.neuronCores >= coresUsed);
    return (
      `instanceType ${instanceType} has ${type.neuronCores} NeuronCores, but the repository's model instances use ${coresUsed} ` +
      `(cores 0 to ${coresUsed - 1}); use ${fitting ? `ml.${fitting.name}` : "fewer instances"} or give the models fewer instances`
    );
  });
}

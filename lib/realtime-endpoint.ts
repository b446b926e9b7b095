import { Token } from "cdktf";
import { Construct } from "constructs";
import { SETTINGS_ENV } from "./compile-settings";
import { NeuronxContainerImage } from "./container-images";
import { ModelDataConfig, TransformersNeuronxSageMakerInferenceModelData } from "./model-data";
import { INF2_INSTANCE_TYPES, Inf2InstanceType, findInf2InstanceType, inf1Problem } from "./neuron-spec";
import { Validator, show } from "./private/validation";
import {
  SageMakerEndpointCommonProps,
  SageMakerEndpointContext,
  SageMakerEndpointRecipe,
  SageMakerEndpointRecipeConfig,
  SageMakerInferenceEndpointBase,
  sizedDefaults,
} from "./sagemaker-endpoint-core";
import { NEURON_INFERENCE_AMI_VERSIONS } from "./sagemaker-spec";

// The core's names, exported here too: this module exported them before the core existed.
export { ENDPOINT_SCALING, defaultEndpointName, scaledDefaults } from "./sagemaker-endpoint-core";
export type { AutoScalingOptions, DataCaptureOptions, EndpointVpcConfig } from "./sagemaker-endpoint-core";
export { NEURON_INFERENCE_AMI_VERSIONS, SAGEMAKER_LIMITS } from "./sagemaker-spec";

const GiB = 2 ** 30;

/** Defaults of the endpoint's serving settings. */
export const ENDPOINT_DEFAULTS = {
  /** The Neuron inference AMI of the production variant. */
  inferenceAmiVersion: NEURON_INFERENCE_AMI_VERSIONS[0],
  /**
   * The most new tokens a request may ask for. SageMaker ends an InvokeEndpoint call after 60 seconds
   * (the response must start within it), so a generation must fit in it: 512 tokens take about 25 s at
   * 20 tokens a second, a rate assumed here for a 7B to 8B model on two NeuronCores, not measured.
   */
  maxNewTokens: 512,
} as const;

/** Where the endpoint's inference code is, inside the model data SageMaker copies to /opt/ml/model. */
export const INFERENCE_CODE = {
  /** The toolkit puts `/opt/ml/model/code` on PYTHONPATH; each endpoint's code is in a folder of its own below it. */
  containerDir: "/opt/ml/model/code",
  /** Key prefix below the artifacts' prefix. */
  keyPrefix: "code/",
} as const;

/** Environment variables the endpoint sets from its props, which `environment` cannot override. */
export const SERVING_ENV = {
  maxNewTokens: "NEURONX_MAX_NEW_TOKENS",
  pythonPath: "PYTHONPATH",
} as const;
/**
 * The environment variables the construct sets, and the prop that sets each: `environment` may not
 * override them, since the container would then disagree with the artifacts or the endpoint.
 */
export const RESERVED_ENVIRONMENT: Readonly<Record<string, string>> = {
  SAGEMAKER_PROGRAM: "the construct (inference.py of the code directory, customCodeDir)",
  SAGEMAKER_SUBMIT_DIRECTORY: "the construct (the code is <prefix>code/<endpoint name>/, set by customCodeDir)",
  SAGEMAKER_CONTAINER_LOG_LEVEL: "the construct",
  SAGEMAKER_MODEL_SERVER_WORKERS: "the construct (one worker owns the NeuronCores)",
  SAGEMAKER_MODEL_SERVER_TIMEOUT: "containerStartupHealthCheckTimeoutSeconds",
  SAGEMAKER_STARTUP_TIMEOUT: "containerStartupHealthCheckTimeoutSeconds (the toolkit reads it only off its TorchServe path)",
  PYTHONPATH: "the construct (it points the toolkit at this endpoint's inference code)",
  NEURONX_MAX_NEW_TOKENS: "maxNewTokens",
  NEURON_RT_NUM_CORES: "compileOptions.tpDegree (the artifacts' TP degree)",
};

/** Props of {@link TransformersNeuronxSageMakerRealtimeInferenceEndpoint}. */
export interface TransformersNeuronxSageMakerRealtimeInferenceEndpointProps extends SageMakerEndpointCommonProps {
  /** The artifacts to serve, e.g. `TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile)`. */
  readonly modelData: TransformersNeuronxSageMakerInferenceModelData;
  /**
   * The SageMaker instance type, e.g. `ml.inf2.xlarge`; it needs the model's TP degree in NeuronCores.
   * @default - the serving instance type the model was sized for (`ml.` + NeuronxCompile's servingInstanceType)
   */
  readonly instanceType?: string;
  /**
   * The ML storage volume of each instance, in GiB.
   * @default - the artifacts plus 10 GiB (SageMaker downloads them there once), at least 30
   */
  readonly volumeSizeGiB?: number;
  /**
   * Seconds allowed to download the artifacts onto an instance (60 to 3600).
   * @default - 600 plus 15 a GiB of artifacts, at most 3600
   */
  readonly modelDataDownloadTimeoutSeconds?: number;
  /**
   * Seconds allowed for the container to load the model and pass its first health check (60 to 3600).
   * @default - 600 plus 20 a GiB of artifacts, at most 3600
   */
  readonly containerStartupHealthCheckTimeoutSeconds?: number;
  /**
   * Network isolation: the container makes no outbound calls (the default inference code needs none).
   * @default true
   */
  readonly networkIsolation?: boolean;
  /**
   * The serving image; it must carry the Neuron SDK the artifacts were compiled with.
   * @default - the image that compiled the artifacts
   */
  readonly containerImage?: NeuronxContainerImage;
  /**
   * More environment variables for the container. The compile settings' variables are set from the artifacts and cannot be overridden.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * The most new tokens a request to the default inference code may ask for (`parameters.max_new_tokens`; more is a
   * 400). SageMaker ends an invocation after 60 seconds, so keep a generation of this length within it.
   * @default - 512, or less than nPositions if that is smaller
   */
  readonly maxNewTokens?: number;
  /**
   * Tags for every resource.
   * @default - `neuronx:model`, `ManagedBy`
   */
  readonly tags?: Record<string, string>;
}

/**
 * A SageMaker real-time endpoint on Inferentia2 that serves compiled transformers-neuronx
 * artifacts: an execution role limited to its artifacts, image and logs; a model whose data is
 * the artifacts' S3 prefix (uncompressed) and whose environment is the compile settings; an
 * endpoint configuration sized from the model; the endpoint; optionally autoscaling.
 */
export class TransformersNeuronxSageMakerRealtimeInferenceEndpoint extends SageMakerInferenceEndpointBase {
  constructor(scope: Construct, id: string, props: TransformersNeuronxSageMakerRealtimeInferenceEndpointProps) {
    super(scope, id, props, new TransformersNeuronxRecipe(props));
  }
}

/**
 * The transformers-neuronx recipe: the compiled artifacts of a NeuronxCompile (or their S3 copy), served by the
 * PyTorch inference Neuron DLC through the SageMaker inference toolkit with the default inference code (a chat
 * API) or the user's, uploaded to the endpoint's own code folder; the compile settings are the environment.
 */
class TransformersNeuronxRecipe implements SageMakerEndpointRecipe {
  public readonly propsDescription = "the endpoint's props (an object with at least modelData)";

  constructor(private readonly props: TransformersNeuronxSageMakerRealtimeInferenceEndpointProps) {}

  public bind(endpoint: Construct, v: Validator): SageMakerEndpointRecipeConfig {
    const props = this.props;
    if (!(props.modelData instanceof TransformersNeuronxSageMakerInferenceModelData)) {
      v.problems.add(
        `modelData must be TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(...), fromNeuronxCompileOutputs(...) or fromS3(...), got ${show(props.modelData)}`,
      );
      v.problems.throwIfAny(endpoint.node.path);
    }
    const data = props.modelData.bind(endpoint);
    const settingsEnv = data.settings.environment;
    return {
      modelData: data,
      code: { dir: data.codeDir, exclude: data.codeExclude, folder: INFERENCE_CODE.keyPrefix },
      tags: { "neuronx:model": data.settings.modelId },
      defaults: sizedDefaults(`ml.${data.sizing.servingInstanceType}`, data.sizing.checkpointBytes),
      image: { prop: "containerImage", image: props.containerImage ?? data.containerImage },
      reservedEnvironment: {
        problem: (key) =>
          Object.keys(settingsEnv).includes(key) || (Object.values(SETTINGS_ENV) as string[]).includes(key)
            ? `environment.${key} is a compile setting, set from the artifacts so that compile and serving agree (by the model and compileOptions); change the compile instead`
            : undefined,
        setBy: RESERVED_ENVIRONMENT,
      },
      checkInstanceType: (checks, instanceType) =>
        checkServingInstanceType(checks, instanceType, {
          tpDegree: data.settings.tpDegree,
          servingHostBytes: data.sizing.servingHostBytes,
          modelId: data.settings.modelId,
        }),
      checkProps: (checks) => checkContainerImage(checks, props.containerImage, data),
      environment: (checks, context) => this.environment(checks, context, data),
    };
  }

  /** The compile settings, the toolkit's settings, this endpoint's code folder and maxNewTokens. */
  private environment(v: Validator, context: SageMakerEndpointContext, data: ModelDataConfig): Record<string, string> {
    const { nPositions } = data.settings;
    // The default stays below nPositions, which holds the prompt too.
    const maxNewTokens = this.props.maxNewTokens ?? Math.min(ENDPOINT_DEFAULTS.maxNewTokens, nPositions - 1);
    v.integer("maxNewTokens", this.props.maxNewTokens, 1, nPositions - 1, {
      unit: `tokens (below the nPositions ${nPositions} the model was compiled for, which holds the prompt too)`,
    });
    const endpointName = context.endpointName;
    return {
      ...data.settings.environment,
      SAGEMAKER_PROGRAM: "inference.py",
      SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
      // One worker owns the NeuronCores. The toolkit writes these two into TorchServe's config
      // (default_workers_per_model, default_response_timeout); SAGEMAKER_STARTUP_TIMEOUT is read only on the
      // toolkit's non-TorchServe path (sagemaker-pytorch-inference 2.0.25, torchserve.py), so it is not set.
      SAGEMAKER_MODEL_SERVER_WORKERS: "1",
      SAGEMAKER_MODEL_SERVER_TIMEOUT: String(context.containerStartupHealthCheckTimeoutSeconds),
      NEURON_RT_NUM_CORES: String(data.settings.tpDegree),
      // The toolkit prepends /opt/ml/model/code; this endpoint's own folder follows it, so `inference.py` and
      // its modules are this endpoint's (the code folder itself holds only one folder per endpoint).
      // (A name that is not a string is refused; the placeholder only keeps this line from throwing first.)
      [SERVING_ENV.pythonPath]: `${INFERENCE_CODE.containerDir}/${typeof endpointName === "string" ? endpointName : ""}`,
      [SERVING_ENV.maxNewTokens]: String(maxNewTokens),
    };
  }
}

/**
 * An ml.inf2 type with the TP degree's NeuronCores and the host memory for the checkpoint (every recipe that serves
 * a model compiled for a TP degree).
 */
export function checkServingInstanceType(
  v: Validator,
  instanceType: unknown,
  model: { readonly tpDegree: number; readonly servingHostBytes: number; readonly modelId: string },
): void {
  const problems = v.problems;
  const tp = model.tpDegree;
  const allowed = INF2_INSTANCE_TYPES.map((t) => `ml.${t.name}`).join(", ");
  const fitting = (pred: (t: Inf2InstanceType) => boolean) => INF2_INSTANCE_TYPES.find(pred)?.name;
  const type = typeof instanceType === "string" && instanceType.startsWith("ml.") ? findInf2InstanceType(instanceType.slice(3)) : undefined;
  if (!type) {
    problems.add(
      inf1Problem("instanceType", instanceType) ??
        `instanceType must be one of ${allowed}, got ${typeof instanceType === "string" && Token.isUnresolved(instanceType) ? "a Terraform reference (it is checked against the model, so it must be known at synth time)" : show(instanceType)}`,
    );
    return;
  }
  problems.when(
    type.neuronCores < tp,
    () =>
      `instanceType ${instanceType} has ${type.neuronCores} NeuronCores, fewer than the tensor parallel degree ${tp} the model was compiled for; ` +
      `use ml.${fitting((t) => t.neuronCores >= tp && t.memoryGiB * GiB >= model.servingHostBytes)} or larger`,
  );
  problems.when(
    type.neuronCores >= tp && type.memoryGiB * GiB < model.servingHostBytes,
    () =>
      `instanceType ${instanceType} has ${type.memoryGiB} GiB of host memory, but serving ${model.modelId} needs about ` +
      `${Math.ceil(model.servingHostBytes / GiB)} GiB; use ml.${fitting((t) => t.neuronCores >= tp && t.memoryGiB * GiB >= model.servingHostBytes)}`,
  );
}

/** The serving image must be a NeuronxContainerImage of the Neuron SDK that compiled the artifacts. */
function checkContainerImage(v: Validator, image: unknown, data: ModelDataConfig): void {
  if (image !== undefined && !(image instanceof NeuronxContainerImage)) {
    v.problems.add(`containerImage must be a NeuronxContainerImage, got ${show(image)}`);
  } else if (image && image.neuronSdkVersion !== data.settings.neuronSdkVersion) {
    v.problems.add(
      `containerImage carries the Neuron SDK ${image.neuronSdkVersion}, but the artifacts were compiled with ` +
        `${data.settings.neuronSdkVersion}; NEFFs load only in the runtime that compiled them, so serve with an image of ${data.settings.neuronSdkVersion}`,
    );
  }
}

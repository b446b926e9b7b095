import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { ValidationError } from "./errors";
import { Model } from "./model";
import { CompileOutputs, checkCompileOutputs } from "./model-data";
import { checkS3Location, s3Location } from "./private/s3-location";
import { OPTIMUM_COMPILED_FOLDER, OPTIMUM_SIZING_PROPS, OptimumNeuronCompile } from "./optimum-neuron-compile";
import {
  OPTIMUM_RESERVED_SERVE_ARGS,
  OptimumNeuronContainerImage,
  OptimumNeuronExportOptions,
  OptimumNeuronSettings,
  optimumArchitectureProblem,
  resolveOptimumExportOptions,
} from "./optimum-neuron-spec";
import { Validator, show } from "./private/validation";
import { checkServingInstanceType } from "./realtime-endpoint";
import {
  SageMakerEndpointCommonProps,
  SageMakerEndpointModelData,
  SageMakerEndpointRecipe,
  SageMakerEndpointRecipeConfig,
  SageMakerInferenceEndpointBase,
  sizedDefaults,
} from "./sagemaker-endpoint-core";
import { Sizing, sizeModel } from "./sizing";

/** What an endpoint needs to know about an exported model: where it is, and the settings it was exported with. */
export interface OptimumNeuronModelDataConfig extends SageMakerEndpointModelData {
  /** The export settings; the serving container's environment is written from them. */
  readonly settings: OptimumNeuronSettings;
  /** The image that exported the model; serve with the same one. */
  readonly containerImage: OptimumNeuronContainerImage;
  /** Sizing of the model for its TP degree: the default serving instance, and the artifacts' size. */
  readonly sizing: Sizing;
}

/** Props of {@link OptimumNeuronModelData.fromS3}. */
export interface OptimumNeuronS3ModelDataProps {
  /** The bucket of the exported model: a bucket of this stack, or a name. */
  readonly bucket: S3Bucket | string;
  /** The key prefix of the exported model directory (config.json, neuron_config.json, the compiled graphs), ending in `/`. */
  readonly prefix: string;
  /** The model it was exported from. */
  readonly model: Model;
  /** The export options it was exported with; `tensorParallelSize` is required, the rest default as for OptimumNeuronCompile. */
  readonly exportOptions: OptimumNeuronExportOptions & { readonly tensorParallelSize: number };
  /**
   * The image it was exported with.
   * @default OptimumNeuronContainerImage.vllmInferenceNeuronx()
   */
  readonly containerImage?: OptimumNeuronContainerImage;
}

/** An exported optimum-neuron model an endpoint serves, and the settings it was exported with. */
export abstract class OptimumNeuronModelData {
  /**
   * The exported model of an OptimumNeuronCompile (`<prefix>compiled/`), in this stack or another one (a
   * cross-stack reference, through outputs CDKTF generates).
   */
  public static fromCompile(compile: OptimumNeuronCompile): OptimumNeuronModelData {
    const v = new Validator();
    checkCompile(v, compile);
    v.problems.throwIfAny("OptimumNeuronModelData.fromCompile");
    return new (class extends OptimumNeuronModelData {
      public bind(scope: Construct): OptimumNeuronModelDataConfig {
        const sameStack = TerraformStack.of(scope) === TerraformStack.of(compile);
        return {
          bucketName: compile.bucketName,
          bucketArn: compile.bucketArn,
          prefix: `${compile.artifactPrefix}${OPTIMUM_COMPILED_FOLDER}`,
          // Read through the waiter: the model is created only after the export completed.
          s3Uri: compile.compiledModelS3Url,
          settings: compile.settings,
          containerImage: compile.containerImage,
          sizing: compile.sizing,
          dependsOn: sameStack ? [compile.waiter.resource] : [],
          preconditions: [],
        };
      }
    })();
  }

  /**
   * The exported model of an OptimumNeuronCompile of another stack, located through values read from that stack's
   * state (e.g. `terraform_remote_state` outputs), with the settings from the construct; no output is generated.
   * @param outputs the compile's bucket name, bucket ARN and `compiledArtifactS3Url` (the prefix, not its `compiled/`)
   */
  public static fromCompileOutputs(compile: OptimumNeuronCompile, outputs: CompileOutputs): OptimumNeuronModelData {
    const v = new Validator();
    checkCompile(v, compile);
    checkCompileOutputs(v, outputs);
    v.problems.throwIfAny("OptimumNeuronModelData.fromCompileOutputs");
    return new (class extends OptimumNeuronModelData {
      public bind(): OptimumNeuronModelDataConfig {
        return {
          bucketName: outputs.bucketName,
          bucketArn: outputs.bucketArn,
          prefix: `${compile.artifactPrefix}${OPTIMUM_COMPILED_FOLDER}`,
          s3Uri: `${outputs.compiledArtifactS3Url}${OPTIMUM_COMPILED_FOLDER}`,
          settings: compile.settings,
          containerImage: compile.containerImage,
          sizing: compile.sizing,
          dependsOn: [],
          preconditions: v.planChecks,
        };
      }
    })();
  }

  /** A model exported elsewhere: its directory's bucket and prefix, and the options it was exported with. */
  public static fromS3(props: OptimumNeuronS3ModelDataProps): OptimumNeuronModelData {
    const scope = "OptimumNeuronModelData.fromS3";
    const v = new Validator();
    const problems = v.problems;
    if (!v.record("props", props, { optional: false, what: "OptimumNeuronS3ModelDataProps (bucket, prefix, model, exportOptions)" })) {
      problems.throwIfAny(scope);
    }
    checkS3Location(v, props.bucket, props.prefix);
    const modelOk = Model.check(v, "model", props.model);
    const architecture = modelOk ? optimumArchitectureProblem(props.model) : undefined;
    if (architecture) problems.add(architecture);
    const before = problems.count;
    const options = resolveOptimumExportOptions(v, "exportOptions", props.exportOptions);
    problems.when(
      problems.count === before && props.exportOptions?.tensorParallelSize === undefined,
      "exportOptions.tensorParallelSize is required: the model was exported for one TP degree and must be served with it",
    );
    problems.when(
      props.containerImage !== undefined && !(props.containerImage instanceof OptimumNeuronContainerImage),
      () => `containerImage must be an OptimumNeuronContainerImage, got ${show(props.containerImage)}`,
    );
    let sizing: Sizing | undefined;
    if (problems.empty) {
      try {
        sizing = sizeModel({
          parameters: props.model.parameters.count,
          options: { nPositions: options.sequenceLength, batchSize: options.batchSize, amp: options.dtype, optLevel: 2 },
          tpDegree: props.exportOptions.tensorParallelSize,
          modelName: props.model.modelId,
          propNames: OPTIMUM_SIZING_PROPS,
        });
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        e.problems.forEach((p) => problems.add(p));
      }
    }
    problems.throwIfAny(scope);
    if (sizing === undefined) throw new Error("unreachable: sizing without problems");
    const image = props.containerImage ?? OptimumNeuronContainerImage.vllmInferenceNeuronx();
    const settings = new OptimumNeuronSettings(props.model, options, sizing.tpDegree, image);
    const resolvedSizing = sizing;
    return new (class extends OptimumNeuronModelData {
      public bind(endpoint: Construct): OptimumNeuronModelDataConfig {
        return {
          ...s3Location(endpoint, props.bucket, props.prefix),
          settings,
          containerImage: image,
          sizing: resolvedSizing,
          dependsOn: [],
          preconditions: v.planChecks,
        };
      }
    })();
  }

  /** Resolves the model data for an endpoint. */
  public abstract bind(scope: Construct): OptimumNeuronModelDataConfig;
}

function checkCompile(v: Validator, compile: unknown): void {
  if (!(compile instanceof OptimumNeuronCompile)) v.problems.add(`compile must be an OptimumNeuronCompile, got ${show(compile)}`);
}

/** Props of {@link OptimumNeuronSageMakerRealtimeInferenceEndpoint}. */
export interface OptimumNeuronSageMakerRealtimeInferenceEndpointProps extends SageMakerEndpointCommonProps {
  /** The exported model to serve, e.g. `OptimumNeuronModelData.fromCompile(compile)`. */
  readonly modelData: OptimumNeuronModelData;
  /**
   * The serving image; it must carry the Neuron SDK and the optimum-neuron release the model was exported with.
   * @default - the image that exported the model
   */
  readonly containerImage?: OptimumNeuronContainerImage;
}

/**
 * A SageMaker real-time endpoint on Inferentia2 that serves an optimum-neuron export with the Hugging Face vLLM Neuron
 * DLC: continuous batching and an OpenAI-style chat API (`/invocations` takes an OpenAI chat completion request and
 * answers with a chat completion). The exported directory is the model data (uncompressed, at /opt/ml/model), and the
 * container's variables (batch size, sequence length, tensor parallel size) are written from the settings that drove
 * the export, so the container's start-up checks cannot disagree with it. Everything else (role, endpoint
 * configuration, autoscaling, data capture, VPC, KMS, network isolation, monitoring) is the endpoint core's, as for
 * TransformersNeuronxSageMakerRealtimeInferenceEndpoint.
 */
export class OptimumNeuronSageMakerRealtimeInferenceEndpoint extends SageMakerInferenceEndpointBase {
  constructor(scope: Construct, id: string, props: OptimumNeuronSageMakerRealtimeInferenceEndpointProps) {
    super(scope, id, props, new OptimumNeuronRecipe(props));
  }
}

class OptimumNeuronRecipe implements SageMakerEndpointRecipe {
  public readonly propsDescription = "the endpoint's props (an object with at least modelData)";

  constructor(private readonly props: OptimumNeuronSageMakerRealtimeInferenceEndpointProps) {}

  public bind(endpoint: Construct, v: Validator): SageMakerEndpointRecipeConfig {
    const props = this.props;
    if (!(props.modelData instanceof OptimumNeuronModelData)) {
      v.problems.add(
        `modelData must be OptimumNeuronModelData.fromCompile(...), fromCompileOutputs(...) or fromS3(...), got ${show(props.modelData)}`,
      );
      v.problems.throwIfAny(endpoint.node.path);
    }
    const data = props.modelData.bind(endpoint);
    const settings = data.settings;
    const servingEnv = settings.servingEnvironment;
    const settingsKeys = Object.keys(settings.environment);
    const setBy = "the endpoint (from the export settings)";
    return {
      modelData: data,
      tags: { "neuronx:model": settings.modelId },
      defaults: sizedDefaults(`ml.${data.sizing.servingInstanceType}`, data.sizing.checkpointBytes),
      image: { prop: "containerImage", image: props.containerImage ?? data.containerImage },
      reservedEnvironment: {
        problem: (key) =>
          settingsKeys.includes(key)
            ? `environment.${key} is an export setting, set from the exported model so that export and serving agree (by the model and exportOptions); change the export instead`
            : Object.hasOwn(OPTIMUM_RESERVED_SERVE_ARGS, key)
              ? `environment.${key} must not be set: ${OPTIMUM_RESERVED_SERVE_ARGS[key]}`
              : undefined,
        setBy: Object.fromEntries(Object.keys(servingEnv).map((key) => [key, setBy])),
      },
      checkInstanceType: (checks, instanceType) =>
        checkServingInstanceType(checks, instanceType, {
          tpDegree: settings.tensorParallelSize,
          servingHostBytes: data.sizing.servingHostBytes,
          modelId: settings.modelId,
        }),
      checkProps: (checks) => checkServingImage(checks, props.containerImage, settings),
      environment: () => servingEnv,
    };
  }
}

/** The serving image must be an OptimumNeuronContainerImage of the SDK and optimum-neuron release that exported the model. */
function checkServingImage(v: Validator, image: unknown, settings: OptimumNeuronSettings): void {
  if (image === undefined) return;
  if (!(image instanceof OptimumNeuronContainerImage)) {
    v.problems.add(`containerImage must be an OptimumNeuronContainerImage, got ${show(image)}`);
    return;
  }
  v.problems.when(
    image.neuronSdkVersion !== settings.neuronSdkVersion || image.optimumNeuronVersion !== settings.optimumNeuronVersion,
    () =>
      `containerImage carries the Neuron SDK ${image.neuronSdkVersion} and optimum-neuron ${image.optimumNeuronVersion}, but the model was ` +
      `exported with ${settings.neuronSdkVersion} and ${settings.optimumNeuronVersion}; compiled graphs load only in the runtime that ` +
      `compiled them, so serve with the image that exported the model`,
  );
}

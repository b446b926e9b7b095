import { Construct } from "constructs";
import { CompileSettings } from "./compile-settings";
import { CompileJobPlan, CompileJobRecipe, NEURON_COMPILE_JOB_DEFAULTS, NeuronCompileJob, NeuronCompileJobProps } from "./compile-job";
import { NeuronxContainerImage } from "./container-images";
import { ValidationError } from "./errors";
import { CompileOptions, ResolvedCompileOptions, resolveCompileOptions } from "./model";
import { INF2_INSTANCE_TYPE_NAMES, Inf2InstanceTypeName, findInf2InstanceType } from "./neuron-spec";
import { Validator, show } from "./private/validation";
import { Sizing, sizeModel } from "./sizing";
import { Token } from "cdktf";

// The job's names, exported here too: this module exported them before the job was shared between backends.
export {
  ALLOW_PICKLE_WEIGHTS_ENV,
  BOOTSTRAP_KEY_ROOT,
  CODE_FOLDER,
  COMPILE_PACKAGE_DIR,
  INSTANCE_TAGS,
  NEURON_COMPILE_JOB_LIMITS as NEURONX_COMPILE_LIMITS,
  RUN_INSTANCES_RESOURCES,
  TAG_VALUE_LIMIT,
} from "./compile-job";

/** Defaults of {@link NeuronxCompileProps} (the compile job's, for every backend). */
export const NEURONX_COMPILE_DEFAULTS = NEURON_COMPILE_JOB_DEFAULTS;

/** Props of {@link NeuronxCompile}. */
export interface NeuronxCompileProps extends NeuronCompileJobProps {
  /**
   * transformers-neuronx compile options.
   * @default - tpDegree from sizing, nPositions 4096, batchSize 1, amp "bf16", no quantization, OptLevel.BALANCED
   */
  readonly compileOptions?: CompileOptions;
  /**
   * The EC2 instance type that compiles.
   * @default - the smallest inf2 type with the TP degree's NeuronCores and the host memory to compile the model
   */
  readonly instanceType?: string;
  /**
   * The instance type the model is compiled to be served on (EC2 name; SageMaker adds `ml.`). It sets the default
   * TP degree and the endpoint's default instance type.
   * @default - the smallest inf2 type whose NeuronCores and host memory hold the model
   */
  readonly servingInstanceType?: string;
  /**
   * The container image that compiles, the same image the endpoint serves with.
   * @default NeuronxContainerImage.pytorchInferenceNeuronx()
   */
  readonly containerImage?: NeuronxContainerImage;
}

/**
 * Compiles a Hugging Face model with the AWS Neuron SDK (transformers-neuronx) on a temporary inf2
 * instance and uploads the artifacts to S3; `terraform apply` waits until they
 * are complete.
 *
 * The instance is not a Terraform resource: a launch template describes it and
 * the waiter (`null_resource`) runs it as a job, so that a second plan after
 * success is empty and a cache hit (same model, options and SDK) launches nothing.
 */
export class NeuronxCompile extends NeuronCompileJob {
  /** The compile settings: one source for the compile and the serving container. */
  public readonly settings: CompileSettings;
  /** How the model was sized: TP degree, instance types and memory figures. */
  public readonly sizing: Sizing;
  /** The instance type that compiles. */
  declare public readonly compileInstanceType: Inf2InstanceTypeName;
  /** The instance type the model is compiled to be served on (EC2 name). */
  public readonly servingInstanceType: Inf2InstanceTypeName;
  /** The tensor parallel degree compiled for. */
  public readonly tpDegree: number;
  /** The container image that compiled the model; serve with the same one. */
  public readonly containerImage: NeuronxContainerImage;

  constructor(scope: Construct, id: string, props: NeuronxCompileProps) {
    const recipe = new TransformersNeuronxCompileRecipe(props);
    super(scope, id, props, recipe);
    const { settings, sizing } = recipe.resolved as { settings: CompileSettings; sizing: Sizing };
    this.settings = settings;
    this.sizing = sizing;
    this.tpDegree = sizing.tpDegree;
    this.servingInstanceType = sizing.servingInstanceType;
    this.containerImage = recipe.image;
  }
}

/** The transformers-neuronx recipe: compileOptions, inf2 instance types, the PyTorch inference Neuron DLC. */
class TransformersNeuronxCompileRecipe implements CompileJobRecipe {
  public readonly kind = "NeuronxCompile";
  public readonly propsDescription = "NeuronxCompileProps (an object with at least model)";
  public resolved?: { settings: CompileSettings; sizing: Sizing };
  private options?: ResolvedCompileOptions;

  constructor(private readonly props: NeuronxCompileProps) {}

  public get image(): NeuronxContainerImage {
    return this.props.containerImage ?? NeuronxContainerImage.pytorchInferenceNeuronx();
  }

  public checkOptions(v: Validator): boolean {
    const before = v.problems.count;
    this.options = resolveCompileOptions(this.props.compileOptions ?? {}, v.problems);
    return v.problems.count === before;
  }

  public checkImage(v: Validator): void {
    v.problems.when(
      this.props.containerImage !== undefined && !(this.props.containerImage instanceof NeuronxContainerImage),
      () =>
        `containerImage must be a NeuronxContainerImage, e.g. NeuronxContainerImage.fromEcrUri(uri, "2.21.0"), got ${show(this.props.containerImage)}`,
    );
  }

  public checkInstanceTypes(v: Validator): boolean {
    const instanceTypeOk = (prop: string, value: unknown) => {
      if (value === undefined) return true;
      if (typeof value === "string" && findInf2InstanceType(value)) return true;
      v.problems.add(
        `${prop} must be one of ${INF2_INSTANCE_TYPE_NAMES}, got ${typeof value === "string" && Token.isUnresolved(value) ? "a Terraform reference (it sizes the model, so it must be known at synth time)" : show(value)}`,
      );
      return false;
    };
    return [
      instanceTypeOk("instanceType", this.props.instanceType),
      instanceTypeOk("servingInstanceType", this.props.servingInstanceType),
    ].every(Boolean);
  }

  public plan(v: Validator): CompileJobPlan | undefined {
    const props = this.props;
    const options = this.options as ResolvedCompileOptions;
    let sizing: Sizing;
    try {
      sizing = sizeModel({
        parameters: props.model.parameters.count,
        options,
        tpDegree: props.compileOptions?.tpDegree,
        compileInstanceType: props.instanceType,
        servingInstanceType: props.servingInstanceType,
        modelName: props.model.modelId,
      });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      e.problems.forEach((p) => v.problems.add(p));
      return undefined;
    }
    const image = this.image;
    const settings = new CompileSettings(props.model, options, sizing.tpDegree, image.neuronSdkVersion);
    this.resolved = { settings, sizing };
    return {
      cacheKeyPrefix: settings.cacheKeyPrefix,
      environment: settings.environment,
      neuronSdkVersion: settings.neuronSdkVersion,
      image,
      imageProp: "containerImage",
      compileInstanceType: sizing.compileInstanceType,
      rootVolumeGiB: sizing.rootVolumeGiB,
    };
  }
}

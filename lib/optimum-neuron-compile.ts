import { Token } from "cdktf";
import { Construct } from "constructs";
import { CompileJobPlan, CompileJobRecipe, NeuronCompileJob, NeuronCompileJobProps } from "./compile-job";
import { ValidationError } from "./errors";
import { Model } from "./model";
import { INF2_INSTANCE_TYPE_NAMES, Inf2InstanceTypeName, findInf2InstanceType } from "./neuron-spec";
import {
  OPTIMUM_COMPILE_ENV,
  OptimumNeuronContainerImage,
  OptimumNeuronExportOptions,
  OptimumNeuronSettings,
  ResolvedOptimumNeuronExportOptions,
  optimumArchitectureProblem,
  resolveOptimumExportOptions,
} from "./optimum-neuron-spec";
import { RULES } from "./patterns";
import { Validator, show } from "./private/validation";
import { Sizing, SizingPropNames, sizeModel } from "./sizing";

const GiB = 2 ** 30;

/** How sizing's messages name this backend's props. */
export const OPTIMUM_SIZING_PROPS: SizingPropNames = {
  tpDegree: "exportOptions.tensorParallelSize",
  tpDegreeShort: "tensorParallelSize",
  nPositions: "exportOptions.sequenceLength",
  nPositionsShort: "sequenceLength",
  batchSizeShort: "batchSize",
};

/**
 * CPU instance types that can host the export (optimum-neuron compiles for inf2 without a Neuron device), smallest
 * first, with their memory and on-demand price. Memory-optimized r7i (8 GiB a vCPU): the export's need is host
 * memory for the checkpoint and the compiler. USD an hour, US East (N. Virginia), Linux, from
 * https://aws.amazon.com/ec2/pricing/on-demand/ as of the date below; like lib/cost.ts's PRICE_TABLE, written
 * without network access to the page that day: check them for your region and date.
 */
export const CPU_COMPILE_HOSTS = {
  region: "us-east-1",
  date: "2026-12-02",
  types: [
    { name: "r7i.xlarge", vcpus: 4, memoryGiB: 32, hourlyUsd: 0.2646 },
    { name: "r7i.2xlarge", vcpus: 8, memoryGiB: 64, hourlyUsd: 0.5292 },
    { name: "r7i.4xlarge", vcpus: 16, memoryGiB: 128, hourlyUsd: 1.0584 },
    { name: "r7i.8xlarge", vcpus: 32, memoryGiB: 256, hourlyUsd: 2.1168 },
    { name: "r7i.12xlarge", vcpus: 48, memoryGiB: 384, hourlyUsd: 3.1752 },
    { name: "r7i.16xlarge", vcpus: 64, memoryGiB: 512, hourlyUsd: 4.2336 },
    { name: "r7i.24xlarge", vcpus: 96, memoryGiB: 768, hourlyUsd: 6.3504 },
  ],
} as const;

/** A CPU compile host's name. */
export type CpuCompileHostName = (typeof CPU_COMPILE_HOSTS.types)[number]["name"];

/** Where the export runs. */
export type OptimumNeuronCompileHost = "inf2" | "cpu";

/** Props of {@link OptimumNeuronCompile}. */
export interface OptimumNeuronCompileProps extends NeuronCompileJobProps {
  /**
   * optimum-neuron's export options: batch size, sequence length, tensor parallel size, dtype. Quantization and an
   * optimization level are not export options of optimum-neuron 0.4.5 and are refused.
   * @default - batchSize 4, sequenceLength 4096, dtype "bf16", tensorParallelSize from sizing
   */
  readonly exportOptions?: OptimumNeuronExportOptions;
  /**
   * Where the export runs: `"inf2"`, an Inferentia2 instance with the NeuronCores of the tensor parallel size (what
   * the Neuron SDK's own guides run, and what has been shown to work), or `"cpu"`, a memory-optimized CPU instance
   * (optimum-neuron compiles for inf2 without a device): a fraction of the price an hour (CPU_COMPILE_HOSTS: for
   * Llama-3-70B, r7i.12xlarge at about $3.18 an hour against inf2.48xlarge at about $12.98), but a path not shown
   * end to end here. Either way the artifacts are compiled for inf2.
   * @default "inf2"
   */
  readonly compileHost?: OptimumNeuronCompileHost;
  /**
   * The EC2 instance type that exports: an inf2 type for compileHost "inf2", a CPU_COMPILE_HOSTS type for "cpu".
   * @default - the smallest type whose host memory holds the export (and, for inf2, the TP degree's NeuronCores)
   */
  readonly instanceType?: string;
  /**
   * The inf2 instance type the model is exported to be served on (EC2 name; SageMaker adds `ml.`). It sets the
   * default tensor parallel size and the endpoint's default instance type.
   * @default - the smallest inf2 type whose NeuronCores and host memory hold the model
   */
  readonly servingInstanceType?: string;
  /**
   * The image that exports and serves: the same image, so the compiled graphs match the runtime.
   * @default OptimumNeuronContainerImage.vllmInferenceNeuronx()
   */
  readonly containerImage?: OptimumNeuronContainerImage;
  /**
   * A private Hugging Face Hub repository of compiled artifacts (optimum-neuron's cache format), looked up after the
   * public `aws-neuron/optimum-neuron-cache`; the job never writes to it. A gated or private one needs
   * huggingFaceTokenSecretArn.
   * @default - the public cache only
   */
  readonly privateCacheRepo?: string;
}

/**
 * Exports a Hugging Face model with optimum-neuron (the maintained Neuron path) on a temporary instance and uploads
 * the exported model to S3 (`<prefix>compiled/`), for {@link OptimumNeuronSageMakerRealtimeInferenceEndpoint} and the
 * Hugging Face vLLM Neuron DLC. The compiled graphs are downloaded from optimum-neuron's Hub cache when it holds the
 * configuration (manifest.json says which). The lifecycle is NeuronxCompile's: the same compile job, its waiter,
 * lease, lock, markers, spot fallback, token secret and deadline.
 */
export class OptimumNeuronCompile extends NeuronCompileJob {
  /** The export settings: one source for the export, the cache key and the serving container. */
  public readonly settings: OptimumNeuronSettings;
  /** How the model was sized: TP degree, instance types and memory figures. */
  public readonly sizing: Sizing;
  /** The inf2 instance type the model is exported to be served on (EC2 name). */
  public readonly servingInstanceType: Inf2InstanceTypeName;
  /** The tensor parallel size exported for. */
  public readonly tensorParallelSize: number;
  /** Where the export runs. */
  public readonly compileHost: OptimumNeuronCompileHost;
  /** The image that exported the model; serve with the same one. */
  public readonly containerImage: OptimumNeuronContainerImage;
  /** `s3://<bucket>/<prefix>compiled/`: the exported model directory, read through the waiter. */
  public readonly compiledModelS3Url: string;

  constructor(scope: Construct, id: string, props: OptimumNeuronCompileProps) {
    const recipe = new OptimumNeuronCompileRecipe(props);
    super(scope, id, props, recipe);
    const { settings, sizing } = recipe.resolved as { settings: OptimumNeuronSettings; sizing: Sizing };
    this.settings = settings;
    this.sizing = sizing;
    this.tensorParallelSize = settings.tensorParallelSize;
    this.servingInstanceType = sizing.servingInstanceType;
    this.compileHost = props.compileHost ?? "inf2";
    this.containerImage = recipe.image;
    this.compiledModelS3Url = `${this.compiledArtifactS3Url}${OPTIMUM_COMPILED_FOLDER}`;
  }
}

/** The folder below the prefix that holds the exported model (the endpoint's model data). */
export const OPTIMUM_COMPILED_FOLDER = "compiled/";

/** The optimum-neuron recipe: export options, an inf2 or CPU host, the vLLM Neuron DLC. */
class OptimumNeuronCompileRecipe implements CompileJobRecipe {
  public readonly kind = "OptimumNeuronCompile";
  public readonly propsDescription = "OptimumNeuronCompileProps (an object with at least model)";
  public resolved?: { settings: OptimumNeuronSettings; sizing: Sizing };
  private options?: ResolvedOptimumNeuronExportOptions;

  constructor(private readonly props: OptimumNeuronCompileProps) {}

  public get image(): OptimumNeuronContainerImage {
    return this.props.containerImage ?? OptimumNeuronContainerImage.vllmInferenceNeuronx();
  }

  public checkOptions(v: Validator): boolean {
    const before = v.problems.count;
    this.options = resolveOptimumExportOptions(v, "exportOptions", this.props.exportOptions);
    const problem = this.props.model instanceof Model ? optimumArchitectureProblem(this.props.model) : undefined;
    if (problem) v.problems.add(problem);
    v.string("privateCacheRepo", this.props.privateCacheRepo, RULES.huggingFaceModelId, {
      refuseReference: "it is the compile's environment, written into the user data at synth time",
    });
    return v.problems.count === before;
  }

  public checkImage(v: Validator): void {
    v.problems.when(
      this.props.containerImage !== undefined && !(this.props.containerImage instanceof OptimumNeuronContainerImage),
      () =>
        `containerImage must be an OptimumNeuronContainerImage, e.g. OptimumNeuronContainerImage.vllmInferenceNeuronx(), got ${show(this.props.containerImage)}`,
    );
  }

  public checkInstanceTypes(v: Validator): boolean {
    const { compileHost, instanceType, servingInstanceType } = this.props;
    const reference = (value: unknown) =>
      typeof value === "string" && Token.isUnresolved(value)
        ? "a Terraform reference (it sizes the model, so it must be known at synth time)"
        : show(value);
    const before = v.problems.count;
    if (compileHost !== undefined && compileHost !== "inf2" && compileHost !== "cpu") {
      v.problems.add(`compileHost must be "inf2" or "cpu", got ${show(compileHost)}`);
    } else if (instanceType !== undefined) {
      if (compileHost === "cpu") {
        v.problems.when(
          !CPU_COMPILE_HOSTS.types.some((t) => t.name === instanceType),
          () =>
            `instanceType must be one of ${CPU_COMPILE_HOSTS.types.map((t) => t.name).join(", ")} with compileHost "cpu", got ${reference(instanceType)}` +
            (typeof instanceType === "string" && findInf2InstanceType(instanceType) ? `; for an inf2 host, set compileHost "inf2"` : ""),
        );
      } else if (!(typeof instanceType === "string" && findInf2InstanceType(instanceType))) {
        v.problems.add(
          `instanceType must be one of ${INF2_INSTANCE_TYPE_NAMES}, got ${reference(instanceType)}` +
            (CPU_COMPILE_HOSTS.types.some((t) => t.name === instanceType) ? `; for a CPU host, set compileHost "cpu"` : ""),
        );
      }
    }
    if (servingInstanceType !== undefined && !(typeof servingInstanceType === "string" && findInf2InstanceType(servingInstanceType))) {
      v.problems.add(`servingInstanceType must be one of ${INF2_INSTANCE_TYPE_NAMES}, got ${reference(servingInstanceType)}`);
    }
    return v.problems.count === before;
  }

  public plan(v: Validator): CompileJobPlan | undefined {
    const props = this.props;
    const options = this.options as ResolvedOptimumNeuronExportOptions;
    const cpu = props.compileHost === "cpu";
    let sizing: Sizing;
    try {
      sizing = sizeModel({
        parameters: props.model.parameters.count,
        options: { nPositions: options.sequenceLength, batchSize: options.batchSize, amp: options.dtype, optLevel: 2 },
        tpDegree: props.exportOptions?.tensorParallelSize,
        compileInstanceType: cpu ? undefined : props.instanceType,
        servingInstanceType: props.servingInstanceType,
        modelName: props.model.modelId,
        propNames: OPTIMUM_SIZING_PROPS,
      });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      e.problems.forEach((p) => v.problems.add(p));
      return undefined;
    }
    let compileInstanceType: string = sizing.compileInstanceType;
    if (cpu) {
      const needs = sizing.compileHostBytes;
      const fitting = CPU_COMPILE_HOSTS.types.find((t) => t.memoryGiB * GiB >= needs);
      const given = CPU_COMPILE_HOSTS.types.find((t) => t.name === props.instanceType);
      if (given && given.memoryGiB * GiB < needs) {
        v.problems.add(
          `instanceType ${given.name} has ${given.memoryGiB} GiB of memory, but exporting ${props.model.modelId} needs about ` +
            `${Math.ceil(needs / GiB)} GiB; set instanceType to ${fitting?.name ?? "a larger type"} or leave it unset`,
        );
        return undefined;
      }
      const chosen = given ?? fitting;
      if (!chosen) {
        v.problems.add(
          `exporting ${props.model.modelId} needs about ${Math.ceil(needs / GiB)} GiB of memory, more than any CPU compile host has; use compileHost "inf2"`,
        );
        return undefined;
      }
      compileInstanceType = chosen.name;
    }
    const image = this.image;
    const settings = new OptimumNeuronSettings(props.model, options, sizing.tpDegree, image);
    this.resolved = { settings, sizing };
    return {
      cacheKeyPrefix: settings.cacheKeyPrefix,
      environment: {
        ...settings.environment,
        ...(props.privateCacheRepo ? { [OPTIMUM_COMPILE_ENV.cacheRepo]: props.privateCacheRepo } : {}),
        [OPTIMUM_COMPILE_ENV.compileDevices]: cpu ? "none" : "required",
      },
      neuronSdkVersion: settings.neuronSdkVersion,
      image,
      imageProp: "containerImage",
      compileInstanceType,
      rootVolumeGiB: sizing.rootVolumeGiB,
    };
  }
}

import { ValidationError } from "./errors";
import { ResolvedCompileOptions, formatParameterCount } from "./model";
import {
  AMP_BYTES,
  INF2_INSTANCE_TYPES,
  INF2_INSTANCE_TYPE_NAMES,
  Inf2InstanceType,
  Inf2InstanceTypeName,
  NEURON_CORE_MEMORY_GIB,
  QUANT_DTYPE_BYTES,
  TP_DEGREES,
  findInf2InstanceType,
  inf1Problem,
} from "./neuron-spec";

const GiB = 2 ** 30;

/**
 * The memory model. Every figure is an estimate made before the model's config
 * is known (synth time), erring on the large side.
 */
export const SIZING_MODEL = {
  /** Share added to weights and KV cache for the runtime: NEFF scratch, collectives buffers. */
  deviceMargin: 0.1,
  /**
   * `layers × hidden size ≈ kvScale × parameters ^ kvExponent`: a fit on GPT-2, OPT, BLOOM,
   * Qwen2, Llama 2 and Falcon (within ±16%), raised 15% to stay on the large side. With it the
   * KV cache is estimated for full multi-head attention: exact for MHA models, an upper bound for
   * grouped-query attention (Llama 3, Mistral), whose cache is smaller.
   */
  kvScale: 0.0373,
  kvExponent: 0.6735,
  /** Host memory the OS, the serving container and Python need beside the weights. */
  servingHostOverheadGiB: 2,
  /** Host memory neuronx-cc needs beside two copies of the checkpoint (the loaded model and its shards). */
  compileHostOverheadGiB: 8,
  /** Root volume: the Neuron DLAMI itself. */
  amiGiB: 100,
  /** Root volume: the serving container image, pulled to compile in it. */
  containerImageGiB: 30,
  /** Root volume: checkpoints on disk (the Hub download, a split copy, and the upload staging). */
  checkpointCopiesOnDisk: 3,
} as const;

/** What sizing needs to know. */
export interface SizingInput {
  /** The parameter count. */
  readonly parameters: number;
  /** The compile options with their defaults applied. */
  readonly options: ResolvedCompileOptions;
  /** An explicit tensor parallel degree (`compileOptions.tpDegree`). */
  readonly tpDegree?: number;
  /** An explicit compile instance type (`instanceType`). */
  readonly compileInstanceType?: string;
  /** An explicit serving instance type (`servingInstanceType`). */
  readonly servingInstanceType?: string;
  /** How to name the model in messages, e.g. its Hub id. */
  readonly modelName?: string;
  /**
   * How messages name the options, for a backend whose props are named otherwise.
   * @default TRANSFORMERS_NEURONX_SIZING_PROPS
   */
  readonly propNames?: SizingPropNames;
}

/** The names sizing's messages give the options, as a backend's props call them. */
export interface SizingPropNames {
  /** The TP degree prop, in full (`compileOptions.tpDegree`) and short (`tpDegree`). */
  readonly tpDegree: string;
  readonly tpDegreeShort: string;
  /** The sequence length prop, in full and short. */
  readonly nPositions: string;
  readonly nPositionsShort: string;
  /** The batch size prop, short. */
  readonly batchSizeShort: string;
  /** How to ask for weight quantization, when the backend offers it, e.g. "set compileOptions.quantDtype to QuantDtype.S8". */
  readonly quantization?: string;
}

/** transformers-neuronx's names: NeuronxCompile's compileOptions. */
export const TRANSFORMERS_NEURONX_SIZING_PROPS: SizingPropNames = {
  tpDegree: "compileOptions.tpDegree",
  tpDegreeShort: "tpDegree",
  nPositions: "compileOptions.nPositions",
  nPositionsShort: "nPositions",
  batchSizeShort: "batchSize",
  quantization: "set compileOptions.quantDtype to QuantDtype.S8",
};

/** The sizing of a model: instances, tensor parallel degree and the memory figures behind them. */
export interface Sizing {
  /** Tensor parallel degree to compile for. */
  readonly tpDegree: number;
  /** The EC2 instance type that compiles the model. */
  readonly compileInstanceType: Inf2InstanceTypeName;
  /** The EC2 name of the instance type that serves the model (SageMaker adds `ml.`). */
  readonly servingInstanceType: Inf2InstanceTypeName;
  /** Bytes of weights on the NeuronCores (after quantization). */
  readonly weightBytes: number;
  /** Estimated bytes of KV cache for `nPositions × batchSize`. */
  readonly kvCacheBytes: number;
  /** NeuronCore memory needed: weights, KV cache and the runtime margin. */
  readonly deviceBytes: number;
  /** Bytes of the checkpoint as loaded on the host (16-bit, or 32-bit for amp f32): about the artifacts' size. */
  readonly checkpointBytes: number;
  /** Host memory the serving instance needs. */
  readonly servingHostBytes: number;
  /** Host memory the compile instance needs. */
  readonly compileHostBytes: number;
  /** Size of the compile instance's root volume, in GiB. */
  readonly rootVolumeGiB: number;
}

/** Memory figures of a model with options, before any instance is chosen. */
export function memoryNeeds(parameters: number, options: ResolvedCompileOptions) {
  const m = SIZING_MODEL;
  const ampBytes = AMP_BYTES[options.amp];
  const weightBytes = parameters * (options.quantDtype ? QUANT_DTYPE_BYTES[options.quantDtype] : ampBytes);
  const layersTimesHidden = m.kvScale * parameters ** m.kvExponent;
  const kvCacheBytes = 2 * layersTimesHidden * options.nPositions * options.batchSize * ampBytes;
  const deviceBytes = (weightBytes + kvCacheBytes) * (1 + m.deviceMargin);
  // Checkpoints are loaded on the host in 16-bit (or 32-bit for amp f32) before any quantization.
  const checkpointBytes = parameters * Math.max(2, ampBytes);
  const servingHostBytes = checkpointBytes + m.servingHostOverheadGiB * GiB;
  const compileHostBytes = 2 * checkpointBytes + m.compileHostOverheadGiB * GiB;
  const diskGiB = m.amiGiB + m.containerImageGiB + (m.checkpointCopiesOnDisk * checkpointBytes) / GiB;
  const rootVolumeGiB = Math.ceil(diskGiB / 10) * 10;
  return { weightBytes, kvCacheBytes, deviceBytes, checkpointBytes, servingHostBytes, compileHostBytes, rootVolumeGiB };
}

const gib = (bytes: number) => `${Math.ceil(bytes / GiB)} GiB`;
const fits = (t: Inf2InstanceType, cores: number, hostBytes: number) => t.neuronCores >= cores && t.memoryGiB * GiB >= hostBytes;
const smallest = (cores: number, hostBytes: number) => INF2_INSTANCE_TYPES.find((t) => fits(t, cores, hostBytes));
const largestDegreeFor = (cores: number) => Math.max(...TP_DEGREES.filter((d) => d <= cores));

/**
 * Chooses the tensor parallel degree, the serving instance and the compile instance for a model.
 *
 * - TP degree: the smallest degree from {1, 2, 4, 8, 24} whose NeuronCores (16 GiB each) hold the
 *   weights, the KV cache and the runtime margin decides the serving instance; the model is then
 *   compiled for the largest degree that instance's NeuronCores allow, so no core sits idle.
 * - Serving instance: the smallest inf2 type with that many NeuronCores whose host memory holds the
 *   checkpoint.
 * - Compile instance: the smallest inf2 type with the TP degree's NeuronCores whose host memory
 *   holds two copies of the checkpoint and the compiler; it can be larger than the serving one.
 *
 * Explicit values override each choice and are checked against each other.
 * @throws ValidationError naming the prop, the value, what is allowed and the fix
 */
export function sizeModel(input: SizingInput): Sizing {
  const needs = memoryNeeds(input.parameters, input.options);
  const names = input.propNames ?? TRANSFORMERS_NEURONX_SIZING_PROPS;
  const model = `${input.modelName ?? "the model"} (${formatParameterCount(input.parameters)} parameters, ${describeDtype(input.options)})`;
  const needsText = () =>
    `about ${gib(needs.deviceBytes)} of NeuronCore memory (weights ${gib(needs.weightBytes)}, ` +
    `KV cache ${gib(needs.kvCacheBytes)} at ${names.nPositionsShort} ${input.options.nPositions} × ${names.batchSizeShort} ${input.options.batchSize}, ` +
    `and ${SIZING_MODEL.deviceMargin * 100}% runtime margin)`;
  const fail = (problem: string): never => {
    throw new ValidationError("NeuronxCompile sizing", [problem]);
  };

  const minDegree = TP_DEGREES.find((d) => d * NEURON_CORE_MEMORY_GIB * GiB >= needs.deviceBytes);
  if (minDegree === undefined) {
    const largest = INF2_INSTANCE_TYPES[INF2_INSTANCE_TYPES.length - 1];
    fail(
      `${model} is too large for Inferentia2: it needs ${needsText()}, more than the ` +
        `${largest.neuronCores * NEURON_CORE_MEMORY_GIB} GiB of the ${largest.neuronCores} NeuronCores of ${largest.name}, ` +
        `the largest inf2 instance; ${input.options.quantDtype || !names.quantization ? "" : `${names.quantization}, `}` +
        `lower ${names.nPositions} or ${names.batchSizeShort}, or choose a smaller model`,
    );
  }
  const needDegree = minDegree as number;

  const lookup = (prop: string, name: string | undefined): Inf2InstanceType | undefined => {
    if (name === undefined) return undefined;
    const inf1 = inf1Problem(prop, name);
    if (inf1) fail(inf1);
    return findInf2InstanceType(name) ?? fail(`${prop} must be one of ${INF2_INSTANCE_TYPE_NAMES}, got ${JSON.stringify(name)}`);
  };
  const servingOverride = lookup("servingInstanceType", input.servingInstanceType);
  const compileOverride = lookup("instanceType", input.compileInstanceType);

  const explicit = input.tpDegree;
  if (explicit !== undefined) {
    if (!TP_DEGREES.includes(explicit)) {
      fail(`${names.tpDegree} must be one of ${TP_DEGREES.join(", ")}, got ${explicit}`);
    }
    if (explicit < needDegree) {
      fail(
        `${names.tpDegree} ${explicit} gives ${explicit * NEURON_CORE_MEMORY_GIB} GiB of NeuronCore memory, but ${model} needs ` +
          `${needsText()}; set ${names.tpDegreeShort} to ${needDegree} or more, or leave it unset to choose it from the model`,
      );
    }
  }

  const checkCores = (prop: string, t: Inf2InstanceType, degree: number, hostBytes: number) => {
    if (t.neuronCores < degree) {
      const better = smallest(degree, hostBytes);
      fail(
        `${names.tpDegree} must be one of ${TP_DEGREES.join(", ")} and at most the ${t.neuronCores} NeuronCores of ${t.name}, ` +
          `got ${degree}${explicit === undefined ? ` (the least that holds ${model})` : ""}; ` +
          `${explicit === undefined ? "" : `lower ${names.tpDegreeShort} or `}set ${prop} to ${better?.name ?? "a larger inf2 type"}`,
      );
    }
  };
  const checkHost = (prop: string, t: Inf2InstanceType, hostBytes: number, what: string, degree: number) => {
    if (t.memoryGiB * GiB < hostBytes) {
      fail(
        `${prop} ${t.name} has ${t.memoryGiB} GiB of host memory, but ${what} ${model} needs about ${gib(hostBytes)}; ` +
          `set ${prop} to ${smallest(degree, hostBytes)?.name ?? "a larger inf2 type"} or leave it unset`,
      );
    }
  };

  // Serving instance: explicit, or the smallest with the cores and host memory the model needs.
  const servingDegree = explicit ?? needDegree;
  let serving: Inf2InstanceType;
  if (servingOverride) {
    checkCores("servingInstanceType", servingOverride, servingDegree, needs.servingHostBytes);
    checkHost("servingInstanceType", servingOverride, needs.servingHostBytes, "serving", servingDegree);
    serving = servingOverride;
  } else {
    serving =
      smallest(servingDegree, needs.servingHostBytes) ??
      fail(`${model} needs ${gib(needs.servingHostBytes)} of host memory to serve, more than any inf2 instance has`);
  }

  // Use every core the serving instance allows, unless an explicit compile instance has fewer.
  const tpDegree = explicit ?? largestDegreeFor(Math.min(serving.neuronCores, compileOverride?.neuronCores ?? Infinity));

  let compile: Inf2InstanceType;
  if (compileOverride) {
    checkCores("instanceType", compileOverride, Math.max(tpDegree, needDegree), needs.compileHostBytes);
    checkHost("instanceType", compileOverride, needs.compileHostBytes, "compiling", tpDegree);
    compile = compileOverride;
  } else {
    compile =
      smallest(tpDegree, needs.compileHostBytes) ??
      fail(`${model} needs ${gib(needs.compileHostBytes)} of host memory to compile, more than any inf2 instance has`);
  }

  return { tpDegree, compileInstanceType: compile.name, servingInstanceType: serving.name, ...needs };
}

function describeDtype(o: ResolvedCompileOptions): string {
  return o.quantDtype ? `${o.quantDtype} weights, ${o.amp}` : o.amp;
}

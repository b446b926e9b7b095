/**
 * The one table of Inferentia2 facts that sizing, validation and the
 * generated HCL derive from. Figures from the EC2 inf2 instance type page.
 */

/** An EC2 Inferentia2 instance type (the SageMaker name adds the `ml.` prefix). */
export interface Inf2InstanceType {
  /** EC2 name, e.g. `inf2.xlarge`. */
  readonly name: Inf2InstanceTypeName;
  /** NeuronCores (two per Inferentia2 chip). */
  readonly neuronCores: number;
  /** vCPUs of the host. */
  readonly vcpus: number;
  /** Host memory in GiB. */
  readonly memoryGiB: number;
}

/** Names of the Inferentia2 instance types, smallest first. */
export type Inf2InstanceTypeName = "inf2.xlarge" | "inf2.8xlarge" | "inf2.24xlarge" | "inf2.48xlarge";

/** Inferentia2 instance types, smallest (and cheapest) first. */
export const INF2_INSTANCE_TYPES: readonly Inf2InstanceType[] = [
  { name: "inf2.xlarge", neuronCores: 2, vcpus: 4, memoryGiB: 16 },
  { name: "inf2.8xlarge", neuronCores: 2, vcpus: 32, memoryGiB: 128 },
  { name: "inf2.24xlarge", neuronCores: 12, vcpus: 96, memoryGiB: 384 },
  { name: "inf2.48xlarge", neuronCores: 24, vcpus: 192, memoryGiB: 768 },
];

/** Device memory of one NeuronCore-v2, in GiB (32 GiB per Inferentia2 chip, two cores a chip). */
export const NEURON_CORE_MEMORY_GIB = 16;

/** Tensor parallel degrees the Neuron runtime supports on Inf2. */
export const TP_DEGREES: readonly number[] = [1, 2, 4, 8, 24];

/** Automatic mixed precision types of transformers-neuronx, with bytes per weight. */
export const AMP_BYTES = { bf16: 2, f16: 2, f32: 4 } as const;

/** An `amp` value of transformers-neuronx. */
export type Amp = keyof typeof AMP_BYTES;

/** Looks an instance type up by its EC2 name; undefined when it is not an Inferentia2 type. */
export function findInf2InstanceType(name: string): Inf2InstanceType | undefined {
  return INF2_INSTANCE_TYPES.find((t) => t.name === name);
}

/**
 * Why Inferentia1 types are refused: transformers-neuronx runs on NeuronCore-v2 (Inf2, Trn1) only, and the Neuron
 * SDK has left Inf1 (Neuron DLAMIs from 2.26.1 "no longer support Inf1 instance types due to an incompatibility
 * with the Neuron driver", Neuron DLAMI User Guide, awsdocs-neuron v2.32.0).
 */
export const INF1_REFUSAL =
  "Inf1 (Inferentia1) is not supported: transformers-neuronx runs only on Inf2 and Trn1, and the Neuron SDK no longer supports Inf1";

/** The problem with an Inferentia1 type (`inf1.*` or `ml.inf1.*`) named by a prop, or undefined for any other type. */
export function inf1Problem(prop: string, name: unknown): string | undefined {
  if (typeof name !== "string" || !/^(ml\.)?inf1\./.test(name)) return undefined;
  const inf2 = INF2_INSTANCE_TYPES.map((t) => (name.startsWith("ml.") ? `ml.${t.name}` : t.name)).join(", ");
  return `${prop} ${name} is an Inf1 type. ${INF1_REFUSAL}; use an Inf2 type (${inf2})`;
}

/** `inf2.xlarge, inf2.8xlarge, ...` for error messages. */
export const INF2_INSTANCE_TYPE_NAMES = INF2_INSTANCE_TYPES.map((t) => t.name).join(", ");

/** Weight-storage quantization types of transformers-neuronx, with bytes per weight. */
export const QUANT_DTYPE_BYTES = { s8: 1 } as const;

/** Neuron compiler optimization levels (`neuronx-cc --optlevel`). */
export const OPT_LEVELS: readonly number[] = [1, 2, 3];

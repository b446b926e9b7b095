import * as fs from "fs";
import * as path from "path";
import { AssetType, Fn, ITerraformDependable, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { S3ObjectCopy } from "@cdktf/provider-aws/lib/s3-object-copy";
import { Problems } from "./errors";
import { packageAsset } from "./private/assets";
import { INF2_INSTANCE_TYPES, INF2_INSTANCE_TYPE_NAMES, findInf2InstanceType } from "./neuron-spec";
import { RULES, ruleViolation } from "./patterns";
import { nameElement, snakeCase } from "./private/naming";
import { stageGenerated, uploadDirectory } from "./private/s3-directory";
import { PlanCheck, Validator, preconditions, show } from "./private/validation";
import { currentPartition } from "./private/stack-singletons";

/**
 * Triton's data types (model_config.proto `DataType`, as tritonclient 2.73's model_config_pb2
 * lists them) that the Python backend hands to model.py as numpy arrays. TYPE_BF16 has no numpy
 * type (the backend passes it through DLPack only) and TYPE_INVALID is no type.
 */
export const TRITON_DATA_TYPES = [
  "TYPE_BOOL",
  "TYPE_UINT8",
  "TYPE_UINT16",
  "TYPE_UINT32",
  "TYPE_UINT64",
  "TYPE_INT8",
  "TYPE_INT16",
  "TYPE_INT32",
  "TYPE_INT64",
  "TYPE_FP16",
  "TYPE_FP32",
  "TYPE_FP64",
  "TYPE_STRING",
] as const;

/** A Triton data type of {@link TRITON_DATA_TYPES}. */
export type TritonDataType = (typeof TRITON_DATA_TYPES)[number];

/**
 * The Python backend model every Neuron model of the repository runs, and the names of the
 * parameters config.pbtxt passes it (python/triton_neuron/model.py reads the same; a test checks).
 */
export const TRITON_NEURON_MODEL = {
  file: packageAsset("python/triton_neuron/model.py"),
  /** The instance group's name: Triton names instances `<group>_<index>` (or `<group>` alone when count is 1). */
  instanceGroup: "neuron",
  parameters: {
    compiledModel: "NEURON_COMPILED_MODEL",
    compiledBatchSize: "NEURON_COMPILED_BATCH_SIZE",
    coresPerInstance: "NEURON_CORES_PER_INSTANCE",
    firstCore: "NEURON_FIRST_CORE",
    instanceGroup: "NEURON_INSTANCE_GROUP",
  },
} as const;

/** Limits Triton or this repository's model.py sets. */
export const TRITON_LIMITS = {
  /** Tensors of a Neuron model: TorchScript has no names, so `<name>__<index>` gives the position. */
  tensorName: /^[A-Za-z][A-Za-z0-9_]*__(\d+)$/,
  /** Model and ensemble names: a directory of the repository. */
  modelName: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  /** An ensemble's tensors. */
  ensembleTensorName: /^[A-Za-z][A-Za-z0-9_]*$/,
  /** Dynamic batching's queue delay we accept (10 s). */
  maxQueueDelayMicroseconds: 10_000_000,
  /** Batch sizes we accept. */
  maxBatchSize: 1024,
} as const;

/** A tensor of a model: its name, its Triton data type and its dims without the batch dimension. */
export interface TritonTensor {
  /** `INPUT__0`, `OUTPUT__1`, ...: the index is the position in the TorchScript model's arguments or results. */
  readonly name: string;
  /** A Triton data type, e.g. `TYPE_INT64`. */
  readonly dataType: TritonDataType;
  /** Dims without the batch dimension; fixed, as Neuron compiles static shapes. */
  readonly dims: number[];
}

/** Dynamic batching of a model's requests. */
export interface TritonDynamicBatching {
  /**
   * Batch sizes the scheduler prefers to form; each at most maxBatchSize and at most what one instance runs at once.
   * @default - the batch one instance runs at once (compiledBatchSize x neuronCoresPerInstance), when it is at most maxBatchSize
   */
  readonly preferredBatchSizes?: number[];
  /**
   * Microseconds a request may wait for others to form a preferred batch.
   * @default 100
   */
  readonly maxQueueDelayMicroseconds?: number;
}

/** The TorchScript model compiled with torch-neuronx (`torch_neuronx.trace`), the file model.py loads. */
export abstract class TritonCompiledModel {
  /** A file on this machine, uploaded next to model.py (`<model>/1/model.pt`). */
  public static fromLocalFile(file: string): TritonCompiledModel {
    const resolved = path.resolve(file);
    const isFile = fs.existsSync(resolved) && fs.statSync(resolved).isFile();
    return new (class extends TritonCompiledModel {
      public readonly sizeBytes = isFile ? fs.statSync(resolved).size : undefined;
      public readonly problem =
        !fs.existsSync(resolved) || !fs.statSync(resolved).isFile()
          ? `compiledModel ${JSON.stringify(file)} is not a file (${resolved}); trace the model with torch_neuronx.trace and save it with torch.jit.save`
          : undefined;
      public place(scope: Construct, id: string, bucket: string, key: string): ITerraformDependable {
        const asset = new TerraformAsset(scope, `${id}Asset`, { path: resolved, type: AssetType.FILE });
        return new S3Object(scope, id, { bucket, key, source: asset.path, sourceHash: Fn.filemd5(asset.path) });
      }
    })();
  }

  /**
   * An object already in S3 (e.g. written by a compile job), copied into the repository by S3.
   * @param sizeMiB its size, which sizes the endpoint's volume and timeouts (unknown: the smallest defaults)
   */
  public static fromS3Object(bucket: string, key: string, sizeMiB?: number): TritonCompiledModel {
    // The copy reads the source with Terraform's credentials: a bucket name and a key S3 accepts (RULES.bucketName).
    const why =
      typeof bucket !== "string" ? "is not a string" : Token.isUnresolved(bucket) ? undefined : ruleViolation(RULES.bucketName, bucket);
    const sizeOk = typeof sizeMiB === "number" && Number.isFinite(sizeMiB) && sizeMiB > 0;
    const problems = [
      ...(sizeMiB === undefined || sizeOk ? [] : [`compiledModel's sizeMiB must be a positive number of MiB, got ${show(sizeMiB)}`]),
      ...(why === undefined ? [] : [`compiledModel's bucket must be ${RULES.bucketName.allowed}; got ${show(bucket)}, which ${why}`]),
      ...(typeof key === "string" && key.length > 0 && key.length <= 1024
        ? []
        : [`compiledModel's key must be an S3 key of 1 to 1024 characters, got ${show(key)}`]),
    ];
    return new (class extends TritonCompiledModel {
      public readonly problem = problems.length > 0 ? problems.join("; ") : undefined;
      public readonly sizeBytes = sizeOk ? (sizeMiB as number) * 2 ** 20 : undefined;
      public place(scope: Construct, id: string, targetBucket: string, targetKey: string): ITerraformDependable {
        return new S3ObjectCopy(scope, id, { bucket: targetBucket, key: targetKey, source: `${bucket}/${key}` });
      }
    })();
  }

  /** Why it cannot be used, if so. */
  public abstract readonly problem?: string;
  /** Its size in bytes, when known. */
  public abstract readonly sizeBytes?: number;
  /** Puts the file at `key` of the repository's bucket. */
  public abstract place(scope: Construct, id: string, bucket: string, key: string): ITerraformDependable;
}

/** A Neuron-compiled model served by Triton's Python backend. */
export interface TritonNeuronModel {
  /** The model's name: its directory in the repository. */
  readonly name: string;
  /** The compiled TorchScript model. */
  readonly compiledModel: TritonCompiledModel;
  /** The batch size the model was traced with (dim 0 of every input). */
  readonly compiledBatchSize: number;
  /** Inputs, `INPUT__0` ... in the traced model's argument order. */
  readonly inputs: TritonTensor[];
  /** Outputs, `OUTPUT__0` ... in the traced model's result order. */
  readonly outputs: TritonTensor[];
  /**
   * The largest batch Triton forms or accepts; model.py runs it in chunks of what an instance runs at once.
   * @default - the batch one instance runs at once (compiledBatchSize x neuronCoresPerInstance)
   */
  readonly maxBatchSize?: number;
  /**
   * Dynamic batching.
   * @default - on, with the defaults of {@link TritonDynamicBatching}
   */
  readonly dynamicBatching?: TritonDynamicBatching | false;
  /**
   * Model instances (Triton's instance group count, KIND_MODEL); each loads the model on its own NeuronCores.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * NeuronCores of each instance; with more than one, torch_neuronx.DataParallel splits a batch across them.
   * @default 1
   */
  readonly neuronCoresPerInstance?: number;
}

/** One step of an ensemble. */
export interface TritonEnsembleStep {
  /** A model of the repository. */
  readonly modelName: string;
  /** The step model's input name -> the ensemble tensor it reads. */
  readonly inputMap: Record<string, string>;
  /** The step model's output name -> the ensemble tensor it writes. */
  readonly outputMap: Record<string, string>;
}

/** An ensemble over the repository's models: what SageMaker loads when the repository holds more than one model. */
export interface TritonEnsemble {
  /** The ensemble's name: SAGEMAKER_TRITON_DEFAULT_MODEL_NAME. */
  readonly name: string;
  /** Its inputs (any tensor names). */
  readonly inputs: TritonTensor[];
  /** Its outputs. */
  readonly outputs: TritonTensor[];
  /** The steps, in order. */
  readonly steps: TritonEnsembleStep[];
}

/** What the repository holds: pure data, rendered by {@link renderTritonModelRepository}. */
export interface TritonModelRepositorySpec {
  /** The inf2 instance type the repository is served on, e.g. `inf2.xlarge` (`ml.` accepted). */
  readonly instanceType: string;
  /** The Neuron models. */
  readonly models: TritonNeuronModel[];
  /**
   * An ensemble over the models; required with more than one model (SageMaker's Triton serve script loads one model or one ensemble).
   * @default - none (then there must be exactly one model)
   */
  readonly ensemble?: TritonEnsemble;
}

/** Props of {@link TritonNeuronModelRepository}. */
export interface TritonNeuronModelRepositoryProps extends TritonModelRepositorySpec {
  /** The bucket of the repository: a bucket of this stack, or a name. */
  readonly bucket: S3Bucket | string;
  /**
   * Key prefix of the repository (the SageMaker model's uncompressed S3Prefix), ending in `/`.
   * @default "triton/<construct id in snake case>/"
   */
  readonly keyPrefix?: string;
  /**
   * The Neuron SDK release the models were traced with, e.g. `2.21.0`: an endpoint then refuses an image
   * of another release (a Neuron model loads only in the runtime of the SDK that traced it).
   * @default - not checked
   */
  readonly neuronSdkVersion?: string;
}

/** A model's settings after defaults, and where its instances sit. */
export interface ResolvedTritonModel {
  readonly name: string;
  readonly compiledBatchSize: number;
  readonly maxBatchSize: number;
  readonly instanceCount: number;
  readonly neuronCoresPerInstance: number;
  /** The first NeuronCore of instance 0; instance i has cores firstCore + i x neuronCoresPerInstance onwards. */
  readonly firstCore: number;
  readonly dynamicBatching?: { readonly preferredBatchSizes: number[]; readonly maxQueueDelayMicroseconds: number };
  readonly inputs: TritonTensor[];
  readonly outputs: TritonTensor[];
}

/** The rendered repository: its files, the model SageMaker must load, and the shared memory its tensors need. */
export interface RenderedTritonRepository {
  /** Path in the repository -> content (config.pbtxt and model.py of each model, the ensemble's config). */
  readonly files: Map<string, string>;
  /** The models after defaults, with their NeuronCores. */
  readonly models: ResolvedTritonModel[];
  /** The one model or ensemble SageMaker loads: SAGEMAKER_TRITON_DEFAULT_MODEL_NAME. */
  readonly defaultModelName: string;
  /** NeuronCores the repository uses, of the instance type's. */
  readonly neuronCoresUsed: number;
  /**
   * Bytes of the largest request or response of a full batch (fixed-size types; TYPE_STRING counts 1 KiB an element):
   * the Python backend's shared memory must hold it (SAGEMAKER_TRITON_SHM_DEFAULT_BYTE_SIZE).
   */
  readonly largestBatchBytes: number;
}

const BYTES: Record<TritonDataType, number> = {
  TYPE_BOOL: 1,
  TYPE_UINT8: 1,
  TYPE_UINT16: 2,
  TYPE_UINT32: 4,
  TYPE_UINT64: 8,
  TYPE_INT8: 1,
  TYPE_INT16: 2,
  TYPE_INT32: 4,
  TYPE_INT64: 8,
  TYPE_FP16: 2,
  TYPE_FP32: 4,
  TYPE_FP64: 8,
  TYPE_STRING: 1024,
};

const HEADER = "# Generated by cdktf-neuronx-patterns (TritonNeuronModelRepository). Do not edit: change the construct's props.\n";

/**
 * Checks a repository spec as Triton would only at load, and renders its files. Every problem
 * names the prop (`models[0].inputs[1].name`), the value and what is allowed.
 */
export function renderTritonModelRepository(
  spec: TritonModelRepositorySpec,
  scope = "TritonNeuronModelRepository",
): RenderedTritonRepository {
  const problems = new Problems();
  const typeName = spec.instanceType.replace(/^ml\./, "");
  const instance = findInf2InstanceType(typeName);
  problems.when(
    !instance,
    () => `instanceType must be one of ${INF2_INSTANCE_TYPE_NAMES} (with or without "ml."), got ${JSON.stringify(spec.instanceType)}`,
  );
  problems.when(spec.models.length === 0, "models must hold at least one model");
  problems.when(
    spec.models.length > 1 && !spec.ensemble,
    () =>
      `models holds ${spec.models.length} models but no ensemble; SageMaker's Triton serve script loads one model, or one ensemble ` +
      `(SAGEMAKER_TRITON_DEFAULT_MODEL_NAME): add an ensemble over them, or serve each from its own endpoint`,
  );
  const names = new Set<string>();
  const resolved: ResolvedTritonModel[] = [];
  let nextCore = 0;
  spec.models.forEach((m, i) => {
    const at = `models[${i}]`;
    problems.when(
      !TRITON_LIMITS.modelName.test(m.name),
      () =>
        `${at}.name must be 1 to 64 letters, digits, dots, hyphens and underscores, starting with a letter or digit, got ${JSON.stringify(m.name)}`,
    );
    problems.when(
      names.has(m.name),
      () => `${at}.name ${JSON.stringify(m.name)} is used twice; each model is a directory of the repository`,
    );
    names.add(m.name);
    if (m.compiledModel.problem) problems.add(`${at}.${m.compiledModel.problem}`);
    const positive = (prop: string, v: number, max: number) =>
      problems.when(!(Number.isInteger(v) && v >= 1 && v <= max), () => `${at}.${prop} must be a whole number from 1 to ${max}, got ${v}`);
    positive("compiledBatchSize", m.compiledBatchSize, TRITON_LIMITS.maxBatchSize);
    const count = m.instanceCount ?? 1;
    const cores = m.neuronCoresPerInstance ?? 1;
    positive("instanceCount", count, 24);
    positive("neuronCoresPerInstance", cores, 24);
    const perRun = m.compiledBatchSize * cores;
    const maxBatchSize = m.maxBatchSize ?? perRun;
    positive("maxBatchSize", maxBatchSize, TRITON_LIMITS.maxBatchSize);
    checkTensors(problems, `${at}.inputs`, m.inputs, true);
    checkTensors(problems, `${at}.outputs`, m.outputs, true);

    let dynamicBatching: ResolvedTritonModel["dynamicBatching"];
    if (m.dynamicBatching !== false) {
      const db = m.dynamicBatching ?? {};
      const preferred = db.preferredBatchSizes ?? (perRun <= maxBatchSize ? [perRun] : []);
      const delay = db.maxQueueDelayMicroseconds ?? 100;
      preferred.forEach((size, j) => {
        problems.when(
          !(Number.isInteger(size) && size >= 1 && size <= maxBatchSize),
          () =>
            `${at}.dynamicBatching.preferredBatchSizes[${j}] must be a whole number from 1 to maxBatchSize ${maxBatchSize}, got ${size}`,
        );
        problems.when(
          Number.isInteger(size) && size > perRun && size <= maxBatchSize,
          () =>
            `${at}.dynamicBatching.preferredBatchSizes[${j}] is ${size}, more than the ${perRun} one instance runs at once ` +
            `(compiledBatchSize ${m.compiledBatchSize} x neuronCoresPerInstance ${cores}); prefer ${perRun} or a divisor of it`,
        );
      });
      problems.when(
        new Set(preferred).size !== preferred.length,
        () => `${at}.dynamicBatching.preferredBatchSizes must not repeat a size, got [${preferred.join(", ")}]`,
      );
      problems.when(
        !(Number.isInteger(delay) && delay >= 0 && delay <= TRITON_LIMITS.maxQueueDelayMicroseconds),
        () =>
          `${at}.dynamicBatching.maxQueueDelayMicroseconds must be a whole number from 0 to ${TRITON_LIMITS.maxQueueDelayMicroseconds}, got ${delay}`,
      );
      dynamicBatching = { preferredBatchSizes: [...preferred].sort((a, b) => a - b), maxQueueDelayMicroseconds: delay };
    }
    resolved.push({
      name: m.name,
      compiledBatchSize: m.compiledBatchSize,
      maxBatchSize,
      instanceCount: count,
      neuronCoresPerInstance: cores,
      firstCore: nextCore,
      dynamicBatching,
      inputs: sortByIndex(m.inputs),
      outputs: sortByIndex(m.outputs),
    });
    nextCore += count * cores;
  });
  problems.when(instance !== undefined && nextCore > instance.neuronCores, () => {
    const uses = resolved.map((r) => `${r.name}: ${r.instanceCount} x ${r.neuronCoresPerInstance}`).join(", ");
    const fits = INF2_INSTANCE_TYPES.find((t) => t.neuronCores >= nextCore)?.name;
    return (
      `the models' instances need ${nextCore} NeuronCores (instanceCount x neuronCoresPerInstance; ${uses}), but ${typeName} has ${instance?.neuronCores}; ` +
      (fits ? `use ${fits}, or fewer instances` : `use fewer instances or cores per instance`)
    );
  });
  if (spec.ensemble) checkEnsemble(problems, spec.ensemble, spec.models, names);
  problems.throwIfAny(scope);

  const files = new Map<string, string>();
  const modelPy = fs.readFileSync(TRITON_NEURON_MODEL.file, "utf8");
  for (const m of resolved) {
    files.set(`${m.name}/config.pbtxt`, renderModelConfig(m));
    files.set(`${m.name}/1/model.py`, modelPy);
  }
  if (spec.ensemble)
    files.set(`${spec.ensemble.name}/config.pbtxt`, renderEnsembleConfig(spec.ensemble, Math.min(...resolved.map((m) => m.maxBatchSize))));
  // A directory Triton can load needs a version directory even for an ensemble.
  if (spec.ensemble) files.set(`${spec.ensemble.name}/1/.keep`, "");

  const batchBytes = (tensors: TritonTensor[], batch: number) =>
    tensors.reduce((sum, t) => sum + batch * BYTES[t.dataType] * t.dims.reduce((a, b) => a * b, 1), 0);
  const largestBatchBytes = Math.max(
    ...resolved.flatMap((m) => [batchBytes(m.inputs, m.maxBatchSize), batchBytes(m.outputs, m.maxBatchSize)]),
  );
  return {
    files,
    models: resolved,
    defaultModelName: spec.ensemble ? spec.ensemble.name : resolved[0].name,
    neuronCoresUsed: nextCore,
    largestBatchBytes,
  };
}

function sortByIndex(tensors: TritonTensor[]): TritonTensor[] {
  const index = (t: TritonTensor) => Number(TRITON_LIMITS.tensorName.exec(t.name)?.[1] ?? 0);
  return [...tensors].sort((a, b) => index(a) - index(b));
}

function checkTensors(problems: Problems, at: string, tensors: TritonTensor[], positional: boolean): void {
  problems.when(tensors.length === 0, `${at} must name at least one tensor`);
  const indices: number[] = [];
  const seen = new Set<string>();
  tensors.forEach((t, i) => {
    const match = positional ? TRITON_LIMITS.tensorName.exec(t.name) : TRITON_LIMITS.ensembleTensorName.exec(t.name);
    problems.when(!match, () =>
      positional
        ? `${at}[${i}].name must be <name>__<index> (e.g. INPUT__0): a TorchScript model has no tensor names, so the index is the position; got ${JSON.stringify(t.name)}`
        : `${at}[${i}].name must be letters, digits and underscores, starting with a letter, got ${JSON.stringify(t.name)}`,
    );
    problems.when(seen.has(t.name), () => `${at}[${i}].name ${JSON.stringify(t.name)} is used twice`);
    seen.add(t.name);
    if (positional && match) indices.push(Number(match[1]));
    problems.when(
      !(TRITON_DATA_TYPES as readonly string[]).includes(t.dataType),
      () =>
        `${at}[${i}].dataType must be one of ${TRITON_DATA_TYPES.join(", ")}` +
        `${t.dataType === ("TYPE_BF16" as string) ? " (the Python backend gives model.py no numpy array for TYPE_BF16; trace the model with FP32 or FP16 inputs)" : ""}, got ${JSON.stringify(t.dataType)}`,
    );
    problems.when(
      t.dims.length === 0 || !t.dims.every((d) => Number.isInteger(d) && d >= 1),
      () =>
        `${at}[${i}].dims must be positive whole numbers without the batch dimension (Neuron compiles static shapes, so no -1), got [${t.dims.join(", ")}]`,
    );
  });
  if (positional && indices.length === tensors.length) {
    const sorted = [...indices].sort((a, b) => a - b);
    problems.when(
      sorted.some((v, i) => v !== i),
      () =>
        `${at} must be numbered __0 to __${tensors.length - 1} without gaps, as the traced model's positions, got ${tensors.map((t) => t.name).join(", ")}`,
    );
  }
}

function checkEnsemble(problems: Problems, e: TritonEnsemble, models: TritonNeuronModel[], names: Set<string>): void {
  problems.when(
    !TRITON_LIMITS.modelName.test(e.name),
    () => `ensemble.name must be 1 to 64 letters, digits, dots, hyphens and underscores, got ${JSON.stringify(e.name)}`,
  );
  problems.when(names.has(e.name), () => `ensemble.name ${JSON.stringify(e.name)} is also a model's name`);
  checkTensors(problems, "ensemble.inputs", e.inputs, false);
  checkTensors(problems, "ensemble.outputs", e.outputs, false);
  problems.when(e.steps.length === 0, "ensemble.steps must hold at least one step");
  // Ensemble tensors with the type and dims they carry; Triton checks that every map agrees at load.
  const available = new Map(e.inputs.map((t) => [t.name, t]));
  const same = (a: TritonTensor, b: TritonTensor) => a.dataType === b.dataType && a.dims.join(",") === b.dims.join(",");
  const describe = (t: TritonTensor) => `${t.dataType} [${t.dims.join(", ")}]`;
  const used = new Set<string>();
  e.steps.forEach((step, i) => {
    const at = `ensemble.steps[${i}]`;
    const model = models.find((m) => m.name === step.modelName);
    if (!model) {
      problems.add(
        `${at}.modelName must be one of the models (${models.map((m) => m.name).join(", ")}), got ${JSON.stringify(step.modelName)}`,
      );
      return;
    }
    used.add(model.name);
    const inputs = new Map(model.inputs.map((t) => [t.name, t]));
    const outputs = new Map(model.outputs.map((t) => [t.name, t]));
    for (const [own, tensor] of Object.entries(step.inputMap)) {
      const input = inputs.get(own);
      const source = available.get(tensor);
      problems.when(
        !input,
        () => `${at}.inputMap key ${JSON.stringify(own)} is not an input of ${model.name} (${[...inputs.keys()].join(", ")})`,
      );
      problems.when(
        !source,
        () => `${at}.inputMap reads ${JSON.stringify(tensor)}, which is neither an ensemble input nor an output of an earlier step`,
      );
      problems.when(
        !!input && !!source && !same(input, source),
        () => `${at}.inputMap feeds ${tensor} (${describe(source!)}) to ${model.name}'s ${own}, which takes ${describe(input!)}`,
      );
    }
    for (const name of inputs.keys()) {
      problems.when(!(name in step.inputMap), () => `${at}.inputMap does not feed ${model.name}'s input ${name}`);
    }
    for (const [own, tensor] of Object.entries(step.outputMap)) {
      const output = outputs.get(own);
      problems.when(
        !output,
        () => `${at}.outputMap key ${JSON.stringify(own)} is not an output of ${model.name} (${[...outputs.keys()].join(", ")})`,
      );
      if (output) available.set(tensor, output);
    }
  });
  for (const out of e.outputs) {
    const produced = available.get(out.name);
    problems.when(!produced, () => `ensemble.outputs ${out.name} is written by no step's outputMap`);
    problems.when(
      !!produced && !same(produced, out),
      () => `ensemble.outputs ${out.name} is declared ${describe(out)}, but its step writes ${describe(produced!)}`,
    );
  }
  for (const m of models) {
    problems.when(
      !used.has(m.name),
      () =>
        `models ${JSON.stringify(m.name)} is in no ensemble step; SageMaker loads only the ensemble and what it uses, so remove it or add a step`,
    );
  }
}

function tensorBlock(keyword: "input" | "output", tensors: TritonTensor[]): string {
  const items = tensors.map((t) => `  {\n    name: "${t.name}"\n    data_type: ${t.dataType}\n    dims: [ ${t.dims.join(", ")} ]\n  }`);
  return `${keyword} [\n${items.join(",\n")}\n]\n`;
}

function parameter(key: string, value: string | number): string {
  return `parameters: {\n  key: "${key}"\n  value: { string_value: "${value}" }\n}\n`;
}

function renderModelConfig(m: ResolvedTritonModel): string {
  const p = TRITON_NEURON_MODEL.parameters;
  const lastCore = m.firstCore + m.instanceCount * m.neuronCoresPerInstance - 1;
  return [
    HEADER,
    `# NeuronCores ${m.firstCore} to ${lastCore}: instance i uses ${m.neuronCoresPerInstance} from core ${m.firstCore} + i x ${m.neuronCoresPerInstance}.\n`,
    `name: "${m.name}"\n`,
    `backend: "python"\n`,
    `max_batch_size: ${m.maxBatchSize}\n`,
    tensorBlock("input", m.inputs),
    tensorBlock("output", m.outputs),
    m.dynamicBatching
      ? `dynamic_batching {\n` +
        (m.dynamicBatching.preferredBatchSizes.length
          ? `  preferred_batch_size: [ ${m.dynamicBatching.preferredBatchSizes.join(", ")} ]\n`
          : "") +
        `  max_queue_delay_microseconds: ${m.dynamicBatching.maxQueueDelayMicroseconds}\n}\n`
      : "",
    `instance_group [\n  {\n    name: "${TRITON_NEURON_MODEL.instanceGroup}"\n    kind: KIND_MODEL\n    count: ${m.instanceCount}\n  }\n]\n`,
    parameter(p.compiledModel, "model.pt"),
    parameter(p.compiledBatchSize, m.compiledBatchSize),
    parameter(p.coresPerInstance, m.neuronCoresPerInstance),
    parameter(p.firstCore, m.firstCore),
    parameter(p.instanceGroup, TRITON_NEURON_MODEL.instanceGroup),
  ].join("");
}

function renderEnsembleConfig(e: TritonEnsemble, maxBatchSize: number): string {
  const map = (keyword: string, m: Record<string, string>) =>
    Object.entries(m)
      .map(([k, v]) => `      ${keyword} {\n        key: "${k}"\n        value: "${v}"\n      }\n`)
      .join("");
  const steps = e.steps.map(
    (s) =>
      `    {\n      model_name: "${s.modelName}"\n      model_version: -1\n${map("input_map", s.inputMap)}${map("output_map", s.outputMap)}    }`,
  );
  return [
    HEADER,
    `name: "${e.name}"\n`,
    `platform: "ensemble"\n`,
    `max_batch_size: ${maxBatchSize}\n`,
    tensorBlock("input", e.inputs),
    tensorBlock("output", e.outputs),
    `ensemble_scheduling {\n  step [\n${steps.join(",\n")}\n  ]\n}\n`,
  ].join("");
}

/**
 * A Triton model repository for Neuron-compiled models on inf2, uploaded uncompressed to S3 (the
 * SageMaker model's S3Prefix): per model, a `config.pbtxt` (Python backend, dynamic batching, an
 * instance group of KIND_MODEL instances) and a `model.py` that pins each instance to its
 * NeuronCores, with the compiled model beside it; an ensemble's config when there are several.
 * What Triton would only find at load (cores, batch sizes, tensor names, data types) fails the synth.
 */
export class TritonNeuronModelRepository extends Construct {
  /** The rendered repository: files, models and their cores, the model to load, the shared memory needed. */
  public readonly rendered: RenderedTritonRepository;
  /** `s3://<bucket>/<prefix>`: the SageMaker model's S3Prefix. */
  public readonly s3Uri: string;
  /** The bucket name. */
  public readonly bucketName: string;
  /** The bucket ARN. */
  public readonly bucketArn: string;
  /** The key prefix, ending in `/`. */
  public readonly keyPrefix: string;
  /** SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: the one model or the ensemble. */
  public readonly defaultModelName: string;
  /** The uploads, for a SageMaker model to depend on. */
  public readonly uploads: ITerraformDependable[];
  /** Plan-time checks of the bucket and prefix when they are Terraform references, for the resources that use them. */
  public readonly planChecks: readonly PlanCheck[];
  /** The SageMaker instance type the repository is laid out for, `ml.inf2.*`. */
  public readonly instanceType: string;
  /** The Neuron SDK the models were traced with, when given. */
  public readonly neuronSdkVersion?: string;
  /** The compiled models' size in bytes, as far as known (local files; S3 objects given a size). */
  public readonly compiledBytes: number;

  constructor(scope: Construct, id: string, props: TritonNeuronModelRepositoryProps) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? `triton/${snakeCase(id)}/`;
    // The bucket and prefix reach the serving role's policy: the rules of the compile side (no IAM wildcards, no traversal).
    const v = new Validator(this);
    if (!(props.bucket instanceof S3Bucket)) v.string("bucket", props.bucket, RULES.bucketName, { optional: false });
    v.string("keyPrefix", keyPrefix, RULES.keyPrefix, { optional: false });
    v.string("neuronSdkVersion", props.neuronSdkVersion, RULES.neuronSdkVersion, {
      refuseReference: "an endpoint compares it with its image's at synth",
    });
    v.problems.throwIfAny(this.node.path);
    this.planChecks = v.planChecks;
    this.rendered = renderTritonModelRepository(props, this.node.path);
    this.instanceType = `ml.${props.instanceType.replace(/^ml\./, "")}`;
    this.neuronSdkVersion = props.neuronSdkVersion;
    this.compiledBytes = props.models.reduce((sum, m) => sum + (m.compiledModel.sizeBytes ?? 0), 0);
    this.keyPrefix = keyPrefix;
    this.bucketName = typeof props.bucket === "string" ? props.bucket : props.bucket.bucket;
    this.bucketArn = typeof props.bucket === "string" ? `arn:${currentPartition(this).partition}:s3:::${props.bucket}` : props.bucket.arn;
    this.s3Uri = `s3://${this.bucketName}/${keyPrefix}`;
    this.defaultModelName = this.rendered.defaultModelName;

    const { dir } = stageGenerated(this, this.rendered.files);
    const files = uploadDirectory(this, "Files", { dir, bucket: this.bucketName, keyPrefix, pattern: "**", owner: this, suffix: "files" });
    this.uploads = [files];
    // A bucket or prefix from a Terraform reference is checked before anything is uploaded.
    if (v.planChecks.length > 0) files.lifecycle = { precondition: preconditions(this, v.planChecks) };
    props.models.forEach((m) => {
      const placed = m.compiledModel.place(this, `CompiledModel${m.name}`, this.bucketName, `${keyPrefix}${m.name}/1/model.pt`);
      nameElement(placed as S3Object | S3ObjectCopy, this, `${snakeCase(m.name)}_compiled`);
      this.uploads.push(placed);
    });
  }
}

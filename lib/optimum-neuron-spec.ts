import { Construct } from "constructs";
import { SETTINGS_ENV, encodeRevision } from "./compile-settings";
import { ContainerImageConfig, bindDlcImage, ecrImageConfig } from "./container-images";
import { Model, ModelArchitecture, architecturesFromModelId, refusedNamesPattern } from "./model";
import { Amp } from "./neuron-spec";
import { RULES, StringRule } from "./patterns";
import { Validator, show } from "./private/validation";

/**
 * The serving container of the optimum-neuron backend, and what it reads. Sources, all at optimum-neuron tag v0.4.5
 * (huggingface/optimum-neuron) unless named:
 *
 * - The image: the Hugging Face vLLM Neuron DLC, built from docker/vllm/Dockerfile (optimum-neuron with its
 *   `neuronx` and `vllm` extras, the Neuron runtime 2.28 of SDK 2.26.1, `HUGGINGFACE_HUB_CACHE=/tmp`).
 *   docs/source/containers.mdx lists the vLLM DLC by tag (`0.11.0-optimum<version>-neuronx-py310-sdk2.26.1-ubuntu22.04`).
 * - Its entry point (the heredoc of that Dockerfile) turns every `SM_ON_<NAME>=<value>` variable into
 *   `--<name lowercased> <value>` and runs `optimum-cli neuron serve --port 8080 <those>`: SageMaker's port.
 *   docs/source/guides/export_model.mdx ("Exporting options and Docker / SageMaker environment variables") names the
 *   four that must match the export: `SM_ON_MODEL`, `SM_ON_BATCH_SIZE`, `SM_ON_SEQUENCE_LENGTH`,
 *   `SM_ON_TENSOR_PARALLEL_SIZE`.
 * - `optimum-cli neuron serve` (optimum/commands/neuron/serve.py) takes `--model` (a Hub id or a local path: here
 *   `/opt/ml/model`, where SageMaker puts the uncompressed S3 prefix), `--served_model_name`, `--batch_size`,
 *   `--sequence_length`, `--tensor_parallel_size`, `--port`, `--task` and `--allow_non_cached_model`. When the
 *   directory holds a neuron config (an exported model) it refuses to start unless the config's target is the
 *   host's instance family (`inf2` normalizes to `trn1`, optimum/neuron/utils/instance.py) and batch size,
 *   sequence length and TP degree equal the exported ones; it then starts vLLM's OpenAI server with
 *   `--max-num-seqs <batch size> --max-model-len <sequence length> --tensor-parallel-size <tp> --dtype <the
 *   config's dtype>`, unknown arguments appended. The dtype is read from the exported config, not from a variable.
 * - optimum/neuron/vllm/model_loader.py: vLLM's worker refuses a TP degree above the host's NeuronCores, pipeline
 *   or data parallelism above 1; optimum/neuron/vllm/platform.py refuses MLA and forces prefix caching off.
 * - The routes are vLLM's (vllm/entrypoints/openai/api_server.py, v0.11 line): `GET /ping` (health, SageMaker's
 *   check), `POST /v1/chat/completions` (OpenAI chat) and `POST /invocations` (SageMaker's InvokeEndpoint), which
 *   validates the body against each request type in turn, chat completion first: an OpenAI chat request body sent
 *   to InvokeEndpoint is answered as by /v1/chat/completions.
 */
export const OPTIMUM_NEURON_DLC = {
  repository: "huggingface-vllm-inference-neuronx",
  tag: "0.11.0-optimum0.4.5-neuronx-py310-sdk2.26.1-ubuntu22.04",
  neuronSdkVersion: "2.26.1",
  optimumNeuronVersion: "0.4.5",
  vllmVersion: "0.11.0",
} as const;

/** Where SageMaker puts the model data in the container, and what the serving container loads. */
export const OPTIMUM_MODEL_DIR = "/opt/ml/model";

/** The serving container's variables the endpoint sets (docker/vllm/Dockerfile's `SM_ON_` convention). */
export const OPTIMUM_SERVING_ENV = {
  model: "SM_ON_MODEL",
  servedModelName: "SM_ON_SERVED_MODEL_NAME",
  batchSize: "SM_ON_BATCH_SIZE",
  sequenceLength: "SM_ON_SEQUENCE_LENGTH",
  tensorParallelSize: "SM_ON_TENSOR_PARALLEL_SIZE",
  /** huggingface_hub's offline switch: the exported directory is self-contained and the endpoint network-isolated. */
  hubOffline: "HF_HUB_OFFLINE",
} as const;

/**
 * `SM_ON_` variables the `environment` prop may not set besides {@link OPTIMUM_SERVING_ENV}, and why: each becomes an
 * argument of `optimum-cli neuron serve` or of vLLM that would contradict the export or the container's start-up checks.
 */
export const OPTIMUM_RESERVED_SERVE_ARGS: Readonly<Record<string, string>> = {
  SM_ON_PORT: "SageMaker sends requests to port 8080, which the entry point sets",
  SM_ON_MAX_NUM_SEQS: "vLLM's batch size is the exported batch size (exportOptions.batchSize), set by optimum-cli neuron serve",
  SM_ON_MAX_MODEL_LEN:
    "vLLM's context length is the exported sequence length (exportOptions.sequenceLength), set by optimum-cli neuron serve",
  SM_ON_DTYPE: "the dtype is the exported one (exportOptions.dtype), read from the exported config by optimum-cli neuron serve",
  SM_ON_TASK: "the endpoint serves the exported text-generation model (task generate)",
  SM_ON_ALLOW_NON_CACHED_MODEL: "the endpoint serves the exported model; it never compiles at start-up",
  SM_ON_PIPELINE_PARALLEL_SIZE: "optimum-neuron refuses pipeline parallelism above 1 (optimum/neuron/vllm/model_loader.py)",
  SM_ON_DATA_PARALLEL_SIZE: "optimum-neuron refuses data parallelism above 1 (optimum/neuron/vllm/model_loader.py)",
};

/** The compile environment's variables of this backend (the compile job reads the same names). */
export const OPTIMUM_COMPILE_ENV = {
  backend: "NEURONX_BACKEND",
  optimumNeuronVersion: "NEURONX_OPTIMUM_NEURON_VERSION",
  targetInstanceFamily: "NEURONX_TARGET_INSTANCE_FAMILY",
  cacheRepo: "NEURONX_OPTIMUM_CACHE_REPO",
  compileDevices: "NEURONX_COMPILE_DEVICES",
} as const;

/** `NEURONX_BACKEND` of this backend. */
export const OPTIMUM_NEURON_BACKEND = "optimum-neuron";

/**
 * The `model_type`s optimum-neuron 0.4.5 exports for text generation: the `text-generation` registrations of
 * optimum/neuron/models/inference/auto_models.py at tag v0.4.5 (granite, llama, llama4_text, mixtral, phi3, qwen2,
 * qwen3, qwen3_moe, smollm3). Mistral, GPT-2, OPT, BLOOM, GPT-J and GPT-NeoX are not among them.
 */
export const OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES: readonly string[] = [
  "granite",
  "llama",
  "llama4_text",
  "mixtral",
  "phi3",
  "qwen2",
  "qwen3",
  "qwen3_moe",
  "smollm3",
];

/** The ModelArchitecture values whose `model_type` optimum-neuron 0.4.5 exports (Code Llama is a `llama`). */
const EXPORTABLE: Readonly<Partial<Record<ModelArchitecture, string>>> = {
  [ModelArchitecture.LLAMA]: "llama",
  [ModelArchitecture.CODE_LLAMA]: "llama",
  [ModelArchitecture.MIXTRAL]: "mixtral",
};

/** Whether optimum-neuron 0.4.5 cannot export a family (a model type, with its ModelArchitecture when it has one). */
const optimumRefuses = (n: { readonly modelType: string; readonly architecture?: ModelArchitecture }): boolean =>
  !(n.architecture && EXPORTABLE[n.architecture]) && !OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES.includes(n.modelType);

/** The repository names optimumArchitectureProblem refuses, as one RE2 pattern (the HCL module's plan-time check). */
export const optimumRefusedNamesPattern = (): string => refusedNamesPattern(optimumRefuses);

/** Why optimum-neuron 0.4.5 cannot export the model, or undefined when it can (or when only config.json will tell). */
export function optimumArchitectureProblem(model: Model): string | undefined {
  const supported = OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES.join(", ");
  const named = model.architecture
    ? [{ modelType: model.architecture as string, architecture: model.architecture }]
    : architecturesFromModelId(model.modelId);
  const refused = named.find(optimumRefuses);
  if (refused === undefined) return undefined;
  return (
    `model ${model.modelId} is a ${refused.modelType} model, which optimum-neuron ${OPTIMUM_NEURON_DLC.optimumNeuronVersion} cannot export for ` +
    `text generation (it exports ${supported}); use NeuronxCompile (transformers-neuronx) for it, or choose a model of those families`
  );
}

const OPTIMUM_VERSION_RULE: StringRule = {
  what: "an optimum-neuron release",
  allowed: `an optimum-neuron 0.4 release such as "${OPTIMUM_NEURON_DLC.optimumNeuronVersion}" (the export options, serve variables and architectures of this backend are those of 0.4)`,
  example: OPTIMUM_NEURON_DLC.optimumNeuronVersion,
  pattern: /^0\.4\.[0-9]{1,3}$/,
  maxLength: 9,
};

/** The Neuron SDK releases of the vLLM Neuron DLCs of optimum-neuron 0.4 (SDK 2.26: the first without transformers-neuronx). */
const OPTIMUM_SDK_RULE: StringRule = {
  ...RULES.neuronSdkVersion,
  allowed: `a Neuron SDK release from 2.26 such as "${OPTIMUM_NEURON_DLC.neuronSdkVersion}" (the releases of optimum-neuron 0.4's images)`,
  example: OPTIMUM_NEURON_DLC.neuronSdkVersion,
  pattern: /^2\.(?:2[6-9]|[3-9][0-9])(?:\.[0-9]{1,3})?$/,
};

/** The image that exports the model with optimum-neuron and serves it with vLLM: one image, one Neuron SDK. */
export abstract class OptimumNeuronContainerImage {
  /** The pinned Hugging Face vLLM Neuron DLC of the stack's region ({@link OPTIMUM_NEURON_DLC}). */
  public static vllmInferenceNeuronx(): OptimumNeuronContainerImage {
    return new OptimumDlcImage();
  }

  /**
   * An image in a private ECR repository, e.g. a copy of the vLLM Neuron DLC.
   * @param imageUri `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:<digest>`)
   * @param versions the Neuron SDK (from 2.26) and the optimum-neuron release (0.4.x) inside it; part of the cache key
   */
  public static fromEcrUri(
    imageUri: string,
    versions: { readonly neuronSdkVersion: string; readonly optimumNeuronVersion: string },
  ): OptimumNeuronContainerImage {
    return new OptimumEcrImage(imageUri, versions);
  }

  /** The Neuron SDK release of the image; part of the cache key. */
  public abstract readonly neuronSdkVersion: string;
  /** The optimum-neuron release of the image; part of the cache key, and the compile job refuses another. */
  public abstract readonly optimumNeuronVersion: string;

  /** Resolves the image for a stack. */
  public abstract bind(scope: Construct): ContainerImageConfig;
}

class OptimumDlcImage extends OptimumNeuronContainerImage {
  public readonly neuronSdkVersion = OPTIMUM_NEURON_DLC.neuronSdkVersion;
  public readonly optimumNeuronVersion = OPTIMUM_NEURON_DLC.optimumNeuronVersion;

  public bind(scope: Construct): ContainerImageConfig {
    return bindDlcImage(scope, OPTIMUM_NEURON_DLC, {
      name: "The Hugging Face vLLM Neuron DLC",
      fix: "set containerImage to OptimumNeuronContainerImage.fromEcrUri(...)",
    });
  }
}

class OptimumEcrImage extends OptimumNeuronContainerImage {
  public readonly neuronSdkVersion: string;
  public readonly optimumNeuronVersion: string;

  constructor(
    private readonly imageUri: string,
    versions: { readonly neuronSdkVersion: string; readonly optimumNeuronVersion: string },
  ) {
    super();
    const v = new Validator();
    const why = "it names the repository the roles may pull from and the cache key";
    v.string("imageUri", imageUri, RULES.ecrImageUri, { optional: false, refuseReference: why });
    if (v.record("versions", versions, { optional: false, what: "an object of neuronSdkVersion and optimumNeuronVersion" })) {
      v.string("versions.neuronSdkVersion", versions.neuronSdkVersion, OPTIMUM_SDK_RULE, { optional: false, refuseReference: why });
      v.string("versions.optimumNeuronVersion", versions.optimumNeuronVersion, OPTIMUM_VERSION_RULE, {
        optional: false,
        refuseReference: why,
      });
    }
    v.problems.throwIfAny("OptimumNeuronContainerImage.fromEcrUri");
    this.neuronSdkVersion = versions.neuronSdkVersion;
    this.optimumNeuronVersion = versions.optimumNeuronVersion;
  }

  public bind(scope: Construct): ContainerImageConfig {
    return ecrImageConfig(scope, this.imageUri);
  }
}

/** The dtypes of the export (optimum's `--dtype`/`torch_dtype`: bfloat16, float16, float32), by this library's names. */
export type OptimumNeuronDtype = Amp;

/** optimum-neuron's export options. */
export interface OptimumNeuronExportOptions {
  /**
   * The batch size: the most sequences the container decodes at once (vLLM's `max_num_seqs`).
   * @default 4
   */
  readonly batchSize?: number;
  /**
   * The sequence length: prompt and generated tokens together (vLLM's `max_model_len`); at most the model's
   * `max_position_embeddings` (2048 for TinyLlama, 8192 for Llama 3), or the export fails.
   * @default 4096
   */
  readonly sequenceLength?: number;
  /**
   * The tensor parallel size: the NeuronCores the model is sharded over.
   * @default - from sizing: the NeuronCores of the smallest inf2 type that holds the model
   */
  readonly tensorParallelSize?: number;
  /**
   * The dtype of the weights and activations.
   * @default "bf16"
   */
  readonly dtype?: OptimumNeuronDtype;
}

/** The export options with their defaults applied (the TP degree is sizing's). */
export interface ResolvedOptimumNeuronExportOptions {
  readonly batchSize: number;
  readonly sequenceLength: number;
  readonly dtype: OptimumNeuronDtype;
}

/** Defaults of {@link OptimumNeuronExportOptions}. */
export const OPTIMUM_EXPORT_DEFAULTS = { batchSize: 4, sequenceLength: 4096, dtype: "bf16" } as const;

/** Bounds of the export options (the sequence length as transformers-neuronx's nPositions; batch sizes as vLLM Neuron serves them). */
export const OPTIMUM_EXPORT_LIMITS = { batchSize: { min: 1, max: 256 }, sequenceLength: { min: 128, max: 131072 } } as const;

/** Options of the other backend, refused here with what to use instead. */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  tpDegree: "use exportOptions.tensorParallelSize",
  nPositions: "use exportOptions.sequenceLength",
  amp: "use exportOptions.dtype",
  quantDtype:
    "optimum-neuron 0.4.5 has no weight quantization for this export; choose a larger inf2 type or a smaller model, or use NeuronxCompile with QuantDtype.S8",
  optLevel: "optimum-neuron chooses the Neuron compiler's optimization level itself; there is no such export option",
};

/**
 * Checks the export options, adding a problem for each: unknown keys (the other backend's named with the
 * replacement), values out of range.
 * @param prop how messages name the options, e.g. "exportOptions"
 */
export function resolveOptimumExportOptions(v: Validator, prop: string, options: unknown): ResolvedOptimumNeuronExportOptions {
  const defaults = { ...OPTIMUM_EXPORT_DEFAULTS };
  if (!v.record(prop, options, { what: "an object of batchSize, sequenceLength, tensorParallelSize and dtype" }) || options === undefined) {
    return defaults;
  }
  const o = options as Record<string, unknown>;
  const known = ["batchSize", "sequenceLength", "tensorParallelSize", "dtype"];
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    const why = Object.hasOwn(FOREIGN_OPTIONS, key) ? FOREIGN_OPTIONS[key] : `the options are ${known.join(", ")}`;
    v.problems.add(`${prop}.${key} is not an optimum-neuron export option: ${why}`);
  }
  const { batchSize, sequenceLength } = OPTIMUM_EXPORT_LIMITS;
  v.integer(`${prop}.batchSize`, o.batchSize, batchSize.min, batchSize.max, { unit: "sequences" });
  v.integer(`${prop}.sequenceLength`, o.sequenceLength, sequenceLength.min, sequenceLength.max, { unit: "tokens" });
  if (o.tensorParallelSize !== undefined) v.integer(`${prop}.tensorParallelSize`, o.tensorParallelSize, 1, 24, { unit: "NeuronCores" });
  const dtypes = ["bf16", "f16", "f32"];
  v.problems.when(
    o.dtype !== undefined && !dtypes.includes(o.dtype as string),
    () => `${prop}.dtype must be one of "bf16", "f16", "f32" (bfloat16, float16, float32), got ${show(o.dtype)}`,
  );
  return {
    batchSize: typeof o.batchSize === "number" ? o.batchSize : defaults.batchSize,
    sequenceLength: typeof o.sequenceLength === "number" ? o.sequenceLength : defaults.sequenceLength,
    dtype: dtypes.includes(o.dtype as string) ? (o.dtype as OptimumNeuronDtype) : defaults.dtype,
  };
}

/** The instance family optimum-neuron compiles for (`--instance_type`): only inf2 here. */
export type OptimumTargetInstanceFamily = "inf2";

/**
 * Everything that determines optimum-neuron's exported artifacts. Defined once, it names the cache key, the compile
 * job's environment and the serving container's, so that the container's start-up checks cannot disagree with the export.
 */
export class OptimumNeuronSettings {
  /** The Hugging Face model id. */
  public readonly modelId: string;
  /** The Hugging Face revision. */
  public readonly revision: string;
  /** The Neuron SDK of the image. */
  public readonly neuronSdkVersion: string;
  /** The optimum-neuron release of the image. */
  public readonly optimumNeuronVersion: string;
  /** `tensor_parallel_size`. */
  public readonly tensorParallelSize: number;
  /** `sequence_length`. */
  public readonly sequenceLength: number;
  /** `batch_size`. */
  public readonly batchSize: number;
  /** The dtype. */
  public readonly dtype: OptimumNeuronDtype;
  /** The instance family compiled for. */
  public readonly targetInstanceFamily: OptimumTargetInstanceFamily = "inf2";

  constructor(
    model: Model,
    options: ResolvedOptimumNeuronExportOptions,
    tensorParallelSize: number,
    image: { readonly neuronSdkVersion: string; readonly optimumNeuronVersion: string },
  ) {
    this.modelId = model.modelId;
    this.revision = model.revision;
    this.neuronSdkVersion = image.neuronSdkVersion;
    this.optimumNeuronVersion = image.optimumNeuronVersion;
    this.tensorParallelSize = tensorParallelSize;
    this.sequenceLength = options.sequenceLength;
    this.batchSize = options.batchSize;
    this.dtype = options.dtype;
  }

  /**
   * The S3 key prefix of the artifacts, ending in `/`:
   * `<model>/<encoded revision>/optimum-neuron-<version>-sdk<sdk>/tp<N>-sl<S>-bs<B>-<dtype>/`; it never equals a
   * transformers-neuronx prefix (`neuronx-<sdk>/...`) of the same model.
   */
  public get cacheKeyPrefix(): string {
    const variant = `tp${this.tensorParallelSize}-sl${this.sequenceLength}-bs${this.batchSize}-${this.dtype}`;
    return `${this.modelId}/${encodeRevision(this.revision)}/optimum-neuron-${this.optimumNeuronVersion}-sdk${this.neuronSdkVersion}/${variant}/`;
  }

  /** The settings as the compile job reads them (the optimum-job contract's shared and optimum-only names). */
  public get environment(): Record<string, string> {
    return {
      [OPTIMUM_COMPILE_ENV.backend]: OPTIMUM_NEURON_BACKEND,
      [SETTINGS_ENV.modelId]: this.modelId,
      [SETTINGS_ENV.revision]: this.revision,
      [SETTINGS_ENV.neuronSdkVersion]: this.neuronSdkVersion,
      [SETTINGS_ENV.tpDegree]: String(this.tensorParallelSize),
      [SETTINGS_ENV.nPositions]: String(this.sequenceLength),
      [SETTINGS_ENV.batchSize]: String(this.batchSize),
      [SETTINGS_ENV.amp]: this.dtype,
      [OPTIMUM_COMPILE_ENV.optimumNeuronVersion]: this.optimumNeuronVersion,
      [OPTIMUM_COMPILE_ENV.targetInstanceFamily]: this.targetInstanceFamily,
    };
  }

  /**
   * The serving container's variables from the same settings: the model directory, the name the API answers with,
   * and the three values `optimum-cli neuron serve` checks against the exported config (the dtype is read from it).
   * The settings' own variables ride along, so that the endpoint's environment says what it serves.
   */
  public get servingEnvironment(): Record<string, string> {
    return {
      ...this.environment,
      [OPTIMUM_SERVING_ENV.model]: OPTIMUM_MODEL_DIR,
      [OPTIMUM_SERVING_ENV.servedModelName]: this.modelId,
      [OPTIMUM_SERVING_ENV.batchSize]: String(this.batchSize),
      [OPTIMUM_SERVING_ENV.sequenceLength]: String(this.sequenceLength),
      [OPTIMUM_SERVING_ENV.tensorParallelSize]: String(this.tensorParallelSize),
      [OPTIMUM_SERVING_ENV.hubOffline]: "1",
    };
  }
}

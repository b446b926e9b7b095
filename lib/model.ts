import { Token } from "cdktf";
import { Problems, ValidationError } from "./errors";
import { AMP_BYTES, Amp, OPT_LEVELS, QUANT_DTYPE_BYTES, TP_DEGREES } from "./neuron-spec";
import { RULES } from "./patterns";
import { Validator, show } from "./private/validation";

/** The number of weights of a model. */
export class Parameters {
  /** `n` billion parameters, e.g. `Parameters.billion(7)` or `Parameters.billion(1.5)`. */
  public static billion(n: number): Parameters {
    return new Parameters(typeof n === "number" ? n * 1e9 : NaN, `Parameters.billion(${show(n)})`);
  }

  /** `n` million parameters, e.g. `Parameters.million(124)` for gpt2. */
  public static million(n: number): Parameters {
    return new Parameters(typeof n === "number" ? n * 1e6 : NaN, `Parameters.million(${show(n)})`);
  }

  /** The parameter count. */
  public readonly count: number;

  private constructor(count: number, call: string) {
    if (typeof count !== "number" || !Number.isFinite(count) || count < 1 || Token.isUnresolved(count)) {
      throw new ValidationError("Parameters", [`${call} must be a positive number of parameters (finite, and known at synth time)`]);
    }
    this.count = count;
  }

  /** Short form, e.g. `7B`, `1.5B`, `124M`. */
  public toString(): string {
    return formatParameterCount(this.count);
  }
}

/** A parameter count in short form: `7B`, `1.5B`, `124M`. */
export function formatParameterCount(n: number): string {
  return n >= 1e9 ? `${+(n / 1e9).toFixed(2)}B` : `${+(n / 1e6).toFixed(2)}M`;
}

/** Options of {@link Model.fromHuggingFace}. */
export interface HuggingFaceModelOptions {
  /**
   * The number of parameters, used to size the instances.
   * @default - read from the model id (`7b`, `8B`, `1.5B`, `560m`); required when the id does not say it
   */
  readonly parameters?: Parameters;
  /**
   * The Hugging Face revision: a branch, a tag or a commit hash. Pin a commit for reproducible builds:
   * the revision is part of the cache key, so a moving branch is compiled once and then reused.
   * @default "main"
   */
  readonly revision?: string;
  /**
   * Allow pickled PyTorch weights (`pytorch_model*.bin`) when the repository has no safetensors. Loading a
   * pickle runs code from the repository in the compile job (which holds the Hugging Face token) and in
   * the endpoint: allow it only for repositories you trust.
   * @default false - safetensors only; a repository without them fails the compile with the reason
   */
  readonly allowPickleWeights?: boolean;
  /**
   * The model's architecture (its `model_type` in config.json), for a repository whose name does not show it or
   * shows another one, e.g. a Llama fine-tune named after its data set. The compile reads config.json before it
   * downloads any weight and fails at once when the repository's `model_type` is not one transformers-neuronx serves.
   * @default - read from the model id where it names a family (`Llama`, `Mistral`, `Qwen2`, ...): a served family is taken, another one is refused; otherwise known only on the instance
   */
  readonly architecture?: ModelArchitecture;
}

/**
 * The model families (`model_type` of the checkpoint's config.json) that transformers-neuronx 0.13 maps in
 * `NeuronAutoModelForCausalLM` (src/transformers_neuronx/modeling_auto.py, NEURON_MODEL_FOR_CAUSAL_LM_MAPPING,
 * aws-neuron/transformers-neuronx commit 1ade6d7, 2024-12-26, the last public source of 0.13.x).
 */
export enum ModelArchitecture {
  /** Llama 1, 2, 3 and their fine-tunes (`LlamaForSampling`). */
  LLAMA = "llama",
  /** Code Llama (`LlamaForSampling`). */
  CODE_LLAMA = "code_llama",
  /** Mistral (`MistralForSampling`). */
  MISTRAL = "mistral",
  /** Mixtral, a mixture of experts (`MixtralForSampling`). */
  MIXTRAL = "mixtral",
  /** GPT-2 (`GPT2ForSamplingWithContextBroadcasting`). */
  GPT2 = "gpt2",
  /** OPT (`OPTForSampling`). */
  OPT = "opt",
  /** BLOOM (`BloomForSampling`). */
  BLOOM = "bloom",
  /** GPT-J (`GPTJForSampling`): mapped by the library, but its compiled form cannot be saved, so it is refused. */
  GPTJ = "gptj",
  /** GPT-NeoX (`GPTNeoXForSampling`): mapped by the library, but its compiled form cannot be saved, so it is refused. */
  GPT_NEOX = "gpt_neox",
}

/** What this library does with each family of transformers-neuronx, and why. */
export const MODEL_ARCHITECTURES: Readonly<
  Record<ModelArchitecture, { readonly neuronClass: string; readonly served: boolean; readonly why?: string }>
> = {
  [ModelArchitecture.LLAMA]: { neuronClass: "LlamaForSampling", served: true },
  [ModelArchitecture.CODE_LLAMA]: { neuronClass: "LlamaForSampling", served: true },
  [ModelArchitecture.MISTRAL]: { neuronClass: "MistralForSampling", served: true },
  [ModelArchitecture.MIXTRAL]: { neuronClass: "MixtralForSampling", served: true },
  [ModelArchitecture.GPT2]: { neuronClass: "GPT2ForSamplingWithContextBroadcasting", served: true },
  [ModelArchitecture.OPT]: { neuronClass: "OPTForSampling", served: true },
  [ModelArchitecture.BLOOM]: { neuronClass: "BloomForSampling", served: true },
  // gptj/model.py and gptneox/model.py: subclasses of module.PretrainedModel, not base.NeuronModelBase, so they have
  // no save()/load(); the endpoint would have to recompile the model at every instance start.
  [ModelArchitecture.GPTJ]: {
    neuronClass: "GPTJForSampling",
    served: false,
    why: "transformers-neuronx 0.13 cannot save or load a compiled GPT-J (GPTJForSampling has no save/load), so every endpoint instance would recompile it at start",
  },
  [ModelArchitecture.GPT_NEOX]: {
    neuronClass: "GPTNeoXForSampling",
    served: false,
    why: "transformers-neuronx 0.13 cannot save or load a compiled GPT-NeoX (GPTNeoXForSampling has no save/load), so every endpoint instance would recompile it at start",
  },
};

/** The `model_type`s the compile accepts and the endpoint serves. */
export const SERVED_ARCHITECTURES: readonly ModelArchitecture[] = (Object.keys(MODEL_ARCHITECTURES) as ModelArchitecture[]).filter(
  (a) => MODEL_ARCHITECTURES[a].served,
);

/**
 * Names in a repository id that show its architecture. The start of each segment of the repository name (split at
 * "-", "_" and ".") is matched; an id may show none, and then the compile finds out from config.json.
 */
export const ARCHITECTURE_NAME_TOKENS: readonly {
  readonly pattern: RegExp;
  readonly modelType: string;
  readonly architecture?: ModelArchitecture;
}[] = [
  { pattern: /^(code|tiny|open)?llama/i, modelType: "llama", architecture: ModelArchitecture.LLAMA },
  { pattern: /^mistral/i, modelType: "mistral", architecture: ModelArchitecture.MISTRAL },
  { pattern: /^mixtral/i, modelType: "mixtral", architecture: ModelArchitecture.MIXTRAL },
  { pattern: /^gpt2$/i, modelType: "gpt2", architecture: ModelArchitecture.GPT2 },
  { pattern: /^opt$/i, modelType: "opt", architecture: ModelArchitecture.OPT },
  { pattern: /^bloomz?$/i, modelType: "bloom", architecture: ModelArchitecture.BLOOM },
  { pattern: /^gpt-?j$/i, modelType: "gptj", architecture: ModelArchitecture.GPTJ },
  { pattern: /^(gpt-?neox|pythia)$/i, modelType: "gpt_neox", architecture: ModelArchitecture.GPT_NEOX },
  // Families transformers-neuronx 0.13 has no class for ("The configuration model type ... is not supported by Neuron").
  { pattern: /^qwen/i, modelType: "qwen2 / qwen3" },
  { pattern: /^phi\d*$/i, modelType: "phi / phi3" },
  { pattern: /^(recurrent)?gemma/i, modelType: "gemma" },
  { pattern: /^falcon/i, modelType: "falcon" },
  { pattern: /^mpt$/i, modelType: "mpt" },
  { pattern: /^(starcoder|santacoder)/i, modelType: "gpt_bigcode / starcoder2" },
  { pattern: /^codegen/i, modelType: "codegen" },
  { pattern: /^olmo/i, modelType: "olmo" },
  { pattern: /^(chat)?glm/i, modelType: "chatglm" },
  { pattern: /^baichuan/i, modelType: "baichuan" },
  { pattern: /^internlm/i, modelType: "internlm" },
  { pattern: /^granite/i, modelType: "granite" },
  { pattern: /^dbrx/i, modelType: "dbrx" },
  { pattern: /^(jamba|mamba)/i, modelType: "jamba / mamba" },
  { pattern: /^(t5|flan)$/i, modelType: "t5 (not a causal LM)" },
];

/**
 * The refused families of {@link ARCHITECTURE_NAME_TOKENS} as one RE2 pattern over a repository name, for the HCL
 * module's plan-time check: each token at the start of a segment, and at its end where the token says so.
 */
export function refusedNamesPattern(
  refuses: (token: (typeof ARCHITECTURE_NAME_TOKENS)[number]) => boolean = (t) =>
    !t.architecture || !MODEL_ARCHITECTURES[t.architecture].served,
): string {
  const refused = ARCHITECTURE_NAME_TOKENS.filter(refuses);
  const alternatives = refused.map(({ pattern }) => {
    const source = pattern.source.replace(/^\^/, "");
    return source.endsWith("$") ? `(?:${source.slice(0, -1)})(?:[-_.]|$)` : `(?:${source})`;
  });
  return `(?i)(?:^|[-_.])(?:${alternatives.join("|")})`;
}

/** The served families, for messages: `llama, code_llama, mistral, ...`. */
export const SERVED_ARCHITECTURES_TEXT = SERVED_ARCHITECTURES.join(", ");

/** Reads the architecture from a repository id: the families its name shows (none, one, or conflicting). */
export function architecturesFromModelId(modelId: string): { readonly modelType: string; readonly architecture?: ModelArchitecture }[] {
  // The repository name only: an organization ("mistralai", "meta-llama") publishes more than one family.
  const segments = modelId
    .slice(modelId.lastIndexOf("/") + 1)
    .split(/[-_.]/)
    .filter((s) => s.length > 0);
  const found = new Map<string, { modelType: string; architecture?: ModelArchitecture }>();
  // "gpt-j" and "gpt-neox" are split by the "-": look at each segment and the segment joined with the next.
  const candidates = segments.flatMap((s, i) => (i + 1 < segments.length ? [s, `${s}-${segments[i + 1]}`] : [s]));
  for (const candidate of candidates) {
    for (const token of ARCHITECTURE_NAME_TOKENS) {
      if (token.pattern.test(candidate)) found.set(token.modelType, token);
    }
  }
  return [...found.values()];
}

/** Why a model cannot be compiled and served, or undefined: its stated or named architecture is not served. */
function architectureProblem(
  modelId: string,
  stated: ModelArchitecture | undefined,
): { problem?: string; architecture?: ModelArchitecture } {
  const state = (a: string) => `Model.fromHuggingFace(${JSON.stringify(modelId)}, { architecture: ModelArchitecture.${a} })`;
  const served = `transformers-neuronx 0.13 serves ${SERVED_ARCHITECTURES_TEXT}`;
  if (stated !== undefined) {
    const family = Object.prototype.hasOwnProperty.call(MODEL_ARCHITECTURES, stated) ? MODEL_ARCHITECTURES[stated] : undefined;
    if (!family) return { problem: `architecture must be a ModelArchitecture (${SERVED_ARCHITECTURES_TEXT}), got ${show(stated)}` };
    if (!family.served) return { problem: `architecture ${stated} cannot be served: ${family.why}; ${served}` };
    return { architecture: stated };
  }
  const named = architecturesFromModelId(modelId);
  if (named.length === 0) return {};
  if (named.length === 1 && named[0].architecture && MODEL_ARCHITECTURES[named[0].architecture].served) {
    return { architecture: named[0].architecture };
  }
  const refused = named.find((n) => !n.architecture) ?? named.find((n) => n.architecture && !MODEL_ARCHITECTURES[n.architecture].served);
  if (refused?.architecture) {
    return {
      problem:
        `the model id names the ${refused.modelType} architecture, which cannot be served: ${MODEL_ARCHITECTURES[refused.architecture].why}; ` +
        `${served}. Choose a model of one of those families, or if this repository is a fine-tune of one of them, state it, e.g. ${state("LLAMA")}`,
    };
  }
  if (refused) {
    return {
      problem:
        `the model id names the ${refused.modelType} architecture, which transformers-neuronx 0.13 does not support ` +
        `("The configuration model type ... is not supported by Neuron"); ${served}. Choose a model of one of those families ` +
        `(the optimum-neuron backend, a separate issue, covers newer ones), or if this repository is a fine-tune of one of them, state it, e.g. ${state("LLAMA")}`,
    };
  }
  return {
    problem: `the model id names more than one architecture (${named.map((n) => n.modelType).join(", ")}); state the one in its config.json, e.g. ${state("LLAMA")}`,
  };
}

/** A model to compile. */
export class Model {
  /**
   * A causal language model from the Hugging Face Hub.
   * @param modelId the Hub id, e.g. `meta-llama/Meta-Llama-3-8B-Instruct`
   */
  public static fromHuggingFace(modelId: string, options: HuggingFaceModelOptions = {}): Model {
    const call = `Model.fromHuggingFace(${show(modelId)})`;
    const v = new Validator();
    const cacheKey = "it names the cache key and sizes the instances";
    const idOk = v.string("the model id", modelId, RULES.huggingFaceModelId, { optional: false, refuseReference: cacheKey });
    const o: HuggingFaceModelOptions = options ?? {};
    const optionsOk = v.record("options", options ?? {}, { what: "an object of HuggingFaceModelOptions" });
    if (optionsOk) {
      v.string("revision", o.revision ?? "main", RULES.huggingFaceRevision, { refuseReference: cacheKey });
      v.boolean("allowPickleWeights", o.allowPickleWeights);
      if (o.parameters !== undefined && !isParameters(o.parameters)) {
        v.problems.add(`parameters must be Parameters.billion(n) or Parameters.million(n), got ${show(o.parameters)}`);
      }
    }
    // The architecture and the size are read from the id: only from a valid one, so every problem is still reported at once.
    let architecture: ModelArchitecture | undefined;
    let parameters = optionsOk && isParameters(o.parameters) ? o.parameters : undefined;
    if (idOk && optionsOk) {
      const found = architectureProblem(modelId, o.architecture);
      if (found.problem) v.problems.add(found.problem);
      architecture = found.architecture;
      if (o.parameters === undefined) {
        const parsed = parametersFromModelId(modelId);
        if (typeof parsed === "string") v.problems.add(parsed);
        else parameters = parsed;
      }
    }
    v.problems.throwIfAny(call);
    return new Model(modelId, o.revision ?? "main", parameters as Parameters, o.allowPickleWeights ?? false, architecture);
  }

  /**
   * Whether a value is a Model whose fields keep the rules: a JavaScript caller can pass any object,
   * or build one around fromHuggingFace.
   * @internal
   */
  public static check(v: Validator, prop: string, model: unknown): model is Model {
    if (!(model instanceof Model)) {
      v.problems.add(`${prop} must be a Model, e.g. Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct"), got ${show(model)}`);
      return false;
    }
    const before = v.problems.count;
    v.string(`${prop}.modelId`, model.modelId, RULES.huggingFaceModelId, { optional: false, refuseReference: "it names the cache key" });
    v.string(`${prop}.revision`, model.revision, RULES.huggingFaceRevision, { optional: false, refuseReference: "it names the cache key" });
    if (!isParameters(model.parameters)) v.problems.add(`${prop}.parameters must be Parameters, got ${show(model.parameters)}`);
    return v.problems.count === before;
  }

  private constructor(
    /** The Hugging Face Hub id. */
    public readonly modelId: string,
    /** The Hugging Face revision (branch, tag or commit). */
    public readonly revision: string,
    /** The number of parameters. */
    public readonly parameters: Parameters,
    /** Whether pickled weights (`pytorch_model*.bin`) may be loaded when the repository has no safetensors. */
    public readonly allowPickleWeights: boolean,
    /** The architecture, stated or read from the id; undefined when the id does not show it (the compile checks config.json). */
    public readonly architecture?: ModelArchitecture,
  ) {}
}

const isParameters = (p: unknown): p is Parameters => p instanceof Parameters;

// A size token is a number with a b/m suffix standing alone between separators:
// "7b" in "Llama-2-7b-hf", "1.1B" in "TinyLlama-1.1B-Chat-v1.0". The digits must not
// follow a letter, a digit or a dot, so "A3B" (active parameters of a MoE) and the
// "1B" inside "1.1B" are not sizes.
const SIZE_TOKEN = /(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)([bm])(?![A-Za-z0-9])/gi;
// "8x7B": a mixture of experts whose total is less than experts × expert size
// because attention and embeddings are shared (Mixtral-8x7B has 46.7B).
const EXPERTS_TOKEN = /(?<![A-Za-z0-9.])(\d+)x(\d+(?:\.\d+)?)([bm])(?![A-Za-z0-9])/i;

/**
 * Reads the parameter count from a model id, or returns why it cannot.
 * @internal exported for tests
 */
export function parametersFromModelId(modelId: string): Parameters | string {
  const name = modelId.slice(modelId.lastIndexOf("/") + 1);
  const fix = (example: string) => `pass it, e.g. Model.fromHuggingFace(${JSON.stringify(modelId)}, { parameters: ${example} })`;
  const experts = EXPERTS_TOKEN.exec(name);
  if (experts) {
    return (
      `the model id names a mixture of experts ("${experts[0]}"), whose parameter count is not ` +
      `experts × expert size (Mixtral-8x7B has 46.7B, not 56B); ${fix("Parameters.billion(46.7)")}`
    );
  }
  const sizes = new Map<number, string>();
  for (const [token, digits, unit] of name.matchAll(SIZE_TOKEN)) {
    sizes.set(Number(digits) * (unit.toLowerCase() === "b" ? 1e9 : 1e6), token);
  }
  if (sizes.size === 0) {
    return `the model id does not say its size (such as "7b" or "1.5B"), so parameters is required; ${fix("Parameters.billion(1.5)")}`;
  }
  if (sizes.size > 1) {
    return `the model id names more than one size (${[...sizes.values()].join(", ")}), so parameters is required; ${fix("Parameters.billion(7)")}`;
  }
  const [[count, token]] = [...sizes];
  return token.toLowerCase().endsWith("b") ? Parameters.billion(count / 1e9) : Parameters.million(count / 1e6);
}

/** Weight-storage quantization of transformers-neuronx (`QuantizationConfig.quant_dtype`). */
export enum QuantDtype {
  /** int8 weights, dequantized to the `amp` type at run time: half the memory of bf16. */
  S8 = "s8",
}

/** Neuron compiler optimization level (`neuronx-cc --optlevel`, set through `NEURON_CC_FLAGS`). */
export enum OptLevel {
  /** `-O1`: core optimizations only, the shortest compile. */
  FAST_COMPILE = 1,
  /** `-O2`: the compiler's default balance of compile time and model performance. */
  BALANCED = 2,
  /** `-O3`: every optimization, the best model execution performance and the longest compile. */
  MODEL_EXECUTION_PERFORMANCE = 3,
}

/** Compile options of transformers-neuronx. */
export interface CompileOptions {
  /**
   * Tensor parallel degree: the number of NeuronCores the model is sharded across (1, 2, 4, 8 or 24).
   * @default - the largest degree the serving instance's NeuronCores allow
   */
  readonly tpDegree?: number;
  /**
   * The maximum sequence length (prompt plus generated tokens), `n_positions`.
   * @default 4096
   */
  readonly nPositions?: number;
  /**
   * The batch size the model is compiled for, `batch_size`.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * Automatic mixed precision type of the weights and activations, `amp`.
   * @default "bf16"
   */
  readonly amp?: Amp;
  /**
   * Weight-storage quantization.
   * @default - no quantization
   */
  readonly quantDtype?: QuantDtype;
  /**
   * Neuron compiler optimization level.
   * @default OptLevel.BALANCED
   */
  readonly optLevel?: OptLevel;
}

/** Compile options with every default applied, except the TP degree, which comes from sizing. */
export interface ResolvedCompileOptions {
  /** `n_positions`. */
  readonly nPositions: number;
  /** `batch_size`. */
  readonly batchSize: number;
  /** `amp`. */
  readonly amp: Amp;
  /** Quantization, if any. */
  readonly quantDtype?: QuantDtype;
  /** `--optlevel`. */
  readonly optLevel: OptLevel;
}

/** Defaults of {@link CompileOptions}. */
export const COMPILE_DEFAULTS = {
  nPositions: 4096,
  batchSize: 1,
  amp: "bf16" as Amp,
  optLevel: OptLevel.BALANCED,
} as const;

/** Bounds of the numeric compile options. */
export const COMPILE_LIMITS = {
  nPositions: { min: 128, max: 131072 },
  batchSize: { min: 1, max: 128 },
} as const;

const isInt = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
const oneOf = (v: unknown, allowed: readonly unknown[]) => allowed.includes(v);
const list = (values: readonly unknown[]) => values.map((v) => (typeof v === "string" ? `"${v}"` : v)).join(", ");

/**
 * Validates compile options and applies the defaults, recording problems under `prop`.
 * The TP degree is validated here for membership only; sizing checks it against the instances.
 */
export function resolveCompileOptions(options: CompileOptions, problems: Problems, prop = "compileOptions"): ResolvedCompileOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    problems.add(`${prop} must be an object of CompileOptions, got ${show(options)}`);
    options = {};
  }
  const resolved: ResolvedCompileOptions = {
    nPositions: options.nPositions ?? COMPILE_DEFAULTS.nPositions,
    batchSize: options.batchSize ?? COMPILE_DEFAULTS.batchSize,
    amp: options.amp ?? COMPILE_DEFAULTS.amp,
    quantDtype: options.quantDtype,
    optLevel: options.optLevel ?? COMPILE_DEFAULTS.optLevel,
  };
  const { nPositions: np, batchSize: bs } = COMPILE_LIMITS;
  // Compile options size the instances and name the cache key, so they must be known at synth time.
  const tokens = Object.entries(options).filter(([, value]) => Token.isUnresolved(value));
  for (const [key] of tokens) {
    problems.add(
      `${prop}.${key} must be a literal value known at synth time (it sizes the instances and names the cache key), got a Terraform reference`,
    );
  }
  if (tokens.length > 0) return resolved;
  problems.when(
    options.tpDegree !== undefined && !oneOf(options.tpDegree, TP_DEGREES),
    () =>
      `${prop}.tpDegree must be one of ${list(TP_DEGREES)} (the degrees the Neuron runtime supports on Inf2), got ${show(options.tpDegree)}`,
  );
  problems.when(
    !isInt(resolved.nPositions, np.min, np.max),
    () => `${prop}.nPositions must be a whole number from ${np.min} to ${np.max}, got ${show(resolved.nPositions)}`,
  );
  problems.when(
    !isInt(resolved.batchSize, bs.min, bs.max),
    () => `${prop}.batchSize must be a whole number from ${bs.min} to ${bs.max}, got ${show(resolved.batchSize)}`,
  );
  problems.when(
    !oneOf(resolved.amp, Object.keys(AMP_BYTES)),
    () => `${prop}.amp must be one of ${list(Object.keys(AMP_BYTES))}, got ${show(resolved.amp)}`,
  );
  problems.when(
    resolved.quantDtype !== undefined && !oneOf(resolved.quantDtype, Object.keys(QUANT_DTYPE_BYTES)),
    () => `${prop}.quantDtype must be QuantDtype.S8 ("s8") or unset, got ${show(resolved.quantDtype)}`,
  );
  problems.when(
    !oneOf(resolved.optLevel, OPT_LEVELS),
    () =>
      `${prop}.optLevel must be one of ${list(OPT_LEVELS)} (OptLevel.FAST_COMPILE, BALANCED, MODEL_EXECUTION_PERFORMANCE), got ${show(resolved.optLevel)}`,
  );
  return resolved;
}

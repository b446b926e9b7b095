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
    v.string("the model id", modelId, RULES.huggingFaceModelId, { optional: false, refuseReference: cacheKey });
    if (v.record("options", options ?? {}, { what: "an object of HuggingFaceModelOptions" })) {
      const o = options ?? {};
      v.string("revision", o.revision ?? "main", RULES.huggingFaceRevision, { refuseReference: cacheKey });
      v.boolean("allowPickleWeights", o.allowPickleWeights);
      if (o.parameters !== undefined && !isParameters(o.parameters)) {
        v.problems.add(`parameters must be Parameters.billion(n) or Parameters.million(n), got ${show(o.parameters)}`);
      }
    }
    v.problems.throwIfAny(call);
    const revision = options?.revision ?? "main";

    let parameters = options?.parameters;
    if (!parameters) {
      const parsed = parametersFromModelId(modelId);
      if (typeof parsed === "string") throw new ValidationError(call, [parsed]);
      parameters = parsed;
    }
    return new Model(modelId, revision, parameters, options?.allowPickleWeights ?? false);
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
  ) {}
}

const isParameters = (p: unknown): p is Parameters => p instanceof Parameters;

// A size token is a number with a b/m suffix standing alone between separators:
// "7b" in "Llama-2-7b-hf", "1.5B" in "Qwen2-1.5B-Instruct". The digits must not
// follow a letter, a digit or a dot, so "A3B" (active parameters of a MoE) and the
// "5B" inside "1.5B" are not sizes.
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

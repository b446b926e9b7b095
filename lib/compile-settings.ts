import { Model, OptLevel, QuantDtype, ResolvedCompileOptions } from "./model";
import { Amp } from "./neuron-spec";

/**
 * Names of the environment variables that carry the compile settings, to the
 * compile script on the instance and to the serving container alike. The Python
 * side reads the same names (python/neuronx_common/settings.py); a test keeps them equal.
 */
export const SETTINGS_ENV = {
  modelId: "NEURONX_MODEL_ID",
  revision: "NEURONX_REVISION",
  neuronSdkVersion: "NEURONX_SDK_VERSION",
  tpDegree: "NEURONX_TP_DEGREE",
  nPositions: "NEURONX_N_POSITIONS",
  batchSize: "NEURONX_BATCH_SIZE",
  amp: "NEURONX_AMP",
  quantDtype: "NEURONX_QUANT_DTYPE",
  optLevel: "NEURONX_OPT_LEVEL",
} as const;

/**
 * Everything that determines the compiled artifacts. Defined once, it names the
 * cache key and drives both the compile and the serving container, so the two
 * cannot disagree.
 */
export class CompileSettings {
  /** The Hugging Face model id. */
  public readonly modelId: string;
  /** The Hugging Face revision. */
  public readonly revision: string;
  /** The Neuron SDK version of the container image that compiles and serves. */
  public readonly neuronSdkVersion: string;
  /** Tensor parallel degree. */
  public readonly tpDegree: number;
  /** `n_positions`. */
  public readonly nPositions: number;
  /** `batch_size`. */
  public readonly batchSize: number;
  /** `amp`. */
  public readonly amp: Amp;
  /** Weight quantization, if any. */
  public readonly quantDtype?: QuantDtype;
  /** Neuron compiler optimization level. */
  public readonly optLevel: OptLevel;

  constructor(model: Model, options: ResolvedCompileOptions, tpDegree: number, neuronSdkVersion: string) {
    this.modelId = model.modelId;
    this.revision = model.revision;
    this.neuronSdkVersion = neuronSdkVersion;
    this.tpDegree = tpDegree;
    this.nPositions = options.nPositions;
    this.batchSize = options.batchSize;
    this.amp = options.amp;
    this.quantDtype = options.quantDtype;
    this.optLevel = options.optLevel;
  }

  /**
   * The S3 key prefix of the artifacts, ending in `/`:
   * `<model>/<encoded revision>/neuronx-<sdk>/tp<N>-np<P>-bs<B>-<amp>-opt<L>[-q<dtype>]/`
   * (see {@link encodeRevision}).
   * Same model, options and SDK give the same prefix, which is what makes a cache hit.
   */
  public get cacheKeyPrefix(): string {
    const revision = encodeRevision(this.revision);
    const variant =
      `tp${this.tpDegree}-np${this.nPositions}-bs${this.batchSize}-${this.amp}-opt${this.optLevel}` +
      (this.quantDtype ? `-q${this.quantDtype}` : "");
    return `${this.modelId}/${revision}/neuronx-${this.neuronSdkVersion}/${variant}/`;
  }

  /** `NEURON_CC_FLAGS` for transformers-neuronx: the transformer model type and the optimization level. */
  public get neuronCcFlags(): string {
    return `--model-type=transformer -O${this.optLevel}`;
  }

  /** The settings as environment variables, for the compile script and the serving container. */
  public get environment(): Record<string, string> {
    const env: Record<string, string> = {
      [SETTINGS_ENV.modelId]: this.modelId,
      [SETTINGS_ENV.revision]: this.revision,
      [SETTINGS_ENV.neuronSdkVersion]: this.neuronSdkVersion,
      [SETTINGS_ENV.tpDegree]: String(this.tpDegree),
      [SETTINGS_ENV.nPositions]: String(this.nPositions),
      [SETTINGS_ENV.batchSize]: String(this.batchSize),
      [SETTINGS_ENV.amp]: this.amp,
      [SETTINGS_ENV.optLevel]: String(this.optLevel),
      NEURON_CC_FLAGS: this.neuronCcFlags,
    };
    if (this.quantDtype) env[SETTINGS_ENV.quantDtype] = this.quantDtype;
    return env;
  }
}

/** True for a full 40-hex commit sha: the only revision that names fixed content on the Hub. */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/**
 * A revision as one segment of the cache key, reversibly: `_` becomes `_5f` and `/` becomes `_2f`
 * (their hex codes), everything else stays. A revision may hold only letters, digits, `-`, `_`, `.`
 * and `/` (PATTERNS.huggingFaceRevision), so the result holds only letters, digits, `-`, `_` and
 * `.`: safe unquoted in a shell word, an IAM ARN, an S3 key and an HCL string, and no two
 * revisions give the same segment (`refs/pr/3` -> `refs_2fpr_2f3`, `refs--pr--3` stays). The HCL
 * module computes the same with `replace(replace(revision, "_", "_5f"), "/", "_2f")`.
 */
export function encodeRevision(revision: string): string {
  return revision.replace(/_/g, "_5f").replace(/\//g, "_2f");
}

/** The inverse of {@link encodeRevision}. */
export function decodeRevision(segment: string): string {
  return segment.replace(/_(2f|5f)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

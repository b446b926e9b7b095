import * as fs from "fs";
import * as path from "path";
import { ITerraformDependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { CompileSettings } from "./compile-settings";
import { NeuronxContainerImage } from "./container-images";
import { ValidationError } from "./errors";
import { CompileOptions, Model, resolveCompileOptions } from "./model";
import { NeuronxCompile } from "./neuronx-compile";
import { RULES } from "./patterns";
import { packageAsset } from "./private/assets";
import { listShippedFiles } from "./private/s3-directory";
import { checkS3Location, s3Location } from "./private/s3-location";
import { PlanCheck, Validator, show } from "./private/validation";
import { Sizing, sizeModel } from "./sizing";

/** The default inference code: a chat API (python/serving: inference.py and its package). */
export const DEFAULT_INFERENCE_CODE_DIR = packageAsset("python/serving");

/** What an endpoint needs to know about the artifacts it serves. */
export interface ModelDataConfig {
  /** Bucket of the artifacts. */
  readonly bucketName: string;
  /** ARN of that bucket. */
  readonly bucketArn: string;
  /** Key prefix of the artifacts, ending in `/`. */
  readonly prefix: string;
  /** `s3://<bucket>/<prefix>`, for the model's S3Prefix data source. */
  readonly s3Uri: string;
  /** The compile settings the artifacts were built with; they become the container's environment. */
  readonly settings: CompileSettings;
  /** The image that compiled them; serve with the same one. */
  readonly containerImage: NeuronxContainerImage;
  /** Sizing of the model for its TP degree: the default serving instance, and the artifact size. */
  readonly sizing: Sizing;
  /** The inference code directory, uploaded by each endpoint to `<prefix>code/<endpoint name>/`. */
  readonly codeDir: string;
  /** Globs of the code directory left out of the upload, besides dotfiles, caches and tests. */
  readonly codeExclude: readonly string[];
  /** What must be complete before the model is created (the waiter, in the same stack). */
  readonly dependsOn: ITerraformDependable[];
  /** Plan-time checks of the references among the bucket and prefix. */
  readonly preconditions: readonly PlanCheck[];
}

/** Your inference code, and what of it to leave out. */
export interface CustomCodeDirectory {
  /** A directory holding `inference.py` (the SageMaker entry point), uploaded by each endpoint to `<prefix>code/<endpoint name>/`. */
  readonly path: string;
  /**
   * Globs (relative to the directory; one without "/" matches a name at any depth) left out of the upload.
   * Dotfiles and dot-directories (`.env`, `.git/`), `__pycache__`, `*.pyc` and `tests` are always left out.
   * @default - only those
   */
  readonly exclude?: readonly string[];
}

/** A code directory: its path, or its path and what to leave out of it. */
export type CustomCode = string | CustomCodeDirectory;

/** Props of {@link TransformersNeuronxSageMakerInferenceModelData.fromS3}. */
export interface S3ModelDataProps {
  /** The bucket of the artifacts: a bucket of this stack, or a name. */
  readonly bucket: S3Bucket | string;
  /** The key prefix of the artifacts (`model/`, `compiled/` below it), ending in `/`. */
  readonly prefix: string;
  /** The model the artifacts were compiled from. */
  readonly model: Model;
  /** The compile options they were built with; `tpDegree` is required, the rest default as for NeuronxCompile. */
  readonly compileOptions: CompileOptions & { readonly tpDegree: number };
  /**
   * The image they were compiled with.
   * @default NeuronxContainerImage.pytorchInferenceNeuronx()
   */
  readonly containerImage?: NeuronxContainerImage;
  /**
   * Your inference code: a directory with inference.py, uploaded by each endpoint to `<prefix>code/<endpoint name>/`
   * (without dotfiles, caches and tests; `{ path, exclude }` leaves out more).
   * @default - the default inference code (a chat API)
   */
  readonly customCodeDir?: CustomCode;
}

/** The compiled artifacts an endpoint serves, and the settings they were compiled with. */
export abstract class TransformersNeuronxSageMakerInferenceModelData {
  /**
   * The artifacts of a NeuronxCompile, in this stack or another one (a cross-stack reference).
   * @param compile the compile
   * @param customCodeDir your inference code: a directory with inference.py (or `{ path, exclude }`); default: the default inference code
   */
  public static fromNeuronxCompile(compile: NeuronxCompile, customCodeDir?: CustomCode): TransformersNeuronxSageMakerInferenceModelData {
    const v = new Validator();
    checkCompile(v, compile);
    const code = checkCodeDir(v, customCodeDir);
    v.problems.throwIfAny("TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile");
    return new (class extends TransformersNeuronxSageMakerInferenceModelData {
      public bind(scope: Construct): ModelDataConfig {
        const sameStack = TerraformStack.of(scope) === TerraformStack.of(compile);
        return {
          bucketName: compile.bucketName,
          bucketArn: compile.bucketArn,
          prefix: compile.artifactPrefix,
          // Read through the waiter: the model is created only after the compile completed.
          s3Uri: compile.compiledArtifactS3Url,
          settings: compile.settings,
          containerImage: compile.containerImage,
          sizing: compile.sizing,
          ...code,
          dependsOn: sameStack ? [compile.waiter.resource] : [],
          preconditions: [],
        };
      }
    })();
  }

  /**
   * The artifacts of a NeuronxCompile of another stack, located through values read from that stack's
   * state (e.g. `terraform_remote_state` outputs), with the compile settings from the construct.
   * Unlike {@link fromNeuronxCompile} across stacks, no output is generated: you choose the names.
   * @param compile the compile (its settings, sizing and image; none of its resources is referenced)
   * @param outputs the compile's bucket name, bucket ARN and `compiledArtifactS3Url`, as read from its state
   * @param customCodeDir your inference code: a directory with inference.py (or `{ path, exclude }`); default: the default inference code
   */
  public static fromNeuronxCompileOutputs(
    compile: NeuronxCompile,
    outputs: { readonly bucketName: string; readonly bucketArn: string; readonly compiledArtifactS3Url: string },
    customCodeDir?: CustomCode,
  ): TransformersNeuronxSageMakerInferenceModelData {
    const v = new Validator();
    checkCompile(v, compile);
    checkCompileOutputs(v, outputs);
    const code = checkCodeDir(v, customCodeDir);
    v.problems.throwIfAny("TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompileOutputs");
    return new (class extends TransformersNeuronxSageMakerInferenceModelData {
      public bind(): ModelDataConfig {
        return {
          bucketName: outputs.bucketName,
          bucketArn: outputs.bucketArn,
          prefix: compile.artifactPrefix,
          s3Uri: outputs.compiledArtifactS3Url,
          settings: compile.settings,
          containerImage: compile.containerImage,
          sizing: compile.sizing,
          ...code,
          dependsOn: [],
          preconditions: v.planChecks,
        };
      }
    })();
  }

  /** Artifacts compiled elsewhere: a bucket and prefix, and the options they were compiled with. */
  public static fromS3(props: S3ModelDataProps): TransformersNeuronxSageMakerInferenceModelData {
    const scope = "TransformersNeuronxSageMakerInferenceModelData.fromS3";
    const v = new Validator();
    const problems = v.problems;
    if (!v.record("props", props, { optional: false, what: "S3ModelDataProps (bucket, prefix, model, compileOptions)" }))
      problems.throwIfAny(scope);
    checkS3Location(v, props.bucket, props.prefix);
    Model.check(v, "model", props.model);
    const before = problems.count;
    const options = resolveCompileOptions(props.compileOptions, problems);
    problems.when(
      problems.count === before && props.compileOptions.tpDegree === undefined,
      "compileOptions.tpDegree is required: the artifacts were compiled for one TP degree and must be served with it",
    );
    problems.when(
      props.containerImage !== undefined && !(props.containerImage instanceof NeuronxContainerImage),
      () => `containerImage must be a NeuronxContainerImage, got ${show(props.containerImage)}`,
    );
    const code = checkCodeDir(v, props.customCodeDir);
    let sizing: Sizing | undefined;
    if (problems.empty) {
      try {
        sizing = sizeModel({
          parameters: props.model.parameters.count,
          options,
          tpDegree: props.compileOptions.tpDegree,
          modelName: props.model.modelId,
        });
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        e.problems.forEach((p) => problems.add(p));
      }
    }
    problems.throwIfAny(scope);
    if (sizing === undefined) throw new Error("unreachable: sizing without problems");
    const image = props.containerImage ?? NeuronxContainerImage.pytorchInferenceNeuronx();
    const settings = new CompileSettings(props.model, options, sizing.tpDegree, image.neuronSdkVersion);
    return new (class extends TransformersNeuronxSageMakerInferenceModelData {
      public bind(scope: Construct): ModelDataConfig {
        return {
          ...s3Location(scope, props.bucket, props.prefix),
          settings,
          containerImage: image,
          sizing,
          ...code,
          dependsOn: [],
          preconditions: v.planChecks,
        };
      }
    })();
  }

  /** Resolves the model data for an endpoint. */
  public abstract bind(scope: Construct): ModelDataConfig;
}

/** What a compile's outputs, read from another stack's state, must be: checked at plan time when they are references. */
export interface CompileOutputs {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly compiledArtifactS3Url: string;
}

/**
 * Checks a compile's outputs as read from another stack's state (references at plan time): a bucket name, its ARN and
 * the artifacts' URL, literal ones naming one bucket (the policy grants on bucketArn, the model reads the URL).
 */
export function checkCompileOutputs(v: Validator, outputs: CompileOutputs): void {
  if (!v.record("outputs", outputs, { optional: false, what: "an object of bucketName, bucketArn and compiledArtifactS3Url" })) return;
  v.string("outputs.bucketName", outputs.bucketName, RULES.bucketName, { optional: false });
  v.string("outputs.bucketArn", outputs.bucketArn, RULES.bucketArn, { optional: false });
  const urlOk = v.string("outputs.compiledArtifactS3Url", outputs.compiledArtifactS3Url, RULES.artifactS3Url, { optional: false });
  if (typeof outputs.bucketName === "string" && !Token.isUnresolved(outputs.bucketName)) {
    const name = outputs.bucketName;
    v.problems.when(
      typeof outputs.bucketArn === "string" && !Token.isUnresolved(outputs.bucketArn) && !outputs.bucketArn.endsWith(`:::${name}`),
      () => `outputs.bucketArn must be the ARN of outputs.bucketName (${name}), got ${show(outputs.bucketArn)}`,
    );
    v.problems.when(
      urlOk && !outputs.compiledArtifactS3Url.startsWith(`s3://${name}/`),
      () => `outputs.compiledArtifactS3Url must be in outputs.bucketName (s3://${name}/...), got ${show(outputs.compiledArtifactS3Url)}`,
    );
  }
}

/** Checks that a compile is a NeuronxCompile (a JavaScript caller may pass anything). */
function checkCompile(v: Validator, compile: unknown): void {
  if (!(compile instanceof NeuronxCompile)) v.problems.add(`compile must be a NeuronxCompile, got ${show(compile)}`);
}

/**
 * The code directory to upload: the custom one, checked to be a directory whose `inference.py` is a
 * regular file and whose symbolic links stay inside it, or the default.
 */
function checkCodeDir(v: Validator, code: CustomCode | undefined): { codeDir: string; codeExclude: readonly string[] } {
  if (code === undefined) return { codeDir: DEFAULT_INFERENCE_CODE_DIR, codeExclude: [] };
  const given = typeof code === "string" ? { path: code } : code;
  if (typeof given !== "object" || given === null || typeof given.path !== "string" || given.path === "") {
    v.problems.add(`customCodeDir must be a directory's path, or { path, exclude }, got ${show(code)}`);
    return { codeDir: DEFAULT_INFERENCE_CODE_DIR, codeExclude: [] };
  }
  const exclude = given.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== "string" || e === "")) {
    v.problems.add(`customCodeDir.exclude must be a list of globs such as "*.ipynb" or "data/", got ${show(given.exclude)}`);
    return { codeDir: DEFAULT_INFERENCE_CODE_DIR, codeExclude: [] };
  }
  if (/[\p{Cc}]/u.test(given.path) || exclude.some((e) => /[\p{Cc}]/u.test(e) || e.length > 1024)) {
    v.problems.add(
      `customCodeDir must be a path and globs without control characters (globs of at most 1024 characters), got ${show(code)}`,
    );
    return { codeDir: DEFAULT_INFERENCE_CODE_DIR, codeExclude: [] };
  }
  const resolved = path.resolve(given.path);
  let listed: ReturnType<typeof listShippedFiles>;
  let entry: fs.Stats | undefined;
  try {
    if (!fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
      v.problems.add(
        `customCodeDir must be a directory, got ${JSON.stringify(given.path)} (${resolved} does not exist or is not a directory)`,
      );
      return { codeDir: resolved, codeExclude: exclude };
    }
    listed = listShippedFiles(resolved, { exclude });
    entry = fs.lstatSync(path.join(resolved, "inference.py"), { throwIfNoEntry: false });
  } catch (error) {
    // ENAMETOOLONG, EACCES, ELOOP, ...: a directory that cannot be read cannot ship.
    v.problems.add(`customCodeDir ${JSON.stringify(given.path)} cannot be read: ${(error as Error).message}`);
    return { codeDir: resolved, codeExclude: exclude };
  }
  const { files, problems } = listed;
  problems.forEach((p) => v.problems.add(`customCodeDir ${resolved}: ${p}`));
  if (!files.includes("inference.py")) {
    v.problems.add(
      entry === undefined
        ? `customCodeDir must hold inference.py (the SageMaker entry point, SAGEMAKER_PROGRAM), but ${resolved} does not`
        : `customCodeDir's inference.py must be a regular file that ships (the SageMaker entry point, SAGEMAKER_PROGRAM), but ${path.join(resolved, "inference.py")} is ${entry.isDirectory() ? "a directory" : entry.isSymbolicLink() ? "a symbolic link that does not ship" : "not a regular file, or is excluded"}`,
    );
  }
  return { codeDir: resolved, codeExclude: exclude };
}

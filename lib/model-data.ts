import * as fs from "fs";
import * as path from "path";
import { ITerraformDependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { CompileSettings } from "./compile-settings";
import { NeuronxContainerImage } from "./container-images";
import { Problems, ValidationError } from "./errors";
import { CompileOptions, Model, resolveCompileOptions } from "./model";
import { NeuronxCompile } from "./neuronx-compile";
import { currentPartition } from "./private/stack-singletons";
import { Sizing, sizeModel } from "./sizing";

/** The default inference code: a chat API (python/serving: inference.py and its package). */
export const DEFAULT_INFERENCE_CODE_DIR = path.join(__dirname, "..", "python", "serving");

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
  /** What must be complete before the model is created (the waiter, in the same stack). */
  readonly dependsOn: ITerraformDependable[];
}

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
   * Your inference code: a directory with inference.py, uploaded by each endpoint to `<prefix>code/<endpoint name>/`.
   * @default - the default inference code (a chat API)
   */
  readonly customCodeDir?: string;
}

/** The compiled artifacts an endpoint serves, and the settings they were compiled with. */
export abstract class TransformersNeuronxSageMakerInferenceModelData {
  /**
   * The artifacts of a NeuronxCompile, in this stack or another one (a cross-stack reference).
   * @param compile the compile
   * @param customCodeDir your inference code: a directory with inference.py; default: the default inference code
   */
  public static fromNeuronxCompile(compile: NeuronxCompile, customCodeDir?: string): TransformersNeuronxSageMakerInferenceModelData {
    const codeDir = checkCodeDir("fromNeuronxCompile", customCodeDir);
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
          codeDir,
          dependsOn: sameStack ? [compile.waiter.resource] : [],
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
   * @param customCodeDir your inference code: a directory with inference.py; default: the default inference code
   */
  public static fromNeuronxCompileOutputs(
    compile: NeuronxCompile,
    outputs: { readonly bucketName: string; readonly bucketArn: string; readonly compiledArtifactS3Url: string },
    customCodeDir?: string,
  ): TransformersNeuronxSageMakerInferenceModelData {
    const codeDir = checkCodeDir("fromNeuronxCompileOutputs", customCodeDir);
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
          codeDir,
          dependsOn: [],
        };
      }
    })();
  }

  /** Artifacts compiled elsewhere: a bucket and prefix, and the options they were compiled with. */
  public static fromS3(props: S3ModelDataProps): TransformersNeuronxSageMakerInferenceModelData {
    const problems = new Problems();
    const options = resolveCompileOptions(props.compileOptions, problems);
    problems.when(
      props.compileOptions.tpDegree === undefined,
      "compileOptions.tpDegree is required: the artifacts were compiled for one TP degree and must be served with it",
    );
    problems.when(
      !Token.isUnresolved(props.prefix) && !/^[^/].*\/$/.test(props.prefix),
      `prefix must be the key prefix of the artifacts, not starting with "/" and ending with "/", got ${JSON.stringify(props.prefix)}`,
    );
    const codeDir = checkCodeDir("fromS3", props.customCodeDir, problems);
    problems.throwIfAny("TransformersNeuronxSageMakerInferenceModelData.fromS3");
    const image = props.containerImage ?? NeuronxContainerImage.pytorchInferenceNeuronx();
    const sizing = sizeModel({
      parameters: props.model.parameters.count,
      options,
      tpDegree: props.compileOptions.tpDegree,
      modelName: props.model.modelId,
    });
    const settings = new CompileSettings(props.model, options, sizing.tpDegree, image.neuronSdkVersion);
    return new (class extends TransformersNeuronxSageMakerInferenceModelData {
      public bind(scope: Construct): ModelDataConfig {
        const bucketName = typeof props.bucket === "string" ? props.bucket : props.bucket.bucket;
        const bucketArn =
          typeof props.bucket === "string" ? `arn:${currentPartition(scope).partition}:s3:::${props.bucket}` : props.bucket.arn;
        return {
          bucketName,
          bucketArn,
          prefix: props.prefix,
          s3Uri: `s3://${bucketName}/${props.prefix}`,
          settings,
          containerImage: image,
          sizing,
          codeDir,
          dependsOn: [],
        };
      }
    })();
  }

  /** Resolves the model data for an endpoint. */
  public abstract bind(scope: Construct): ModelDataConfig;
}

/** The code directory to upload: the custom one, checked to exist and hold inference.py, or the default. */
function checkCodeDir(method: string, dir: string | undefined, problems?: Problems): string {
  if (dir === undefined) return DEFAULT_INFERENCE_CODE_DIR;
  const resolved = path.resolve(dir);
  let problem: string | undefined;
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    problem = `customCodeDir must be a directory, got ${JSON.stringify(dir)} (${resolved} does not exist or is not a directory)`;
  } else if (!fs.existsSync(path.join(resolved, "inference.py"))) {
    problem = `customCodeDir must hold inference.py (the SageMaker entry point, SAGEMAKER_PROGRAM), but ${resolved} does not`;
  }
  if (problem && problems) problems.add(problem);
  else if (problem) throw new ValidationError(`TransformersNeuronxSageMakerInferenceModelData.${method}`, [problem]);
  return resolved;
}

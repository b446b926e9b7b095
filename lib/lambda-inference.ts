import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AssetType, Fn, Op, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaLayerVersion } from "@cdktf/provider-aws/lib/lambda-layer-version";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { ValidationError } from "./errors";
import { LambdaInferenceFrontDoor } from "./lambda-inference-front-door";
import { LambdaInferenceModel } from "./lambda-inference-model";
import { RULES } from "./patterns";
import { justifyCheckovSkip } from "./private/checkov";
import { nameElement } from "./private/naming";
import { packageFiles, stageGenerated } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { packageAsset } from "./private/assets";
import { Validator, show } from "./private/validation";
import { unzippedBytes } from "./private/zip-size";
import { defaultEndpointName } from "./realtime-endpoint";

const MiB = 2 ** 20;

/** A Lambda layer version ARN. */
export const LAYER_VERSION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/;

/** Lambda's quotas that bound this function (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const LAMBDA_LIMITS = {
  /** Function memory, MB (1 MB steps). */
  memoryMiB: { min: 128, max: 10240 },
  /** Ephemeral storage (/tmp), MB. */
  ephemeralStorageMiB: { min: 512, max: 10240 },
  /** Timeout, seconds. */
  timeoutSeconds: { min: 1, max: 900 },
  /** A .zip function's code and layers, unzipped, MB. */
  zipUnzippedMiB: 250,
  /** A container image, unzipped, MB (10 GB). */
  imageMiB: 10240,
  /** SnapStart: ephemeral storage at most 512 MB. */
  snapStartMaxEphemeralMiB: 512,
  /** Reserved concurrency we accept. */
  reservedConcurrency: { min: 0, max: 1000 },
} as const;

/**
 * How memory and ephemeral storage follow from the model's size. Measured on this project's test
 * model scaled to 64 MiB, 256 MiB and 1 GiB (onnxruntime 1.32, Python 3.11; see the notes): the
 * imports take 68 MiB, loading peaks at twice the model plus 70 MiB (the file's bytes and the
 * session's weights), and the loaded model holds its size plus 76 MiB.
 */
export const LAMBDA_SIZING = {
  /** Copies of the weights while onnxruntime builds the session. */
  loadCopies: 2,
  /** The runtime and libraries (76 MiB measured) plus one sequence's logits (2,048 positions x 32,000 tokens x 4 bytes = 250 MiB), rounded up. */
  baseMiB: 512,
  /** One full vCPU: Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB. */
  minimumMemoryMiB: 1769,
  /** Memory is rounded up to this step. */
  memoryStepMiB: 64,
  /** An S3 model's copy in /tmp: its size plus 10% plus 64 MiB. */
  ephemeralFactor: 1.1,
  ephemeralHeadroomMiB: 64,
} as const;

/** Python runtimes of Lambda that this function supports: SnapStart needs 3.12 or later. */
export const LAMBDA_PYTHON_RUNTIMES = ["python3.12", "python3.13", "python3.14"] as const;

/** The runtime of a .zip function when unset. */
export const LAMBDA_DEFAULT_RUNTIME: LambdaPythonRuntime = "python3.13";

/** A Lambda Python runtime identifier. */
export type LambdaPythonRuntime = (typeof LAMBDA_PYTHON_RUNTIMES)[number];

/** Regions where Lambda offers no SnapStart: Asia Pacific (New Zealand) and (Taipei) (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). */
export const SNAPSTART_UNSUPPORTED_REGIONS = ["ap-southeast-6", "ap-east-2"] as const;

/** The function's code: the handler package and the chat contract it shares with the SageMaker code. */
export const LAMBDA_INFERENCE_CODE = {
  handler: "lambda_inference.app.handler",
  packages: [
    { dir: packageAsset("python/lambda_inference"), name: "lambda_inference" },
    { dir: packageAsset("python/serving/chat_contract"), name: "chat_contract" },
  ],
} as const;

/** Memory and ephemeral storage for a model of `modelBytes`, and what it needs at least. */
export function sizeLambdaFunction(modelBytes: number, ephemeralModelBytes: number) {
  const s = LAMBDA_SIZING;
  const modelMiB = modelBytes / MiB;
  const neededMemoryMiB = Math.ceil(s.loadCopies * modelMiB + s.baseMiB);
  const memoryMiB = Math.max(s.minimumMemoryMiB, Math.ceil(neededMemoryMiB / s.memoryStepMiB) * s.memoryStepMiB);
  // In tenths, so that 3,000 MiB x 1.1 is 3,300 and not 3,300.0000000000005.
  const copyMiB = Math.ceil(Math.round((ephemeralModelBytes / MiB) * s.ephemeralFactor * 10) / 10);
  const neededEphemeralMiB = ephemeralModelBytes > 0 ? copyMiB + s.ephemeralHeadroomMiB : 0;
  return {
    neededMemoryMiB,
    memoryMiB: Math.min(LAMBDA_LIMITS.memoryMiB.max, memoryMiB),
    neededEphemeralMiB,
    ephemeralStorageMiB: Math.max(LAMBDA_LIMITS.ephemeralStorageMiB.min, neededEphemeralMiB),
  };
}

/** What a .zip function's dependencies layer gives. */
export interface DependenciesConfig {
  /** The layer version ARN. */
  readonly layerArn: string;
  /** Its unzipped size, when known. */
  readonly unzippedBytes?: number;
}

/**
 * The libraries a .zip function imports (python/lambda_inference/requirements.txt: numpy,
 * onnxruntime, tokenizers, jinja2), as a layer. A container image brings its own.
 */
export abstract class LambdaInferenceDependencies {
  /**
   * A layer built by `scripts/build-lambda-layer.sh <arch> <python>` (a .zip with `python/`),
   * uploaded to S3 (layers over 50 MB cannot be uploaded directly) and published by Terraform.
   * Its unzipped size is checked at synth.
   */
  public static fromLayerZip(zipFile: string, bucket: S3Bucket | string): LambdaInferenceDependencies {
    const resolved = path.resolve(zipFile);
    const v = new Validator();
    const problems = v.problems;
    let size: number | undefined;
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile()) {
      problems.add(
        `LambdaInferenceDependencies.fromLayerZip: ${JSON.stringify(zipFile)} is not a file; build it with scripts/build-lambda-layer.sh <arm64|x86_64> <3.12|3.13|3.14>`,
      );
    } else {
      size = unzippedBytes(resolved);
      problems.when(size === undefined, `LambdaInferenceDependencies.fromLayerZip: ${resolved} is not a .zip file Lambda can read`);
    }
    // The bucket only stores the layer's object (no policy names it), so a reference is left to Terraform.
    if (typeof bucket === "string" && !Token.isUnresolved(bucket)) v.string("bucket", bucket, RULES.bucketName);
    problems.throwIfAny("LambdaInferenceDependencies.fromLayerZip");
    const hash = crypto.createHash("sha256").update(fs.readFileSync(resolved)).digest("hex").slice(0, 16);
    return new (class extends LambdaInferenceDependencies {
      public bind(scope: Construct, runtime: string, architecture: string): DependenciesConfig {
        const asset = new TerraformAsset(scope, "LayerAsset", { path: resolved, type: AssetType.FILE, assetHash: hash });
        const bucketName = typeof bucket === "string" ? bucket : bucket.bucket;
        const object = nameElement(
          new S3Object(scope, "LayerObject", {
            bucket: bucketName,
            // One key per function: two functions sharing a zip must not manage (and destroy) one object.
            key: `lambda-layers/${crypto.createHash("sha256").update(scope.node.path).digest("hex").slice(0, 12)}/lambda-inference-${hash}.zip`,
            source: asset.path,
            sourceHash: Fn.filemd5(asset.path),
          }),
          scope,
          "layer",
        );
        const layer = nameElement(
          new LambdaLayerVersion(scope, "Layer", {
            layerName: "lambda-inference-dependencies",
            description: "numpy, onnxruntime, tokenizers and jinja2 for the Lambda inference function",
            s3Bucket: object.bucket,
            s3Key: object.key,
            sourceCodeHash: Fn.filebase64sha256(asset.path),
            compatibleRuntimes: [runtime],
            compatibleArchitectures: [architecture],
          }),
          scope,
          "dependencies",
        );
        return { layerArn: layer.arn, unzippedBytes: size };
      }
    })();
  }

  /**
   * A layer published elsewhere, e.g. shared by several functions.
   * @param unzippedMiB its unzipped size, to check Lambda's 250 MB limit at synth
   */
  public static fromLayerArn(layerArn: string, unzippedMiB?: number): LambdaInferenceDependencies {
    if (!Token.isUnresolved(layerArn) && !LAYER_VERSION_ARN.test(layerArn)) {
      throw new ValidationError("LambdaInferenceDependencies.fromLayerArn", [
        `layerArn must be a layer version ARN such as "arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:3", got ${JSON.stringify(layerArn)}`,
      ]);
    }
    return new (class extends LambdaInferenceDependencies {
      public bind(): DependenciesConfig {
        return { layerArn, unzippedBytes: unzippedMiB === undefined ? undefined : unzippedMiB * MiB };
      }
    })();
  }

  /** Publishes or references the layer for a runtime and architecture. */
  public abstract bind(scope: Construct, runtime: string, architecture: string): DependenciesConfig;
}

/** Props of {@link LambdaInferenceFunction}. */
export interface LambdaInferenceFunctionProps {
  /** Where the model is: `LambdaInferenceModel.fromLocalDirectory`, `fromS3`, `fromEfs` or `fromContainerImage`. */
  readonly model: LambdaInferenceModel;
  /**
   * The libraries of a .zip function, as a layer; required unless the model comes in a container image.
   * @default - none (an error for a .zip function)
   */
  readonly dependencies?: LambdaInferenceDependencies;
  /**
   * How requests reach the function.
   * @default LambdaInferenceFrontDoor.functionUrl()
   */
  readonly frontDoor?: LambdaInferenceFrontDoor;
  /**
   * The function name (1 to 64 letters, digits, hyphens and underscores).
   * @default - `<stack id>-<construct id>` in kebab case, shortened with a hash past 63 characters
   */
  readonly functionName?: string;
  /**
   * The Python runtime of a .zip function.
   * @default "python3.13"
   */
  readonly runtime?: LambdaPythonRuntime;
  /**
   * The instruction set; the layer or image must be built for it.
   * @default "arm64" (Graviton: lower price per GB-second; onnxruntime ships aarch64 wheels)
   */
  readonly architecture?: "arm64" | "x86_64";
  /**
   * Memory in MB (128 to 10,240); CPU follows it (one vCPU at 1,769 MB, six at 10,240 MB).
   * @default - twice the model plus 512 MiB, rounded up to 64 MiB, at least 1,769
   */
  readonly memorySizeMiB?: number;
  /**
   * Ephemeral storage (/tmp) in MB (512 to 10,240).
   * @default - for an S3 model its size plus 10% plus 64 MiB, at least 512; otherwise 512
   */
  readonly ephemeralStorageMiB?: number;
  /**
   * Seconds a request may run (at most 900; at most 30 behind an HTTP API).
   * @default - 300 behind the function URL, 30 behind an HTTP API
   */
  readonly timeoutSeconds?: number;
  /**
   * SnapStart: the model loads when a version is published, and new environments resume from the
   * snapshot. Python SnapStart bills the snapshot's cache for as long as the version is active, so a
   * function that should cost nothing idle leaves it off. Only for .zip functions with an S3 model
   * whose copy fits 512 MB of ephemeral storage (not with EFS or container images).
   * @default false
   */
  readonly snapStart?: boolean;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Days to keep the function's logs (a CloudWatch retention value).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key of the log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
  /**
   * Active X-Ray tracing.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Tags for every resource.
   * @default - `ManagedBy`
   */
  readonly tags?: Record<string, string>;
}

/** CloudWatch Logs' retention values. */
export const LAMBDA_LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/** A Lambda function name. */
export const LAMBDA_FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The tags the construct puts on every resource, before the user's. */
const OWN_TAGS = { ManagedBy: "cdktf-neuronx-patterns" };

/**
 * A Lambda function that answers the chat contract of the SageMaker endpoint's default code on CPU,
 * with a small causal LM exported to ONNX: it costs nothing when idle. For development, CI and small
 * models; a model that needs more than Lambda's 10,240 MB belongs on the SageMaker endpoint.
 *
 * It creates the function (published, behind the alias `live`), its role (reads its model, writes its
 * log group, and with EFS mounts its access point and manages its network interfaces; nothing else),
 * its log group, and the front door (the function URL by default).
 */
export class LambdaInferenceFunction extends Construct {
  /** The function name. */
  public readonly functionName: string;
  /** The function. */
  public readonly function: LambdaFunction;
  /** The alias the front door invokes. */
  public readonly alias: LambdaAlias;
  /** The execution role. */
  public readonly role: IamRole;
  /** The log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The URL to POST chat requests to. */
  public readonly url: string;
  /** An IAM policy document (JSON) allowing a caller to invoke it; undefined with JWT authorization. */
  public readonly invokePolicyJson?: string;
  /** Memory in MB. */
  public readonly memorySizeMiB: number;
  /** Ephemeral storage in MB. */
  public readonly ephemeralStorageMiB: number;
  /** Seconds a request may run. */
  public readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: LambdaInferenceFunctionProps) {
    super(scope, id);
    const tags = { ...OWN_TAGS, ...props.tags };
    const frontDoor = props.frontDoor ?? LambdaInferenceFrontDoor.functionUrl();
    const v = validate(this, props, frontDoor);
    const model = props.model.bind(this, tags);
    this.functionName = v.functionName;
    this.memorySizeMiB = v.memorySizeMiB;
    this.ephemeralStorageMiB = v.ephemeralStorageMiB;
    this.timeoutSeconds = v.timeoutSeconds;
    const image = model.source === "image";
    const deps = image ? undefined : (props.dependencies as LambdaInferenceDependencies).bind(this, v.runtime, v.architecture);
    const code = image ? undefined : packageCode(this);
    if (deps?.unzippedBytes !== undefined && code) {
      const total = (deps.unzippedBytes + code.unzippedBytes) / MiB;
      if (total > LAMBDA_LIMITS.zipUnzippedMiB) {
        throw new ValidationError(this.node.path, [
          `dependencies and the function's code are ${Math.ceil(total)} MB unzipped, over Lambda's ${LAMBDA_LIMITS.zipUnzippedMiB} MB for a .zip function; ` +
            `build the layer for one architecture with scripts/build-lambda-layer.sh, or use LambdaInferenceModel.fromContainerImage (up to 10 GB)`,
        ]);
      }
    }

    const partition = currentPartition(this).partition;
    const region = currentRegion(this).region;
    const account = currentAccount(this).accountId;
    this.logGroup = nameElement(
      new CloudwatchLogGroup(this, "LogGroup", {
        name: `/aws/lambda/${v.functionName}`,
        retentionInDays: props.logRetentionDays ?? 30,
        kmsKeyId: props.logKmsKeyArn,
        tags,
        lifecycle: v.preconditions.length > 0 ? { precondition: v.preconditions } : undefined,
      }),
      this,
    );
    if (!props.logKmsKeyArn) {
      justifyCheckovSkip(
        this.logGroup,
        "CKV_AWS_158",
        "Without logKmsKeyArn CloudWatch Logs encrypts the log with its own key; the log holds no request bodies.",
      );
    }
    justifyCheckovSkip(
      this.logGroup,
      "CKV_AWS_338",
      "The retention is logRetentionDays (30 by default): a development function's log, not an audit trail.",
    );

    const logGroupArn = `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${v.functionName}`;
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      // The log group is created above: the function may only write to it.
      { sid: "WriteLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroupArn}:*`] },
      ...model.statements,
    ];
    if (props.tracing) {
      // X-Ray's write actions take no resource-level permissions.
      statements.push({ sid: "WriteTraces", actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] });
    }
    const assume = nameElement(
      new DataAwsIamPolicyDocument(this, "AssumeRole", {
        statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] }],
      }),
      this,
      "assume_role",
    );
    this.role = nameElement(
      new IamRole(this, "Role", {
        namePrefix: "lambda-inference-",
        description: `Execution role of the Lambda inference function ${v.functionName}`,
        assumeRolePolicy: assume.json,
        tags,
      }),
      this,
    );
    const policy = nameElement(new DataAwsIamPolicyDocument(this, "Policy", { statement: statements }), this);
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "RolePolicy", { namePrefix: "lambda-inference-", role: this.role.id, policy: policy.json }),
      this,
    );

    this.function = nameElement(
      new LambdaFunction(this, "Function", {
        functionName: v.functionName,
        description: `Chat inference on CPU (${model.source} model, ${Math.ceil(model.sizeBytes / MiB)} MiB)`,
        role: this.role.arn,
        architectures: [v.architecture],
        memorySize: v.memorySizeMiB,
        timeout: v.timeoutSeconds,
        ephemeralStorage: { size: v.ephemeralStorageMiB },
        publish: true,
        ...(image
          ? { packageType: "Image", imageUri: model.imageUri, imageConfig: { command: [LAMBDA_INFERENCE_CODE.handler] } }
          : {
              packageType: "Zip",
              runtime: v.runtime,
              handler: LAMBDA_INFERENCE_CODE.handler,
              filename: code?.asset.path,
              sourceCodeHash: code ? Fn.filebase64sha256(code.asset.path) : undefined,
              layers: deps ? [deps.layerArn] : undefined,
            }),
        environment: { variables: model.environment },
        fileSystemConfig: model.fileSystem
          ? { arn: model.fileSystem.accessPointArn, localMountPath: model.fileSystem.localMountPath }
          : undefined,
        vpcConfig: model.vpc ? { subnetIds: model.vpc.subnetIds, securityGroupIds: model.vpc.securityGroupIds } : undefined,
        snapStart: props.snapStart ? { applyOn: "PublishedVersions" } : undefined,
        reservedConcurrentExecutions: props.reservedConcurrentExecutions,
        tracingConfig: { mode: props.tracing ? "Active" : "PassThrough" },
        loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
        tags,
        dependsOn: [rolePolicy, this.logGroup, ...model.dependsOn],
        lifecycle: {
          precondition: [
            ...model.preconditions,
            ...(props.snapStart
              ? [
                  {
                    condition: Op.not(Fn.contains([...SNAPSTART_UNSUPPORTED_REGIONS], region)),
                    errorMessage: `Lambda offers no SnapStart in ${SNAPSTART_UNSUPPORTED_REGIONS.join(" or ")}. Set snapStart to false for this region.`,
                  },
                ]
              : []),
          ],
        },
      }),
      this,
    );
    justifyCheckovSkip(
      this.function,
      "CKV_AWS_116",
      "Invoked synchronously through its URL or HTTP API; a dead-letter queue only receives failed asynchronous events.",
    );
    justifyCheckovSkip(
      this.function,
      "CKV_AWS_173",
      "The environment holds where the model is (a bucket, a prefix or a path), no secret; Lambda encrypts it with its own key.",
    );
    justifyCheckovSkip(
      this.function,
      "CKV_AWS_272",
      "Code signing needs a signing profile the platform team owns; the package is built from this repository by Terraform.",
    );
    if (props.reservedConcurrentExecutions === undefined) {
      justifyCheckovSkip(
        this.function,
        "CKV_AWS_115",
        "No reserved concurrency by default: a reservation takes from the account's pool even when idle (new accounts have 10); set reservedConcurrentExecutions to cap it.",
      );
    }
    if (!model.vpc) {
      justifyCheckovSkip(
        this.function,
        "CKV_AWS_117",
        "Without EFS the function reaches only S3 and CloudWatch Logs; a VPC would add NAT or endpoints for no isolation gain.",
      );
    }

    this.alias = nameElement(
      new LambdaAlias(this, "Alias", {
        name: "live",
        description: "The published version the front door invokes",
        functionName: this.function.functionName,
        functionVersion: this.function.version,
      }),
      this,
    );
    const door = frontDoor.bind(this, {
      alias: this.alias,
      functionName: v.functionName,
      timeoutSeconds: v.timeoutSeconds,
      logRetentionDays: props.logRetentionDays ?? 30,
      tags,
    });
    this.url = door.url;
    this.invokePolicyJson = door.invokePolicyJson;
  }
}

/** The function's .zip: the packages' files ({@link packageFiles}), staged and zipped by cdktf. */
function packageCode(scope: Construct): { asset: TerraformAsset; unzippedBytes: number } {
  const contents = packageFiles(LAMBDA_INFERENCE_CODE.packages);
  const unzipped = [...contents.values()].reduce((sum, b) => sum + b.length, 0);
  const { dir, hash } = stageGenerated(scope, contents);
  const asset = new TerraformAsset(scope, "CodeAsset", { path: dir, type: AssetType.ARCHIVE, assetHash: hash });
  return { asset, unzippedBytes: unzipped };
}

function validate(construct: Construct, props: LambdaInferenceFunctionProps, frontDoor: LambdaInferenceFrontDoor) {
  const model = {
    source: props.model.source,
    sizeBytes: props.model.sizeBytes,
    ephemeralBytes: props.model.source === "s3" ? props.model.sizeBytes : 0,
  };
  const v = new Validator(construct);
  const problems = v.problems;
  /** A whole number prop within Lambda's limits: true when it is set and valid. */
  const intIn = (prop: string, value: number | undefined, min: number, max: number, unit?: string) =>
    v.integer(prop, value, min, max, { unit });
  const sized = sizeLambdaFunction(model.sizeBytes, model.ephemeralBytes);
  const modelMiB = Math.ceil(model.sizeBytes / MiB);
  const L = LAMBDA_LIMITS;

  problems.when(
    sized.neededMemoryMiB > L.memoryMiB.max,
    () =>
      `the model (${modelMiB} MiB) needs about ${sized.neededMemoryMiB} MB of memory (twice the model while onnxruntime loads it, ` +
      `plus ${LAMBDA_SIZING.baseMiB} MiB), over Lambda's ${L.memoryMiB.max} MB; serve it on Inferentia2 with ` +
      `TransformersNeuronxSageMakerRealtimeInferenceEndpoint, or export a smaller model`,
  );
  problems.when(
    sized.neededEphemeralMiB > L.ephemeralStorageMiB.max,
    () =>
      `the S3 model (${modelMiB} MiB) needs ${sized.neededEphemeralMiB} MB of ephemeral storage for its copy, over Lambda's ` +
      `${L.ephemeralStorageMiB.max} MB; use LambdaInferenceModel.fromEfs, or the SageMaker endpoint`,
  );
  problems.when(
    model.source === "image" && modelMiB > L.imageMiB - 1024,
    () =>
      `the image's model (${modelMiB} MiB) leaves no room for the runtime in Lambda's ${L.imageMiB} MB image limit; use the SageMaker endpoint`,
  );

  const memoryOk = intIn("memorySizeMiB", props.memorySizeMiB, L.memoryMiB.min, L.memoryMiB.max, "MB");
  problems.when(
    memoryOk && (props.memorySizeMiB as number) < sized.neededMemoryMiB && sized.neededMemoryMiB <= L.memoryMiB.max,
    () =>
      `memorySizeMiB ${props.memorySizeMiB} is less than the ${sized.neededMemoryMiB} MB the model (${modelMiB} MiB) needs to load ` +
      `(twice the model plus ${LAMBDA_SIZING.baseMiB} MiB); raise it or leave it unset`,
  );
  const ephemeralOk = intIn("ephemeralStorageMiB", props.ephemeralStorageMiB, L.ephemeralStorageMiB.min, L.ephemeralStorageMiB.max, "MB");
  problems.when(
    ephemeralOk && (props.ephemeralStorageMiB as number) < sized.neededEphemeralMiB,
    () =>
      `ephemeralStorageMiB ${props.ephemeralStorageMiB} is less than the ${sized.neededEphemeralMiB} MB the S3 model's copy needs; raise it or leave it unset`,
  );
  const timeout = props.timeoutSeconds ?? frontDoor.defaultTimeoutSeconds;
  const timeoutOk = intIn("timeoutSeconds", props.timeoutSeconds, L.timeoutSeconds.min, L.timeoutSeconds.max, "seconds");
  problems.when(
    timeoutOk && timeout > frontDoor.maxTimeoutSeconds,
    () =>
      `timeoutSeconds ${timeout} is longer than the ${frontDoor.maxTimeoutSeconds} seconds an ${frontDoor.kind} waits for an answer; ` +
      `lower it, or use LambdaInferenceFrontDoor.functionUrl() (up to 900 seconds)`,
  );
  intIn("reservedConcurrentExecutions", props.reservedConcurrentExecutions, L.reservedConcurrency.min, L.reservedConcurrency.max);
  problems.when(
    props.logRetentionDays !== undefined && !LAMBDA_LOG_RETENTION_DAYS.includes(props.logRetentionDays),
    () =>
      `logRetentionDays must be one of CloudWatch's retention values (${LAMBDA_LOG_RETENTION_DAYS.join(", ")}), got ${props.logRetentionDays}`,
  );
  v.string("logKmsKeyArn", props.logKmsKeyArn, RULES.kmsKeyArn);

  const runtime = props.runtime ?? LAMBDA_DEFAULT_RUNTIME;
  problems.when(
    !(LAMBDA_PYTHON_RUNTIMES as readonly string[]).includes(runtime),
    () =>
      `runtime must be one of ${LAMBDA_PYTHON_RUNTIMES.join(", ")} (Lambda's supported Python runtimes from 3.12, the first with SnapStart), got ${JSON.stringify(runtime)}`,
  );
  const architecture = props.architecture ?? "arm64";
  problems.when(
    architecture !== "arm64" && architecture !== "x86_64",
    () => `architecture must be "arm64" or "x86_64", got ${JSON.stringify(architecture)}`,
  );
  if (model.source === "image") {
    problems.when(
      props.dependencies !== undefined,
      "dependencies must be unset with a container image: the image brings its own libraries",
    );
    problems.when(props.runtime !== undefined, "runtime must be unset with a container image: the image's base sets the Python version");
  } else {
    problems.when(
      props.dependencies === undefined,
      "dependencies is required for a .zip function: build the layer with scripts/build-lambda-layer.sh <arm64|x86_64> <3.12|3.13|3.14> and pass " +
        "LambdaInferenceDependencies.fromLayerZip(file, bucket), or an existing layer with fromLayerArn(arn)",
    );
  }

  if (props.snapStart) {
    // https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html: Python 3.12+, published versions, and not with
    // provisioned concurrency, EFS, ephemeral storage over 512 MB, or container images.
    problems.when(
      model.source === "image",
      "snapStart is not available for container images; set snapStart to false, or use an S3 model with a .zip function",
    );
    problems.when(
      model.source === "efs",
      "snapStart is not available with EFS; set snapStart to false, or use an S3 model of at most about 400 MiB",
    );
    const ephemeral = props.ephemeralStorageMiB ?? sized.ephemeralStorageMiB;
    problems.when(
      model.source === "s3" && ephemeral > L.snapStartMaxEphemeralMiB,
      () =>
        `snapStart allows at most ${L.snapStartMaxEphemeralMiB} MB of ephemeral storage, but the S3 model (${modelMiB} MiB) needs ${ephemeral} MB for its copy; ` +
        `set snapStart to false, or serve a smaller model`,
    );
  }

  const functionName = props.functionName ?? defaultEndpointName(construct);
  if (v.text("functionName", functionName)) {
    problems.when(
      !LAMBDA_FUNCTION_NAME.test(functionName),
      () => `functionName must be 1 to 64 letters, digits, hyphens and underscores, got ${show(functionName)}`,
    );
  }
  v.tags("tags", props.tags, OWN_TAGS);
  problems.throwIfAny(construct.node.path);

  return {
    functionName,
    runtime,
    architecture,
    memorySizeMiB: props.memorySizeMiB ?? sized.memoryMiB,
    ephemeralStorageMiB: props.ephemeralStorageMiB ?? sized.ephemeralStorageMiB,
    timeoutSeconds: timeout,
    /** Plan-time checks of references (logKmsKeyArn, tag values), as preconditions of the log group: the first resource. */
    preconditions: v.preconditionsFor("logKmsKeyArn", "tags"),
  };
}

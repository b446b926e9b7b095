import * as crypto from "crypto";
import { TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SagemakerEndpoint } from "@cdktf/provider-aws/lib/sagemaker-endpoint";
import { SagemakerEndpointConfiguration } from "@cdktf/provider-aws/lib/sagemaker-endpoint-configuration";
import { SagemakerModel } from "@cdktf/provider-aws/lib/sagemaker-model";
import { SETTINGS_ENV } from "./compile-settings";
import { NeuronxContainerImage } from "./container-images";
import { ModelDataConfig, TransformersNeuronxSageMakerInferenceModelData } from "./model-data";
import { INF2_INSTANCE_TYPES, Inf2InstanceType, findInf2InstanceType, inf1Problem } from "./neuron-spec";
import { RULES } from "./patterns";
import { justifyCheckovSkip } from "./private/checkov";
import { nameElement, snakeCase } from "./private/naming";
import { uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import {
  Validator,
  checkImageConfig,
  embeddedExpression,
  preconditions as renderPreconditions,
  show,
  terraformLiteral,
} from "./private/validation";

const GiB = 2 ** 30;

/** SageMaker's limits for a production variant. */
export const SAGEMAKER_LIMITS = {
  /** ModelDataDownloadTimeoutInSeconds and ContainerStartupHealthCheckTimeoutInSeconds. */
  timeoutSeconds: { min: 60, max: 3600 },
  /** VolumeSizeInGB. */
  volumeSizeGiB: { min: 1, max: 512 },
  /** InitialInstanceCount, and the autoscaling bounds we accept. */
  instanceCount: { min: 1, max: 100 },
  /** Endpoint, model and endpoint configuration names. */
  nameLength: 63,
  /**
   * The container's environment: entries, bytes of a key or a value, bytes of all keys and values
   * (botocore's SageMaker model, EnvironmentMap, and the ContainerDefinition documentation).
   */
  environment: { entries: 100, keyOrValueBytes: 1024, totalBytes: 32 * 1024 },
  /** Subnets and security groups of a VpcConfig. */
  vpc: { subnets: 16, securityGroups: 5 },
  /** Application Auto Scaling's TargetValue range (MetricScale: -2^360 to 2^360). */
  targetValueMax: 2 ** 360,
} as const;

/**
 * The `InferenceAmiVersion`s of a production variant that carry the Neuron driver, from the SageMaker API's
 * `ProductionVariantInferenceAmiVersion` enum (botocore 1.44.8, data/sagemaker/2017-07-24/service-2.json:
 * al2-ami-sagemaker-inference-gpu-2, -gpu-2-1, -gpu-3-1, al2023-ami-sagemaker-inference-gpu-4-1 and
 * al2-ami-sagemaker-inference-neuron-2, "Accelerator: Inferentia2 and Trainium, Neuron driver version: 2.19").
 * The AWS provider validates the value against the same enum (aws_sagemaker_endpoint_configuration,
 * production_variants.inference_ami_version). Without it, inf2 hosts run the default host AMI and its older driver.
 */
export const NEURON_INFERENCE_AMI_VERSIONS: readonly string[] = ["al2-ami-sagemaker-inference-neuron-2"];

/** Defaults of the endpoint's serving settings. */
export const ENDPOINT_DEFAULTS = {
  /** The Neuron inference AMI of the production variant. */
  inferenceAmiVersion: NEURON_INFERENCE_AMI_VERSIONS[0],
  /**
   * The most new tokens a request may ask for. SageMaker ends an InvokeEndpoint call after 60 seconds
   * (the response must start within it), so a generation must fit in it: 512 tokens take about 25 s at
   * 20 tokens a second, a rate assumed here for a 7B to 8B model on two NeuronCores, not measured.
   */
  maxNewTokens: 512,
} as const;

/** Where the endpoint's inference code is, inside the model data SageMaker copies to /opt/ml/model. */
export const INFERENCE_CODE = {
  /** The toolkit puts `/opt/ml/model/code` on PYTHONPATH; each endpoint's code is in a folder of its own below it. */
  containerDir: "/opt/ml/model/code",
  /** Key prefix below the artifacts' prefix. */
  keyPrefix: "code/",
} as const;

/** Environment variables the endpoint sets from its props, which `environment` cannot override. */
export const SERVING_ENV = {
  maxNewTokens: "NEURONX_MAX_NEW_TOKENS",
  pythonPath: "PYTHONPATH",
} as const;
/**
 * The environment variables the construct sets, and the prop that sets each: `environment` may not
 * override them, since the container would then disagree with the artifacts or the endpoint.
 */
export const RESERVED_ENVIRONMENT: Readonly<Record<string, string>> = {
  SAGEMAKER_PROGRAM: "the construct (inference.py of the code directory, customCodeDir)",
  SAGEMAKER_SUBMIT_DIRECTORY: "the construct (the code is <prefix>code/<endpoint name>/, set by customCodeDir)",
  SAGEMAKER_CONTAINER_LOG_LEVEL: "the construct",
  SAGEMAKER_MODEL_SERVER_WORKERS: "the construct (one worker owns the NeuronCores)",
  SAGEMAKER_MODEL_SERVER_TIMEOUT: "containerStartupHealthCheckTimeoutSeconds",
  SAGEMAKER_STARTUP_TIMEOUT: "containerStartupHealthCheckTimeoutSeconds (the toolkit reads it only off its TorchServe path)",
  PYTHONPATH: "the construct (it points the toolkit at this endpoint's inference code)",
  NEURONX_MAX_NEW_TOKENS: "maxNewTokens",
  NEURON_RT_NUM_CORES: "compileOptions.tpDegree (the artifacts' TP degree)",
};

/** How the defaults scale with the artifacts' size. */
export const ENDPOINT_SCALING = {
  /**
   * SageMaker downloads the model data once onto the ML storage volume (/opt/ml/model), and the PyTorch inference
   * toolkit (2.0.25) starts TorchServe with `--models model=/opt/ml/model`, which reads the directory in place.
   */
  volumeCopies: 1,
  volumeHeadroomGiB: 10,
  volumeMinGiB: 30,
  /** Seconds to download, and to load onto the NeuronCores, per GiB of artifacts, on top of a base. */
  downloadBaseSeconds: 600,
  downloadSecondsPerGiB: 15,
  startupBaseSeconds: 600,
  startupSecondsPerGiB: 20,
} as const;

/** Data capture of requests and responses to S3. */
export interface DataCaptureOptions {
  /** Where captured data goes, `s3://bucket/prefix`. */
  readonly destinationS3Uri: string;
  /**
   * Percentage of requests captured.
   * @default 100
   */
  readonly samplingPercentage?: number;
  /**
   * Capture requests.
   * @default true
   */
  readonly captureInput?: boolean;
  /**
   * Capture responses.
   * @default true
   */
  readonly captureOutput?: boolean;
  /**
   * KMS key for the captured data.
   * @default - the bucket's encryption
   */
  readonly kmsKeyArn?: string;
}

/** Target tracking on invocations per instance. */
export interface AutoScalingOptions {
  /** Fewest instances. */
  readonly minCapacity: number;
  /** Most instances. */
  readonly maxCapacity: number;
  /** Invocations per instance per minute to hold (SageMakerVariantInvocationsPerInstance). */
  readonly targetInvocationsPerInstance: number;
  /**
   * Seconds after a scale-in before another.
   * @default 300
   */
  readonly scaleInCooldownSeconds?: number;
  /**
   * Seconds after a scale-out before another.
   * @default 60
   */
  readonly scaleOutCooldownSeconds?: number;
}

/** Subnets and security groups of the model's containers. */
export interface EndpointVpcConfig {
  /** Subnets (with a route to S3 and ECR, e.g. VPC endpoints). */
  readonly subnetIds: string[];
  /** Security groups. */
  readonly securityGroupIds: string[];
}

/** Props of {@link TransformersNeuronxSageMakerRealtimeInferenceEndpoint}. */
export interface TransformersNeuronxSageMakerRealtimeInferenceEndpointProps {
  /** The artifacts to serve, e.g. `TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile)`. */
  readonly modelData: TransformersNeuronxSageMakerInferenceModelData;
  /**
   * The SageMaker instance type, e.g. `ml.inf2.xlarge`; it needs the model's TP degree in NeuronCores.
   * @default - the serving instance type the model was sized for (`ml.` + NeuronxCompile's servingInstanceType)
   */
  readonly instanceType?: string;
  /**
   * Instances behind the endpoint (the initial count when autoScaling is set).
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * The endpoint name (1 to 63 letters, digits and hyphens).
   * @default - `<stack id>-<construct id>` in kebab case, shortened with a hash past 63 characters
   */
  readonly endpointName?: string;
  /**
   * The ML storage volume of each instance, in GiB.
   * @default - the artifacts plus 10 GiB (SageMaker downloads them there once), at least 30
   */
  readonly volumeSizeGiB?: number;
  /**
   * Seconds allowed to download the artifacts onto an instance (60 to 3600).
   * @default - 600 plus 15 a GiB of artifacts, at most 3600
   */
  readonly modelDataDownloadTimeoutSeconds?: number;
  /**
   * Seconds allowed for the container to load the model and pass its first health check (60 to 3600).
   * @default - 600 plus 20 a GiB of artifacts, at most 3600
   */
  readonly containerStartupHealthCheckTimeoutSeconds?: number;
  /**
   * KMS key that encrypts the instances' ML storage volumes.
   * @default - AWS managed encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Capture requests and responses to S3.
   * @default - no data capture
   */
  readonly dataCapture?: DataCaptureOptions;
  /**
   * Run the model's containers in a VPC.
   * @default - no VPC
   */
  readonly vpcConfig?: EndpointVpcConfig;
  /**
   * Network isolation: the container makes no outbound calls (the default inference code needs none).
   * @default true
   */
  readonly networkIsolation?: boolean;
  /**
   * Scale the instance count on invocations per instance.
   * @default - a fixed instance count
   */
  readonly autoScaling?: AutoScalingOptions;
  /**
   * The serving image; it must carry the Neuron SDK the artifacts were compiled with.
   * @default - the image that compiled the artifacts
   */
  readonly containerImage?: NeuronxContainerImage;
  /**
   * More environment variables for the container. The compile settings' variables are set from the artifacts and cannot be overridden.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * The production variant's SageMaker inference AMI, which carries the Neuron driver (`InferenceAmiVersion`).
   * @default "al2-ami-sagemaker-inference-neuron-2"
   */
  readonly inferenceAmiVersion?: string;
  /**
   * The most new tokens a request to the default inference code may ask for (`parameters.max_new_tokens`; more is a
   * 400). SageMaker ends an invocation after 60 seconds, so keep a generation of this length within it.
   * @default - 512, or less than nPositions if that is smaller
   */
  readonly maxNewTokens?: number;
  /**
   * Tags for every resource.
   * @default - `neuronx:model`, `ManagedBy`
   */
  readonly tags?: Record<string, string>;
}

/**
 * A SageMaker real-time endpoint on Inferentia2 that serves compiled transformers-neuronx
 * artifacts: an execution role limited to its artifacts, image and logs; a model whose data is
 * the artifacts' S3 prefix (uncompressed) and whose environment is the compile settings; an
 * endpoint configuration sized from the model; the endpoint; optionally autoscaling.
 */
export class TransformersNeuronxSageMakerRealtimeInferenceEndpoint extends Construct {
  /** The endpoint name. */
  public readonly endpointName: string;
  /** The endpoint ARN. */
  public readonly endpointArn: string;
  /** An IAM policy document (JSON) that allows invoking this endpoint; attach it to callers. */
  public readonly invokePolicyJson: string;
  /** The SageMaker instance type. */
  public readonly instanceType: string;
  /** The execution role. */
  public readonly role: IamRole;
  /** The SageMaker model. */
  public readonly model: SagemakerModel;
  /** The endpoint configuration. */
  public readonly endpointConfiguration: SagemakerEndpointConfiguration;
  /** The endpoint. */
  public readonly endpoint: SagemakerEndpoint;

  constructor(scope: Construct, id: string, props: TransformersNeuronxSageMakerRealtimeInferenceEndpointProps) {
    super(scope, id);
    const checks = new Validator(this);
    if (!checks.record("props", props, { optional: false, what: "the endpoint's props (an object with at least modelData)" })) {
      checks.problems.throwIfAny(this.node.path);
    }
    if (!(props.modelData instanceof TransformersNeuronxSageMakerInferenceModelData)) {
      checks.problems.add(
        `modelData must be TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(...), fromNeuronxCompileOutputs(...) or fromS3(...), got ${show(props.modelData)}`,
      );
      checks.problems.throwIfAny(this.node.path);
    }
    const data = props.modelData.bind(this);
    const v = validate(this, props, data, checks);
    const preconditions = renderPreconditions(this, [...data.preconditions, ...checks.planChecks]);
    this.instanceType = v.instanceType;
    this.endpointName = v.endpointName;

    const ownTags = { "neuronx:model": data.settings.modelId, ManagedBy: "cdktf-neuronx-patterns" };
    const tags = { ...ownTags, ...props.tags };
    const partition = currentPartition(this).partition;
    const region = currentRegion(this).region;
    const account = currentAccount(this).accountId;
    const image = (props.containerImage ?? data.containerImage).bind(this);
    const imageCheck = new Validator(this);
    checkImageConfig(imageCheck, "containerImage", props.containerImage ?? data.containerImage, image);
    imageCheck.problems.throwIfAny(this.node.path);
    const logGroupArn = `arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${v.endpointName}`;

    const statements: DataAwsIamPolicyDocumentStatement[] = [
      { sid: "ReadModelArtifacts", actions: ["s3:GetObject"], resources: [`${data.bucketArn}/${data.prefix}*`] },
      {
        sid: "ListModelArtifacts",
        actions: ["s3:ListBucket"],
        resources: [data.bucketArn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${data.prefix}*`] }],
      },
      {
        sid: "PullServingImage",
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        resources: [image.repositoryArn],
      },
      // GetAuthorizationToken has no resource-level permissions.
      { sid: "LogInToEcr", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        sid: "WriteEndpointLogs",
        actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        resources: [logGroupArn, `${logGroupArn}:*`],
      },
    ];
    if (props.dataCapture) {
      // SageMaker writes <destination>/<endpoint name>/<variant>/yyyy/mm/dd/hh/*.jsonl
      // (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html):
      // the role may write there only, even when the destination is a bucket's root.
      const destination = props.dataCapture.destinationS3Uri;
      const path = Token.isUnresolved(destination)
        ? `\${trimsuffix(trimprefix(${embeddedExpression(destination)}, "s3://"), "/")}`
        : destination.replace(/^s3:\/\//, "").replace(/\/+$/, "");
      statements.push({
        sid: "WriteDataCapture",
        actions: ["s3:PutObject"],
        resources: [`arn:${partition}:s3:::${path}/${v.endpointName}/*`],
      });
    }
    if (props.vpcConfig) {
      // SageMaker attaches network interfaces in the VPC; these actions take no resource-level permissions.
      statements.push({
        sid: "AttachToVpc",
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:CreateNetworkInterfacePermission",
          "ec2:DeleteNetworkInterface",
          "ec2:DeleteNetworkInterfacePermission",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeVpcs",
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
        ],
        resources: ["*"],
      });
    }
    const assume = nameElement(
      new DataAwsIamPolicyDocument(this, "AssumeRole", {
        statement: [
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["sagemaker.amazonaws.com"] }],
            // Confused deputy prevention: SageMaker may assume the role only for this account's resources
            // (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html).
            condition: [
              { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
              { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:${partition}:sagemaker:${region}:${account}:*`] },
            ],
          },
        ],
      }),
      this,
      "assume_role",
    );
    this.role = nameElement(
      new IamRole(this, "Role", {
        namePrefix: "neuronx-endpoint-",
        description: `Execution role of the SageMaker endpoint ${v.endpointName}: reads ${data.prefix} only`,
        assumeRolePolicy: assume.json,
        tags,
      }),
      this,
    );
    const policyDocument = nameElement(
      new DataAwsIamPolicyDocument(this, "Policy", {
        statement: statements,
        // References among the bucket, prefix, capture destination and keys are checked before they reach IAM.
        lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
      }),
      this,
    );
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "RolePolicy", { namePrefix: "neuronx-endpoint-", role: this.role.id, policy: policyDocument.json }),
      this,
    );

    // Each endpoint's code has a folder of its own inside the model data, so that two endpoints on one compile
    // never overwrite each other's: SageMaker copies the whole prefix at every instance start (autoscaling
    // included), and the model's PYTHONPATH (v.environment) points the toolkit at this endpoint's folder.
    const code = uploadDirectory(this, "Code", {
      dir: data.codeDir,
      exclude: data.codeExclude,
      bucket: data.bucketName,
      keyPrefix: `${data.prefix}${INFERENCE_CODE.keyPrefix}${v.endpointName}/`,
      pattern: "**",
      // S3 takes at most 10 tags an object: the construct's own.
      tags: ownTags,
      owner: this,
      suffix: "code",
    });

    this.model = nameElement(
      new SagemakerModel(this, "Model", {
        executionRoleArn: this.role.arn,
        enableNetworkIsolation: props.networkIsolation ?? true,
        primaryContainer: {
          image: image.imageUri,
          mode: "SingleModel",
          modelDataSource: { s3DataSource: [{ s3Uri: data.s3Uri, s3DataType: "S3Prefix", compressionType: "None" }] },
          environment: v.environment,
        },
        vpcConfig: props.vpcConfig ? { subnets: props.vpcConfig.subnetIds, securityGroupIds: props.vpcConfig.securityGroupIds } : undefined,
        tags,
        dependsOn: [rolePolicy, code, ...data.dependsOn],
        // Model changes replace it; the endpoint moves to the new one before the old goes.
        lifecycle: { createBeforeDestroy: true, ...(preconditions.length > 0 ? { precondition: preconditions } : {}) },
      }),
      this,
    );

    const capture = props.dataCapture;
    this.endpointConfiguration = nameElement(
      new SagemakerEndpointConfiguration(this, "EndpointConfiguration", {
        // The provider adds 26 characters to the prefix; SageMaker names have at most 63.
        namePrefix: Token.isUnresolved(v.endpointName)
          ? `\${substr(${embeddedExpression(v.endpointName)}, 0, ${SAGEMAKER_LIMITS.nameLength - 26 - 1})}-`
          : `${v.endpointName.slice(0, SAGEMAKER_LIMITS.nameLength - 26 - 1)}-`,
        kmsKeyArn: props.kmsKeyArn,
        productionVariants: [
          {
            variantName: "AllTraffic",
            modelName: this.model.name,
            instanceType: v.instanceType,
            initialInstanceCount: v.instanceCount,
            volumeSizeInGb: v.volumeSizeGiB,
            modelDataDownloadTimeoutInSeconds: v.downloadTimeout,
            containerStartupHealthCheckTimeoutInSeconds: v.startupTimeout,
            inferenceAmiVersion: v.inferenceAmiVersion,
          },
        ],
        dataCaptureConfig: capture
          ? {
              enableCapture: true,
              destinationS3Uri: capture.destinationS3Uri,
              initialSamplingPercentage: capture.samplingPercentage ?? 100,
              kmsKeyId: capture.kmsKeyArn,
              captureOptions: [
                ...((capture.captureInput ?? true) ? [{ captureMode: "Input" }] : []),
                ...((capture.captureOutput ?? true) ? [{ captureMode: "Output" }] : []),
              ],
              captureContentTypeHeader: { jsonContentTypes: ["application/json"] },
            }
          : undefined,
        tags,
        lifecycle: { createBeforeDestroy: true },
      }),
      this,
    );

    if (!props.kmsKeyArn) {
      justifyCheckovSkip(
        this.endpointConfiguration,
        "CKV_AWS_98",
        "Without kmsKeyArn SageMaker encrypts the ML storage volumes with an AWS managed key; set kmsKeyArn for a customer managed one.",
      );
    }

    this.endpoint = nameElement(
      new SagemakerEndpoint(this, "Endpoint", {
        name: v.endpointName,
        endpointConfigName: this.endpointConfiguration.name,
        tags,
      }),
      this,
    );
    this.endpointArn = this.endpoint.arn;

    if (props.autoScaling) {
      const target = nameElement(
        new AppautoscalingTarget(this, "ScalingTarget", {
          serviceNamespace: "sagemaker",
          resourceId: `endpoint/${this.endpoint.name}/variant/AllTraffic`,
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          minCapacity: props.autoScaling.minCapacity,
          maxCapacity: props.autoScaling.maxCapacity,
          tags,
        }),
        this,
      );
      nameElement(
        new AppautoscalingPolicy(this, "ScalingPolicy", {
          name: `${v.endpointName}-invocations-per-instance`,
          policyType: "TargetTrackingScaling",
          serviceNamespace: target.serviceNamespace,
          resourceId: target.resourceId,
          scalableDimension: target.scalableDimension,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: props.autoScaling.targetInvocationsPerInstance,
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
            scaleInCooldown: props.autoScaling.scaleInCooldownSeconds ?? 300,
            scaleOutCooldown: props.autoScaling.scaleOutCooldownSeconds ?? 60,
          },
        }),
        this,
      );
    }

    this.invokePolicyJson = nameElement(
      new DataAwsIamPolicyDocument(this, "InvokePolicy", {
        statement: [{ sid: "InvokeEndpoint", actions: ["sagemaker:InvokeEndpoint"], resources: [this.endpoint.arn] }],
      }),
      this,
      "invoke",
    ).json;
  }
}

/** The endpoint name from the construct's place: `<stack>-<id>`, kebab case, at most 63 characters. */
export function defaultEndpointName(construct: Construct): string {
  const kebab = (s: string) => snakeCase(s).replace(/^_+/, "").replace(/_/g, "-");
  const name = `${kebab(TerraformStack.of(construct).node.id)}-${kebab(construct.node.id)}`.replace(/-+/g, "-");
  if (name.length <= SAGEMAKER_LIMITS.nameLength) return name;
  const hash = crypto.createHash("sha256").update(construct.node.path).digest("hex").slice(0, 8);
  return `${name.slice(0, SAGEMAKER_LIMITS.nameLength - 9).replace(/-+$/, "")}-${hash}`;
}

/** Defaults that scale with the artifacts: volume, download and startup timeouts. */
export function scaledDefaults(artifactBytes: number) {
  const s = ENDPOINT_SCALING;
  const gib = artifactBytes / GiB;
  const clampTimeout = (v: number) =>
    Math.min(SAGEMAKER_LIMITS.timeoutSeconds.max, Math.max(SAGEMAKER_LIMITS.timeoutSeconds.min, Math.ceil(v)));
  return {
    volumeSizeGiB: Math.max(s.volumeMinGiB, Math.ceil(s.volumeCopies * gib + s.volumeHeadroomGiB)),
    downloadTimeout: clampTimeout(s.downloadBaseSeconds + s.downloadSecondsPerGiB * gib),
    startupTimeout: clampTimeout(s.startupBaseSeconds + s.startupSecondsPerGiB * gib),
  };
}

function validate(
  construct: Construct,
  props: TransformersNeuronxSageMakerRealtimeInferenceEndpointProps,
  data: ModelDataConfig,
  v: Validator,
) {
  const problems = v.problems;
  const tp = data.settings.tpDegree;
  const allowed = INF2_INSTANCE_TYPES.map((t) => `ml.${t.name}`).join(", ");
  const fitting = (pred: (t: Inf2InstanceType) => boolean) => INF2_INSTANCE_TYPES.find(pred)?.name;

  // Instance type: an ml.inf2 type with the TP degree's NeuronCores and the host memory for the checkpoint.
  const instanceType = props.instanceType ?? `ml.${data.sizing.servingInstanceType}`;
  const type = typeof instanceType === "string" && instanceType.startsWith("ml.") ? findInf2InstanceType(instanceType.slice(3)) : undefined;
  if (!type) {
    problems.add(
      inf1Problem("instanceType", instanceType) ??
        `instanceType must be one of ${allowed}, got ${typeof instanceType === "string" && Token.isUnresolved(instanceType) ? "a Terraform reference (it is checked against the model, so it must be known at synth time)" : show(instanceType)}`,
    );
  } else {
    problems.when(
      type.neuronCores < tp,
      () =>
        `instanceType ${instanceType} has ${type.neuronCores} NeuronCores, fewer than the tensor parallel degree ${tp} the model was compiled for; ` +
        `use ml.${fitting((t) => t.neuronCores >= tp && t.memoryGiB * GiB >= data.sizing.servingHostBytes)} or larger`,
    );
    problems.when(
      type.neuronCores >= tp && type.memoryGiB * GiB < data.sizing.servingHostBytes,
      () =>
        `instanceType ${instanceType} has ${type.memoryGiB} GiB of host memory, but serving ${data.settings.modelId} needs about ` +
        `${Math.ceil(data.sizing.servingHostBytes / GiB)} GiB; use ml.${fitting((t) => t.neuronCores >= tp && t.memoryGiB * GiB >= data.sizing.servingHostBytes)}`,
    );
  }

  const endpointName = props.endpointName ?? defaultEndpointName(construct);
  v.string("endpointName", endpointName, RULES.endpointName);

  // Sizes and timeouts: scaled from the artifacts, within SageMaker's limits.
  const artifactBytes = data.sizing.checkpointBytes;
  const scaled = scaledDefaults(artifactBytes);
  const t = SAGEMAKER_LIMITS.timeoutSeconds;
  v.integer("modelDataDownloadTimeoutSeconds", props.modelDataDownloadTimeoutSeconds, t.min, t.max, { unit: "seconds" });
  v.integer("containerStartupHealthCheckTimeoutSeconds", props.containerStartupHealthCheckTimeoutSeconds, t.min, t.max, {
    unit: "seconds",
  });
  const vol = SAGEMAKER_LIMITS.volumeSizeGiB;
  v.integer("volumeSizeGiB", props.volumeSizeGiB, vol.min, vol.max, { unit: "GiB" });
  // No check of the default volume against SageMaker's 512 GiB: with one copy of the artifacts it stays below, since a
  // model that compiles has at most half of inf2.48xlarge's 768 GiB of host memory in checkpoint.
  const count = SAGEMAKER_LIMITS.instanceCount;
  const countOk = v.integer("instanceCount", props.instanceCount, count.min, count.max) || props.instanceCount === undefined;

  v.string("kmsKeyArn", props.kmsKeyArn, RULES.kmsKeyArn);
  v.boolean("networkIsolation", props.networkIsolation);

  const capture = props.dataCapture;
  if (v.record("dataCapture", capture, { what: "DataCaptureOptions (an object with destinationS3Uri)" }) && capture) {
    v.string("dataCapture.destinationS3Uri", capture.destinationS3Uri, RULES.s3Uri, { optional: false });
    v.integer("dataCapture.samplingPercentage", capture.samplingPercentage, 0, 100);
    v.boolean("dataCapture.captureInput", capture.captureInput);
    v.boolean("dataCapture.captureOutput", capture.captureOutput);
    v.string("dataCapture.kmsKeyArn", capture.kmsKeyArn, RULES.kmsKeyArn);
    problems.when(
      capture.captureInput === false && capture.captureOutput === false,
      "dataCapture captures nothing: captureInput and captureOutput are both false; set one, or leave dataCapture unset",
    );
  }

  const vpc = props.vpcConfig;
  if (v.record("vpcConfig", vpc, { what: "EndpointVpcConfig (subnetIds and securityGroupIds)" }) && vpc) {
    const limits = SAGEMAKER_LIMITS.vpc;
    problems.when(vpc.subnetIds === undefined, "vpcConfig.subnetIds must name at least one subnet");
    problems.when(vpc.securityGroupIds === undefined, "vpcConfig.securityGroupIds must name at least one security group");
    v.stringList("vpcConfig.subnetIds", vpc.subnetIds, RULES.subnetId, { min: 1, max: limits.subnets });
    v.stringList("vpcConfig.securityGroupIds", vpc.securityGroupIds, RULES.securityGroupId, { min: 1, max: limits.securityGroups });
  }

  const scaling = props.autoScaling;
  if (
    v.record("autoScaling", scaling, { what: "AutoScalingOptions (minCapacity, maxCapacity, targetInvocationsPerInstance)" }) &&
    scaling
  ) {
    const minOk = v.integer("autoScaling.minCapacity", scaling.minCapacity, count.min, count.max, { optional: false });
    const maxOk = v.integer("autoScaling.maxCapacity", scaling.maxCapacity, count.min, count.max, { optional: false });
    problems.when(
      minOk && maxOk && scaling.maxCapacity < scaling.minCapacity,
      () => `autoScaling.maxCapacity must be at least minCapacity (${scaling.minCapacity}), got ${scaling.maxCapacity}`,
    );
    v.number(
      "autoScaling.targetInvocationsPerInstance",
      scaling.targetInvocationsPerInstance,
      { greaterThan: 0, max: SAGEMAKER_LIMITS.targetValueMax, what: "a positive number of invocations per instance per minute" },
      { optional: false },
    );
    const initial = props.instanceCount ?? 1;
    problems.when(
      minOk && maxOk && countOk && (initial < scaling.minCapacity || initial > scaling.maxCapacity),
      () =>
        `instanceCount ${initial} must be within autoScaling's minCapacity ${scaling.minCapacity} and maxCapacity ${scaling.maxCapacity}`,
    );
    for (const key of ["scaleInCooldownSeconds", "scaleOutCooldownSeconds"] as const) {
      v.integer(`autoScaling.${key}`, scaling[key], 0, 3600, { unit: "seconds" });
    }
  }

  if (props.containerImage !== undefined && !(props.containerImage instanceof NeuronxContainerImage)) {
    problems.add(`containerImage must be a NeuronxContainerImage, got ${show(props.containerImage)}`);
  } else if (props.containerImage && props.containerImage.neuronSdkVersion !== data.settings.neuronSdkVersion) {
    problems.add(
      `containerImage carries the Neuron SDK ${props.containerImage.neuronSdkVersion}, but the artifacts were compiled with ` +
        `${data.settings.neuronSdkVersion}; NEFFs load only in the runtime that compiled them, so serve with an image of ${data.settings.neuronSdkVersion}`,
    );
  }

  const amiVersion = props.inferenceAmiVersion ?? ENDPOINT_DEFAULTS.inferenceAmiVersion;
  if (v.text("inferenceAmiVersion", amiVersion, { optional: false })) {
    problems.when(
      !NEURON_INFERENCE_AMI_VERSIONS.includes(amiVersion),
      () =>
        `inferenceAmiVersion must be a SageMaker inference AMI with the Neuron driver (${NEURON_INFERENCE_AMI_VERSIONS.join(", ")}), ` +
        `got ${show(amiVersion)}; the GPU AMIs have no Neuron driver, and without one inf2 hosts run the default AMI and its older driver`,
    );
  }
  // The default stays below nPositions, which holds the prompt too.
  const maxNewTokens = props.maxNewTokens ?? Math.min(ENDPOINT_DEFAULTS.maxNewTokens, data.settings.nPositions - 1);
  v.integer("maxNewTokens", props.maxNewTokens, 1, data.settings.nPositions - 1, {
    unit: `tokens (below the nPositions ${data.settings.nPositions} the model was compiled for, which holds the prompt too)`,
  });

  const startupTimeout =
    typeof props.containerStartupHealthCheckTimeoutSeconds === "number"
      ? props.containerStartupHealthCheckTimeoutSeconds
      : scaled.startupTimeout;
  const settingsEnv = data.settings.environment;
  const ownEnvironment: Record<string, string> = {
    ...settingsEnv,
    SAGEMAKER_PROGRAM: "inference.py",
    SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
    // One worker owns the NeuronCores. The toolkit writes these two into TorchServe's config
    // (default_workers_per_model, default_response_timeout); SAGEMAKER_STARTUP_TIMEOUT is read only on the
    // toolkit's non-TorchServe path (sagemaker-pytorch-inference 2.0.25, torchserve.py), so it is not set.
    SAGEMAKER_MODEL_SERVER_WORKERS: "1",
    SAGEMAKER_MODEL_SERVER_TIMEOUT: String(startupTimeout),
    NEURON_RT_NUM_CORES: String(data.settings.tpDegree),
    // The toolkit prepends /opt/ml/model/code; this endpoint's own folder follows it, so `inference.py` and
    // its modules are this endpoint's (the code folder itself holds only one folder per endpoint).
    // (A name that is not a string is refused above; the placeholder only keeps this line from throwing first.)
    [SERVING_ENV.pythonPath]: `${INFERENCE_CODE.containerDir}/${typeof endpointName === "string" ? endpointName : ""}`,
    [SERVING_ENV.maxNewTokens]: String(maxNewTokens),
  };
  const environment = checkEnvironment(v, props.environment, ownEnvironment, Object.keys(settingsEnv));

  const own = { "neuronx:model": data.settings.modelId, ManagedBy: "cdktf-neuronx-patterns" };
  v.tags("tags", props.tags, own);
  problems.throwIfAny(construct.node.path);

  return {
    instanceType,
    endpointName,
    instanceCount: props.instanceCount ?? 1,
    volumeSizeGiB: props.volumeSizeGiB ?? scaled.volumeSizeGiB,
    downloadTimeout: props.modelDataDownloadTimeoutSeconds ?? scaled.downloadTimeout,
    startupTimeout,
    environment,
    inferenceAmiVersion: amiVersion,
  };
}

/**
 * The container's environment: the construct's own, plus `environment`, whose keys may not override the
 * construct's (each refused with the prop that sets it), within SageMaker's limits. Literal values reach
 * SageMaker as typed (Terraform's template sequences escaped).
 */
function checkEnvironment(
  v: Validator,
  environment: unknown,
  own: Record<string, string>,
  settingsKeys: readonly string[],
): Record<string, string> {
  const limits = SAGEMAKER_LIMITS.environment;
  if (!v.record("environment", environment, { what: "a map of variable names to string values" }) || environment === undefined) return own;
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (!v.string(`environment key ${show(key)}`, key, RULES.environmentKey, { optional: false })) continue;
    if (settingsKeys.includes(key) || (Object.values(SETTINGS_ENV) as string[]).includes(key)) {
      v.problems.add(
        `environment.${key} is a compile setting, set from the artifacts so that compile and serving agree (by the model and compileOptions); change the compile instead`,
      );
      continue;
    }
    if (RESERVED_ENVIRONMENT[key] !== undefined) {
      v.problems.add(`environment.${key} is set by ${RESERVED_ENVIRONMENT[key]}; remove it from environment`);
      continue;
    }
    if (typeof value === "string" && Token.isUnresolved(value)) {
      // Known at plan time: refused now if it is a secret's value, else its length is checked then.
      v.string(`environment.${key}`, value, RULES.environmentValue, { optional: false });
      extra[key] = value;
    } else if (v.text(`environment.${key}`, value, { optional: false, maxBytes: limits.keyOrValueBytes })) {
      extra[key] = terraformLiteral(value);
    }
  }
  const all = { ...own, ...extra };
  const entries = Object.keys(all).length;
  v.problems.when(
    entries > limits.entries,
    () =>
      `environment has ${Object.keys(extra).length} variables; with the construct's ${Object.keys(own).length} the container would have ` +
      `${entries}, over SageMaker's limit of ${limits.entries}; remove ${entries - limits.entries} or more`,
  );
  const bytes = Object.entries(all).reduce((sum, [k, value]) => sum + Buffer.byteLength(k) + Buffer.byteLength(value), 0);
  v.problems.when(
    bytes > limits.totalBytes,
    () =>
      `environment's keys and values come to ${bytes} bytes with the construct's own, over SageMaker's limit of ${limits.totalBytes}; shorten them`,
  );
  return all;
}

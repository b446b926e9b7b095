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
import { Problems } from "./errors";
import { ModelDataConfig, TransformersNeuronxSageMakerInferenceModelData } from "./model-data";
import { INF2_INSTANCE_TYPES, Inf2InstanceType, findInf2InstanceType, inf1Problem } from "./neuron-spec";
import { justifyCheckovSkip } from "./private/checkov";
import { nameElement, snakeCase } from "./private/naming";
import { uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { PATTERNS } from "./patterns";

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

/** SageMaker's endpoint name rule. */
const { endpointName: ENDPOINT_NAME, kmsKeyArn: KMS_KEY_ARN, s3Uri: S3_URI } = PATTERNS;

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
    const data = props.modelData.bind(this);
    const v = validate(this, props, data);
    this.instanceType = v.instanceType;
    this.endpointName = v.endpointName;

    const tags = { "neuronx:model": data.settings.modelId, ManagedBy: "cdktf-neuronx-patterns", ...props.tags };
    const partition = currentPartition(this).partition;
    const region = currentRegion(this).region;
    const account = currentAccount(this).accountId;
    const image = (props.containerImage ?? data.containerImage).bind(this);
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
      const dest = props.dataCapture.destinationS3Uri.replace(/^s3:\/\//, "").replace(/\/?$/, "/");
      statements.push({ sid: "WriteDataCapture", actions: ["s3:PutObject"], resources: [`arn:${partition}:s3:::${dest}*`] });
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
        statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["sagemaker.amazonaws.com"] }] }],
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
    const policyDocument = nameElement(new DataAwsIamPolicyDocument(this, "Policy", { statement: statements }), this);
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "RolePolicy", { namePrefix: "neuronx-endpoint-", role: this.role.id, policy: policyDocument.json }),
      this,
    );

    // Each endpoint's code has a folder of its own inside the model data, so that two endpoints on one compile
    // never overwrite each other's: SageMaker copies the whole prefix at every instance start (autoscaling
    // included), and the model's PYTHONPATH (v.environment) points the toolkit at this endpoint's folder.
    const code = uploadDirectory(this, "Code", {
      dir: data.codeDir,
      bucket: data.bucketName,
      keyPrefix: `${data.prefix}${INFERENCE_CODE.keyPrefix}${v.endpointName}/`,
      pattern: "**",
      tags,
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
        lifecycle: { createBeforeDestroy: true },
      }),
      this,
    );

    const capture = props.dataCapture;
    this.endpointConfiguration = nameElement(
      new SagemakerEndpointConfiguration(this, "EndpointConfiguration", {
        namePrefix: `${v.endpointName.slice(0, SAGEMAKER_LIMITS.nameLength - 26 - 1)}-`,
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

function validate(construct: Construct, props: TransformersNeuronxSageMakerRealtimeInferenceEndpointProps, data: ModelDataConfig) {
  const problems = new Problems();
  const literal = (v: unknown) => v !== undefined && !Token.isUnresolved(v);
  const tp = data.settings.tpDegree;
  const allowed = INF2_INSTANCE_TYPES.map((t) => `ml.${t.name}`).join(", ");
  const fitting = (pred: (t: Inf2InstanceType) => boolean) => INF2_INSTANCE_TYPES.find(pred)?.name;

  // Instance type: an ml.inf2 type with the TP degree's NeuronCores and the host memory for the checkpoint.
  const instanceType = props.instanceType ?? `ml.${data.sizing.servingInstanceType}`;
  const type = instanceType.startsWith("ml.") ? findInf2InstanceType(instanceType.slice(3)) : undefined;
  if (!type) {
    problems.add(
      inf1Problem("instanceType", instanceType) ?? `instanceType must be one of ${allowed}, got ${JSON.stringify(instanceType)}`,
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
  problems.when(
    literal(endpointName) && !ENDPOINT_NAME.test(endpointName),
    () =>
      `endpointName must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit, got ${JSON.stringify(endpointName)}`,
  );

  // Sizes and timeouts: scaled from the artifacts, within SageMaker's limits.
  const artifactBytes = data.sizing.checkpointBytes;
  const scaled = scaledDefaults(artifactBytes);
  const intIn = (prop: string, value: number | undefined, min: number, max: number, unit = "") =>
    problems.when(
      literal(value) && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max),
      () => `${prop} must be a whole number${unit} from ${min} to ${max}, got ${value}`,
    );
  const t = SAGEMAKER_LIMITS.timeoutSeconds;
  intIn("modelDataDownloadTimeoutSeconds", props.modelDataDownloadTimeoutSeconds, t.min, t.max, " of seconds");
  intIn("containerStartupHealthCheckTimeoutSeconds", props.containerStartupHealthCheckTimeoutSeconds, t.min, t.max, " of seconds");
  const vol = SAGEMAKER_LIMITS.volumeSizeGiB;
  intIn("volumeSizeGiB", props.volumeSizeGiB, vol.min, vol.max, " of GiB");
  // No check of the default volume against SageMaker's 512 GiB: with one copy of the artifacts it stays below, since a
  // model that compiles has at most half of inf2.48xlarge's 768 GiB of host memory in checkpoint.
  const count = SAGEMAKER_LIMITS.instanceCount;
  intIn("instanceCount", props.instanceCount, count.min, count.max);

  problems.when(
    literal(props.kmsKeyArn) && !KMS_KEY_ARN.test(props.kmsKeyArn as string),
    () =>
      `kmsKeyArn must be a KMS key ARN such as "arn:aws:kms:us-east-1:123456789012:key/1234abcd-...", got ${JSON.stringify(props.kmsKeyArn)}`,
  );

  const capture = props.dataCapture;
  if (capture) {
    problems.when(
      literal(capture.destinationS3Uri) && !S3_URI.test(capture.destinationS3Uri),
      `dataCapture.destinationS3Uri must be an S3 URI such as "s3://my-bucket/capture", got ${JSON.stringify(capture.destinationS3Uri)}`,
    );
    const pct = capture.samplingPercentage;
    problems.when(
      pct !== undefined && !(Number.isInteger(pct) && pct >= 0 && pct <= 100),
      () => `dataCapture.samplingPercentage must be a whole number from 0 to 100, got ${pct}`,
    );
    problems.when(
      capture.captureInput === false && capture.captureOutput === false,
      "dataCapture captures nothing: captureInput and captureOutput are both false; set one, or leave dataCapture unset",
    );
  }

  if (props.vpcConfig) {
    problems.when(props.vpcConfig.subnetIds.length === 0, "vpcConfig.subnetIds must name at least one subnet");
    problems.when(props.vpcConfig.securityGroupIds.length === 0, "vpcConfig.securityGroupIds must name at least one security group");
  }

  const scaling = props.autoScaling;
  if (scaling) {
    intIn("autoScaling.minCapacity", scaling.minCapacity, count.min, count.max);
    intIn("autoScaling.maxCapacity", scaling.maxCapacity, count.min, count.max);
    problems.when(
      scaling.maxCapacity < scaling.minCapacity,
      () => `autoScaling.maxCapacity must be at least minCapacity (${scaling.minCapacity}), got ${scaling.maxCapacity}`,
    );
    problems.when(
      !(scaling.targetInvocationsPerInstance > 0),
      () =>
        `autoScaling.targetInvocationsPerInstance must be a positive number of invocations per minute, got ${scaling.targetInvocationsPerInstance}`,
    );
    const initial = props.instanceCount ?? 1;
    problems.when(
      initial < scaling.minCapacity || initial > scaling.maxCapacity,
      () =>
        `instanceCount ${initial} must be within autoScaling's minCapacity ${scaling.minCapacity} and maxCapacity ${scaling.maxCapacity}`,
    );
    for (const key of ["scaleInCooldownSeconds", "scaleOutCooldownSeconds"] as const) {
      intIn(`autoScaling.${key}`, scaling[key], 0, 3600, " of seconds");
    }
  }

  if (props.containerImage && props.containerImage.neuronSdkVersion !== data.settings.neuronSdkVersion) {
    problems.add(
      `containerImage carries the Neuron SDK ${props.containerImage.neuronSdkVersion}, but the artifacts were compiled with ` +
        `${data.settings.neuronSdkVersion}; NEFFs load only in the runtime that compiled them, so serve with an image of ${data.settings.neuronSdkVersion}`,
    );
  }

  const amiVersion = props.inferenceAmiVersion ?? ENDPOINT_DEFAULTS.inferenceAmiVersion;
  problems.when(
    literal(amiVersion) && !NEURON_INFERENCE_AMI_VERSIONS.includes(amiVersion),
    () =>
      `inferenceAmiVersion must be a SageMaker inference AMI with the Neuron driver (${NEURON_INFERENCE_AMI_VERSIONS.join(", ")}), ` +
      `got ${JSON.stringify(amiVersion)}; the GPU AMIs have no Neuron driver, and without one inf2 hosts run the default AMI and its older driver`,
  );
  // The default stays below nPositions, which holds the prompt too.
  const maxNewTokens = props.maxNewTokens ?? Math.min(ENDPOINT_DEFAULTS.maxNewTokens, data.settings.nPositions - 1);
  problems.when(
    literal(props.maxNewTokens) && !(Number.isInteger(maxNewTokens) && maxNewTokens >= 1 && maxNewTokens < data.settings.nPositions),
    () =>
      `maxNewTokens must be a whole number from 1 to ${data.settings.nPositions - 1} (below the nPositions ${data.settings.nPositions} ` +
      `the model was compiled for, which holds the prompt too), got ${props.maxNewTokens}`,
  );

  const settingsEnv = data.settings.environment;
  for (const key of Object.keys(props.environment ?? {})) {
    problems.when(
      (Object.values(SERVING_ENV) as string[]).includes(key),
      `environment.${key} is set by the endpoint (${key === SERVING_ENV.pythonPath ? "it points the toolkit at this endpoint's inference code" : "set maxNewTokens instead"}); remove it`,
    );
    problems.when(
      key in settingsEnv || (Object.values(SETTINGS_ENV) as string[]).includes(key),
      `environment.${key} is a compile setting, set from the artifacts so that compile and serving agree; change the compile instead`,
    );
    problems.when(!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key), `environment keys must be variable names, got ${JSON.stringify(key)}`);
  }
  for (const [key, value] of Object.entries(props.environment ?? {})) {
    problems.when(value.length > 1024, `environment.${key} must be at most 1024 characters, got ${value.length}`);
  }
  for (const [key, value] of Object.entries(props.tags ?? {})) {
    problems.when(
      key.length < 1 || key.length > 128 || key.toLowerCase().startsWith("aws:"),
      `tags keys must be 1 to 128 characters and not start with "aws:", got ${JSON.stringify(key)}`,
    );
    problems.when(value.length > 256, `tags["${key}"] must be at most 256 characters, got ${value.length}`);
  }
  problems.throwIfAny(construct.node.path);

  const startupTimeout = props.containerStartupHealthCheckTimeoutSeconds ?? scaled.startupTimeout;
  return {
    instanceType,
    endpointName,
    instanceCount: props.instanceCount ?? 1,
    volumeSizeGiB: props.volumeSizeGiB ?? scaled.volumeSizeGiB,
    downloadTimeout: props.modelDataDownloadTimeoutSeconds ?? scaled.downloadTimeout,
    startupTimeout,
    environment: {
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
      [SERVING_ENV.pythonPath]: `${INFERENCE_CODE.containerDir}/${endpointName}`,
      [SERVING_ENV.maxNewTokens]: String(maxNewTokens),
      ...props.environment,
    },
    inferenceAmiVersion: amiVersion,
  };
}

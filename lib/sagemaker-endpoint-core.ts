import * as crypto from "crypto";
import { ITerraformDependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SagemakerEndpoint } from "@cdktf/provider-aws/lib/sagemaker-endpoint";
import {
  SagemakerEndpointConfiguration,
  SagemakerEndpointConfigurationAsyncInferenceConfig,
} from "@cdktf/provider-aws/lib/sagemaker-endpoint-configuration";
import { SagemakerModel } from "@cdktf/provider-aws/lib/sagemaker-model";
import {
  AsyncInferenceLocations,
  AsyncInferenceOptions,
  ResolvedAsyncInference,
  asyncInvokeStatements,
  asyncRoleStatements,
  checkAsyncInference,
  renderAsyncInference,
  renderScaleToZero,
  s3UriPath,
} from "./async-inference";
import { ContainerImageConfig } from "./container-images";
import {
  EndpointDeployment,
  EndpointMonitoringOptions,
  ResolvedDeployment,
  ResolvedMonitoring,
  checkDeployment,
  checkMonitoring,
  renderDeploymentConfig,
  renderDashboard,
  renderEndpointAlarms,
} from "./endpoint-operations";
import { RULES } from "./patterns";
import { justifyCheckovSkip } from "./private/checkov";
import { ReservedEnvironment, checkContainerEnvironment } from "./private/container-environment";
import { nameElement, snakeCase } from "./private/naming";
import { uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import {
  PlanCheck,
  Validator,
  checkImageConfig,
  embeddedExpression,
  preconditions as renderPreconditions,
  show,
} from "./private/validation";
import { NEURON_INFERENCE_AMI_VERSIONS, SAGEMAKER_LIMITS } from "./sagemaker-spec";

export type { ReservedEnvironment } from "./private/container-environment";

const GiB = 2 ** 30;

/** The tag every resource of an endpoint carries, besides the recipe's own. */
const MANAGED_BY = { ManagedBy: "cdktf-neuronx-patterns" } as const;

/** How the recipes' sizing-derived defaults scale with the artifacts' size ({@link scaledDefaults}). */
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

/**
 * The props every SageMaker endpoint of this library takes, whatever it serves: the production variant,
 * encryption, network, data capture, scaling and tags. Each endpoint adds what it serves (its model data,
 * image and serving settings) and documents the defaults its recipe sizes from the model.
 */
export interface SageMakerEndpointCommonProps {
  /**
   * The SageMaker instance type, an `ml.inf2` type that holds the model.
   * @default - the instance type the recipe sizes for the model
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
   * The ML storage volume of each instance, in GiB (1 to 512).
   * @default - sized by the recipe from the model data
   */
  readonly volumeSizeGiB?: number;
  /**
   * Seconds allowed to download the model data onto an instance (60 to 3600).
   * @default - sized by the recipe from the model data
   */
  readonly modelDataDownloadTimeoutSeconds?: number;
  /**
   * Seconds allowed for the container to load the model and pass its first health check (60 to 3600).
   * @default - sized by the recipe from the model data
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
   * Network isolation: the container makes no outbound calls.
   * @default true
   */
  readonly networkIsolation?: boolean;
  /**
   * Scale the instance count on invocations per instance.
   * @default - a fixed instance count
   */
  readonly autoScaling?: AutoScalingOptions;
  /**
   * More environment variables for the container; the variables the endpoint sets cannot be overridden.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * The production variant's SageMaker inference AMI, which carries the Neuron driver (`InferenceAmiVersion`).
   * @default "al2-ami-sagemaker-inference-neuron-2"
   */
  readonly inferenceAmiVersion?: string;
  /**
   * Tags for every resource.
   * @default - the recipe's own tags and `ManagedBy`
   */
  readonly tags?: Record<string, string>;
  /**
   * How SageMaker rolls out a change of the endpoint configuration: blue/green all at once, canary or linear,
   * or rolling, with a bake and automatic rollback on alarms. Blue/green runs twice the instances until it ends.
   * @default - SageMaker's default: blue/green all at once, no bake, no alarms
   */
  readonly deployment?: EndpointDeployment;
  /**
   * CloudWatch alarms on the endpoint (5XX errors, p90 model latency, host memory and disk), optionally notifying
   * an SNS topic, and a dashboard; `false` for none.
   * @default true
   */
  readonly monitoring?: boolean | EndpointMonitoringOptions;
  /**
   * An asynchronous endpoint: requests queue, SageMaker writes each response (or failure) to S3 and can notify SNS;
   * `scaleToZero: true` scales it on the backlog down to no instances. `{}` gives one with created, KMS-encrypted S3
   * locations. The endpoint then takes InvokeEndpointAsync only.
   * @default - a real-time endpoint
   */
  readonly asyncInference?: AsyncInferenceOptions;
}

/** The model data an endpoint serves: an S3 prefix that SageMaker copies, uncompressed, to /opt/ml/model. */
export interface SageMakerEndpointModelData {
  /** Bucket of the model data. */
  readonly bucketName: string;
  /** ARN of that bucket. */
  readonly bucketArn: string;
  /** Key prefix of the model data, ending in `/`: the execution role may read below it only. */
  readonly prefix: string;
  /** `s3://<bucket>/<prefix>`, the model's S3Prefix data source (read through what must complete first, where that applies). */
  readonly s3Uri: string;
  /** What must be complete before the model is created (e.g. a compile's waiter, or uploads, in the same stack). */
  readonly dependsOn: ITerraformDependable[];
  /** Plan-time checks of the references among the bucket and prefix. */
  readonly preconditions: readonly PlanCheck[];
}

/** Inference code the core uploads into the model data, one folder an endpoint. */
export interface SageMakerEndpointCode {
  /** The local directory (checked by the recipe). */
  readonly dir: string;
  /** Globs left out of the upload, besides dotfiles, caches and tests. */
  readonly exclude: readonly string[];
  /**
   * The key folder below the model data's prefix, ending in `/`: the code goes to
   * `<prefix><folder><endpoint name>/`, so endpoints sharing model data never overwrite each other's code.
   */
  readonly folder: string;
}

/** The image a recipe serves with: a Neuron image class of this library, or any with the same two members. */
export interface SageMakerServingImage {
  /** The Neuron SDK release inside the image. */
  readonly neuronSdkVersion: string;
  /** Resolves the image for a stack. */
  bind(scope: Construct): ContainerImageConfig;
}

/** Defaults a recipe sizes from its model. */
export interface SageMakerEndpointSizing {
  /** The SageMaker instance type, `ml.` and the type. */
  readonly instanceType: string;
  /** The ML storage volume, in GiB. */
  readonly volumeSizeGiB: number;
  /** Seconds to download the model data. */
  readonly modelDataDownloadTimeoutSeconds: number;
  /** Seconds to load the model and pass the first health check. */
  readonly containerStartupHealthCheckTimeoutSeconds: number;
}

/** What the core has decided when it asks a recipe for the container's environment. */
export interface SageMakerEndpointContext {
  /** The endpoint name (not a string only when a JavaScript caller passed something else; it is refused then). */
  readonly endpointName: string;
  /** The container's startup health check timeout, in seconds. */
  readonly containerStartupHealthCheckTimeoutSeconds: number;
}

/**
 * What a recipe tells the core once bound to an endpoint. The core asks it, in this order, as it validates
 * (so that problems are reported in the order of the props): `checkInstanceType`, then the common props,
 * `checkProps`, the AMI, `environment` and the environment's reserved keys, the tags.
 */
export interface SageMakerEndpointRecipeConfig {
  /** The model data to serve. */
  readonly modelData: SageMakerEndpointModelData;
  /** Inference code to upload into the model data for this endpoint. @default - none: the image's own entry point serves */
  readonly code?: SageMakerEndpointCode;
  /** The recipe's own tags (the core adds `ManagedBy`); S3 objects carry only these and `ManagedBy`. */
  readonly tags: Readonly<Record<string, string>>;
  /** Defaults sized from the model. */
  readonly defaults: SageMakerEndpointSizing;
  /** The serving image, and the prop that names it in messages. */
  readonly image: { readonly prop: string; readonly image: SageMakerServingImage };
  /** The variables {@link environment} sets, which the `environment` prop may not override. */
  readonly reservedEnvironment: ReservedEnvironment;
  /** Checks the instance type (given, or the default) against the model: its NeuronCores, its memory. */
  checkInstanceType(v: Validator, instanceType: unknown): void;
  /** Checks the recipe's own props, besides those that feed the environment. */
  checkProps(v: Validator): void;
  /** The container's environment the recipe sets (checking the props that feed it). */
  environment(v: Validator, context: SageMakerEndpointContext): Record<string, string>;
}

/**
 * What one kind of endpoint serves, and how: its model data, image, environment, code and sizing. The endpoint
 * core ({@link SageMakerInferenceEndpointBase}) owns everything else and asks the recipe; it never branches on
 * the kind of endpoint.
 */
export interface SageMakerEndpointRecipe {
  /** What the props must be, for the message when they are not an object, e.g. "the endpoint's props (an object with at least modelData)". */
  readonly propsDescription: string;
  /**
   * Resolves the recipe for an endpoint: checks what it serves (adding to `v`'s problems, and throwing
   * them when nothing can be bound) and returns what the core asks.
   */
  bind(endpoint: Construct, v: Validator): SageMakerEndpointRecipeConfig;
}

/** The settings the core resolved from the common props and the recipe's defaults. */
interface Resolved {
  readonly instanceType: string;
  readonly endpointName: string;
  readonly instanceCount: number;
  readonly volumeSizeGiB: number;
  readonly downloadTimeout: number;
  readonly startupTimeout: number;
  readonly environment: Record<string, string>;
  readonly inferenceAmiVersion: string;
  readonly ownTags: Record<string, string>;
  readonly deployment?: ResolvedDeployment;
  readonly monitoring?: ResolvedMonitoring;
  readonly asyncInference?: ResolvedAsyncInference;
}

/**
 * The endpoint core: a SageMaker real-time endpoint on Inferentia2 for what a recipe serves. It owns the
 * execution role (least privilege: the model data's prefix, the image, the endpoint's logs, the capture
 * folder, the VPC's network interfaces) and its trust policy (confused-deputy conditions), the SageMaker
 * model (image, environment, model data, network isolation, VPC, the code upload), the endpoint
 * configuration (production variant, KMS, data capture), the endpoint, autoscaling, the invoke policy,
 * tags, names and the validation of the common props; the recipe supplies the rest.
 */
export abstract class SageMakerInferenceEndpointBase extends Construct {
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
  /** The endpoint's CloudWatch alarms (none with `monitoring: false`). */
  public readonly alarms: CloudwatchMetricAlarm[];
  /** An asynchronous endpoint's S3 locations and key (undefined for a real-time endpoint). */
  public readonly asyncLocations?: AsyncInferenceLocations;
  /**
   * An asynchronous endpoint's longest wait for an instance, in seconds, when a request arrives while it has none
   * (scale to zero): the alarm's 2 minutes, the model's download and startup health check timeouts.
   */
  public readonly coldStartSeconds?: number;

  protected constructor(scope: Construct, id: string, props: SageMakerEndpointCommonProps, recipe: SageMakerEndpointRecipe) {
    super(scope, id);
    const checks = new Validator(this);
    if (!checks.record("props", props, { optional: false, what: recipe.propsDescription })) {
      checks.problems.throwIfAny(this.node.path);
    }
    const served = recipe.bind(this, checks);
    const v = resolve(this, props, served, checks);
    const preconditions = renderPreconditions(this, [...served.modelData.preconditions, ...checks.planChecks]);
    this.instanceType = v.instanceType;
    this.endpointName = v.endpointName;
    const tags = { ...v.ownTags, ...props.tags };

    const image = served.image.image.bind(this);
    const imageCheck = new Validator(this);
    checkImageConfig(imageCheck, served.image.prop, served.image.image, image);
    imageCheck.problems.throwIfAny(this.node.path);

    const assume = nameElement(
      new DataAwsIamPolicyDocument(this, "AssumeRole", { statement: [trustStatement(this)] }),
      this,
      "assume_role",
    );
    this.role = nameElement(
      new IamRole(this, "Role", {
        namePrefix: "neuronx-endpoint-",
        description: `Execution role of the SageMaker endpoint ${v.endpointName}: reads ${served.modelData.prefix} only`,
        assumeRolePolicy: assume.json,
        tags,
      }),
      this,
    );
    const asyncInference = v.asyncInference ? renderAsyncInference(this, v.asyncInference, v.endpointName, tags) : undefined;
    this.asyncLocations = asyncInference?.locations;
    this.coldStartSeconds = v.asyncInference?.coldStartSeconds;
    const policyDocument = nameElement(
      new DataAwsIamPolicyDocument(this, "Policy", {
        statement: [
          ...roleStatements(this, props, served.modelData, image, v.endpointName),
          ...(v.asyncInference && asyncInference ? asyncRoleStatements(v.asyncInference, asyncInference.locations) : []),
        ],
        // References among the bucket, prefix, capture destination and keys are checked before they reach IAM.
        lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
      }),
      this,
    );
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "RolePolicy", { namePrefix: "neuronx-endpoint-", role: this.role.id, policy: policyDocument.json }),
      this,
    );

    // Each endpoint's code has a folder of its own inside the model data, so that two endpoints on one model data
    // never overwrite each other's: SageMaker copies the whole prefix at every instance start (autoscaling
    // included), and the recipe's environment points the container at this endpoint's folder.
    const code = served.code
      ? uploadDirectory(this, "Code", {
          dir: served.code.dir,
          exclude: served.code.exclude,
          bucket: served.modelData.bucketName,
          keyPrefix: `${served.modelData.prefix}${served.code.folder}${v.endpointName}/`,
          pattern: "**",
          // S3 takes at most 10 tags an object: the construct's own.
          tags: v.ownTags,
          owner: this,
          suffix: "code",
        })
      : undefined;

    this.model = nameElement(
      new SagemakerModel(this, "Model", {
        executionRoleArn: this.role.arn,
        enableNetworkIsolation: props.networkIsolation ?? true,
        primaryContainer: {
          image: image.imageUri,
          mode: "SingleModel",
          modelDataSource: { s3DataSource: [{ s3Uri: served.modelData.s3Uri, s3DataType: "S3Prefix", compressionType: "None" }] },
          environment: v.environment,
        },
        vpcConfig: props.vpcConfig ? { subnets: props.vpcConfig.subnetIds, securityGroupIds: props.vpcConfig.securityGroupIds } : undefined,
        tags,
        dependsOn: [rolePolicy, ...(code ? [code] : []), ...served.modelData.dependsOn],
        // Model changes replace it; the endpoint moves to the new one before the old goes.
        lifecycle: { createBeforeDestroy: true, ...(preconditions.length > 0 ? { precondition: preconditions } : {}) },
      }),
      this,
    );

    this.endpointConfiguration = this.renderEndpointConfiguration(props, v, tags, asyncInference?.config);
    // The alarms watch the endpoint by name (not by its attribute), so that its deployment_config can name them.
    this.alarms = v.monitoring ? renderEndpointAlarms(this, v.endpointName, v.monitoring, tags) : [];
    if (v.monitoring?.dashboard) renderDashboard(this, v.endpointName);
    this.endpoint = nameElement(
      new SagemakerEndpoint(this, "Endpoint", {
        name: v.endpointName,
        endpointConfigName: this.endpointConfiguration.name,
        deploymentConfig: v.deployment ? renderDeploymentConfig(v.deployment, this.alarms) : undefined,
        tags,
      }),
      this,
    );
    this.endpointArn = this.endpoint.arn;

    if (props.autoScaling) this.renderAutoScaling(props.autoScaling, v.endpointName, tags);
    if (v.asyncInference?.scaleToZero) {
      renderScaleToZero(this, this.endpoint.name, v.endpointName, v.asyncInference.scaleToZero, v.asyncInference.coldStartSeconds, tags);
    }

    this.invokePolicyJson = nameElement(
      new DataAwsIamPolicyDocument(this, "InvokePolicy", {
        // An asynchronous endpoint takes InvokeEndpointAsync only; its callers put requests and read results in S3.
        statement: asyncInference
          ? asyncInvokeStatements(this.endpoint.arn, asyncInference.locations)
          : [{ sid: "InvokeEndpoint", actions: ["sagemaker:InvokeEndpoint"], resources: [this.endpoint.arn] }],
      }),
      this,
      "invoke",
    ).json;
  }

  private renderEndpointConfiguration(
    props: SageMakerEndpointCommonProps,
    v: Resolved,
    tags: Record<string, string>,
    asyncInferenceConfig: SagemakerEndpointConfigurationAsyncInferenceConfig | undefined,
  ): SagemakerEndpointConfiguration {
    const capture = props.dataCapture;
    const configuration = nameElement(
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
        asyncInferenceConfig,
        tags,
        lifecycle: { createBeforeDestroy: true },
      }),
      this,
    );
    if (!props.kmsKeyArn) {
      justifyCheckovSkip(
        configuration,
        "CKV_AWS_98",
        "Without kmsKeyArn SageMaker encrypts the ML storage volumes with an AWS managed key; set kmsKeyArn for a customer managed one.",
      );
    }
    return configuration;
  }

  private renderAutoScaling(scaling: AutoScalingOptions, endpointName: string, tags: Record<string, string>): void {
    const target = nameElement(
      new AppautoscalingTarget(this, "ScalingTarget", {
        serviceNamespace: "sagemaker",
        resourceId: `endpoint/${this.endpoint.name}/variant/AllTraffic`,
        scalableDimension: "sagemaker:variant:DesiredInstanceCount",
        minCapacity: scaling.minCapacity,
        maxCapacity: scaling.maxCapacity,
        tags,
      }),
      this,
    );
    nameElement(
      new AppautoscalingPolicy(this, "ScalingPolicy", {
        name: `${endpointName}-invocations-per-instance`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        resourceId: target.resourceId,
        scalableDimension: target.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: scaling.targetInvocationsPerInstance,
          predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
          scaleInCooldown: scaling.scaleInCooldownSeconds ?? 300,
          scaleOutCooldown: scaling.scaleOutCooldownSeconds ?? 60,
        },
      }),
      this,
    );
  }
}

/**
 * SageMaker may assume the role only for this account's resources: confused deputy prevention
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html).
 */
function trustStatement(scope: Construct): DataAwsIamPolicyDocumentStatement {
  const partition = currentPartition(scope).partition;
  const region = currentRegion(scope).region;
  const account = currentAccount(scope).accountId;
  return {
    actions: ["sts:AssumeRole"],
    principals: [{ type: "Service", identifiers: ["sagemaker.amazonaws.com"] }],
    condition: [
      { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
      { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:${partition}:sagemaker:${region}:${account}:*`] },
    ],
  };
}

/** The execution role's statements: the model data's prefix, the image, the endpoint's logs, and what the props add. */
function roleStatements(
  scope: Construct,
  props: SageMakerEndpointCommonProps,
  data: SageMakerEndpointModelData,
  image: ContainerImageConfig,
  endpointName: string,
): DataAwsIamPolicyDocumentStatement[] {
  const partition = currentPartition(scope).partition;
  const region = currentRegion(scope).region;
  const account = currentAccount(scope).accountId;
  const logGroupArn = `arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${endpointName}`;
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
    const path = s3UriPath(props.dataCapture.destinationS3Uri);
    statements.push({ sid: "WriteDataCapture", actions: ["s3:PutObject"], resources: [`arn:${partition}:s3:::${path}/${endpointName}/*`] });
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
  return statements;
}

/** The endpoint name from the construct's place: `<stack>-<id>`, kebab case, at most 63 characters. */
export function defaultEndpointName(construct: Construct): string {
  const kebab = (s: string) => snakeCase(s).replace(/^_+/, "").replace(/_/g, "-");
  const name = `${kebab(TerraformStack.of(construct).node.id)}-${kebab(construct.node.id)}`.replace(/-+/g, "-");
  if (name.length <= SAGEMAKER_LIMITS.nameLength) return name;
  const hash = crypto.createHash("sha256").update(construct.node.path).digest("hex").slice(0, 8);
  return `${name.slice(0, SAGEMAKER_LIMITS.nameLength - 9).replace(/-+$/, "")}-${hash}`;
}

/** Defaults that scale with the artifacts: volume, download and startup timeouts (for the recipes' {@link SageMakerEndpointSizing}). */
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

/** A recipe's defaults for a model of `artifactBytes` served on `instanceType` (the SageMaker name): {@link scaledDefaults}. */
export function sizedDefaults(instanceType: string, artifactBytes: number): SageMakerEndpointSizing {
  const scaled = scaledDefaults(artifactBytes);
  return {
    instanceType,
    volumeSizeGiB: scaled.volumeSizeGiB,
    modelDataDownloadTimeoutSeconds: scaled.downloadTimeout,
    containerStartupHealthCheckTimeoutSeconds: scaled.startupTimeout,
  };
}

/**
 * Validates the common props and asks the recipe, in the order of the props, collecting every problem for one
 * ValidationError; returns the settings the resources are made of.
 */
function resolve(construct: Construct, props: SageMakerEndpointCommonProps, recipe: SageMakerEndpointRecipeConfig, v: Validator): Resolved {
  const problems = v.problems;
  const instanceType = props.instanceType ?? recipe.defaults.instanceType;
  recipe.checkInstanceType(v, instanceType);

  const endpointName = props.endpointName ?? defaultEndpointName(construct);
  v.string("endpointName", endpointName, RULES.endpointName);

  // Sizes and timeouts: the recipe's defaults, within SageMaker's limits.
  const t = SAGEMAKER_LIMITS.timeoutSeconds;
  v.integer("modelDataDownloadTimeoutSeconds", props.modelDataDownloadTimeoutSeconds, t.min, t.max, { unit: "seconds" });
  v.integer("containerStartupHealthCheckTimeoutSeconds", props.containerStartupHealthCheckTimeoutSeconds, t.min, t.max, {
    unit: "seconds",
  });
  const vol = SAGEMAKER_LIMITS.volumeSizeGiB;
  v.integer("volumeSizeGiB", props.volumeSizeGiB, vol.min, vol.max, { unit: "GiB" });
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
    // SageMaker scales a real-time variant down to 1; only an asynchronous one goes to 0
    // (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html).
    problems.when(
      scaling.minCapacity === 0,
      "autoScaling.minCapacity must be at least 1, got 0: a real-time endpoint keeps an instance; to scale to zero, " +
        "make the endpoint asynchronous with asyncInference: { scaleToZero: true } (it scales on the backlog) and leave autoScaling unset",
    );
    const minOk =
      scaling.minCapacity !== 0 && v.integer("autoScaling.minCapacity", scaling.minCapacity, count.min, count.max, { optional: false });
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

  recipe.checkProps(v);

  const amiVersion = props.inferenceAmiVersion ?? NEURON_INFERENCE_AMI_VERSIONS[0];
  if (v.text("inferenceAmiVersion", amiVersion, { optional: false })) {
    problems.when(
      !NEURON_INFERENCE_AMI_VERSIONS.includes(amiVersion),
      () =>
        `inferenceAmiVersion must be a SageMaker inference AMI with the Neuron driver (${NEURON_INFERENCE_AMI_VERSIONS.join(", ")}), ` +
        `got ${show(amiVersion)}; the GPU AMIs have no Neuron driver, and without one inf2 hosts run the default AMI and its older driver`,
    );
  }

  const startupTimeout =
    typeof props.containerStartupHealthCheckTimeoutSeconds === "number"
      ? props.containerStartupHealthCheckTimeoutSeconds
      : recipe.defaults.containerStartupHealthCheckTimeoutSeconds;
  const own = recipe.environment(v, { endpointName, containerStartupHealthCheckTimeoutSeconds: startupTimeout });
  const environment = checkContainerEnvironment(v, props.environment, own, recipe.reservedEnvironment);

  const monitoring = checkMonitoring(v, props.monitoring);
  const downloadTimeout =
    typeof props.modelDataDownloadTimeoutSeconds === "number"
      ? props.modelDataDownloadTimeoutSeconds
      : recipe.defaults.modelDataDownloadTimeoutSeconds;
  const deployment = checkDeployment(v, props.deployment, {
    instanceCount: typeof props.instanceCount === "number" && countOk ? props.instanceCount : 1,
    maxCapacity: scaling && typeof scaling.maxCapacity === "number" ? scaling.maxCapacity : undefined,
    instanceStartSeconds: downloadTimeout + startupTimeout,
    monitoring: monitoring !== undefined,
  });
  const asyncInference = checkAsyncInference(v, props.asyncInference, {
    instanceCount: typeof props.instanceCount === "number" && countOk ? props.instanceCount : 1,
    autoScaling: scaling !== undefined,
    downloadTimeoutSeconds: downloadTimeout,
    startupTimeoutSeconds: startupTimeout,
  });

  const ownTags = { ...recipe.tags, ...MANAGED_BY };
  v.tags("tags", props.tags, ownTags);
  problems.throwIfAny(construct.node.path);

  return {
    instanceType,
    endpointName,
    instanceCount: props.instanceCount ?? 1,
    volumeSizeGiB: props.volumeSizeGiB ?? recipe.defaults.volumeSizeGiB,
    downloadTimeout,
    startupTimeout,
    environment,
    inferenceAmiVersion: amiVersion,
    ownTags,
    deployment,
    monitoring,
    asyncInference,
  };
}

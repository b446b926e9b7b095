/**
 * Asynchronous inference (`asyncInference`) and scale to zero: an option of the endpoint core
 * ({@link SageMakerInferenceEndpointBase}), so every endpoint of this library has it. SageMaker queues each request
 * (an object in S3 named by InvokeEndpointAsync), runs it, and writes the response, or the failure, to S3; it can
 * notify SNS topics. With `scaleToZero` the variant scales on its backlog down to no instances, and an alarm on
 * HasBacklogWithoutCapacity starts one again when a request arrives
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html).
 */
import { Construct } from "constructs";
import { Token } from "cdktf";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SagemakerEndpointConfigurationAsyncInferenceConfig } from "@cdktf/provider-aws/lib/sagemaker-endpoint-configuration";
import { RULES } from "./patterns";
import { ArtifactBucket } from "./private/artifact-bucket";
import { accountAdministersKey, justifyKeyPolicy } from "./private/key-policy";
import { nameElement } from "./private/naming";
import { currentPartition } from "./private/stack-singletons";
import { Validator, embeddedExpression, show } from "./private/validation";
import { SAGEMAKER_LIMITS } from "./sagemaker-spec";

/**
 * SageMaker's limits for AsyncInferenceConfig (botocore 1.44.8, data/sagemaker/2017-07-24/service-2.json:
 * MaxConcurrentInvocationsPerInstance 1-1000; S3OutputPath and S3FailurePath are DestinationS3Uri, at most 512
 * characters, `(https|s3)://([^/])/?(.*)`; SuccessTopic and ErrorTopic are SnsTopicArn). InvokeEndpointAsync's
 * InvocationTimeoutSeconds is 1-3600 (data/sagemaker-runtime/2017-05-13/service-2.json).
 */
export const ASYNC_LIMITS = {
  maxConcurrentInvocationsPerInstance: { min: 1, max: 1000 },
  invocationTimeoutSeconds: { min: 1, max: 3600 },
  cooldownSeconds: { min: 0, max: 3600 },
} as const;

/**
 * The scale-to-zero defaults, as AWS's guide sets them
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html): target tracking of the
 * ApproximateBacklogSizePerInstance metric (namespace AWS/SageMaker, dimension EndpointName, statistic Average) at 5
 * queued requests an instance, scale in after 600 s, out after 300 s; and, for the way back from zero, a step
 * scaling policy (ChangeInCapacity +1 at or above the alarm's threshold, aggregation Average, cooldown 300 s) that
 * an alarm on HasBacklogWithoutCapacity (Average, 60 s, 2 of 2 periods, >= 1, missing data missing) runs.
 */
export const SCALE_TO_ZERO_DEFAULTS = {
  targetBacklogPerInstance: 5,
  scaleInCooldownSeconds: 600,
  scaleOutCooldownSeconds: 300,
  stepCooldownSeconds: 300,
  alarmPeriodSeconds: 60,
  alarmEvaluationPeriods: 2,
} as const;

/** Where a created bucket keeps requests, responses and failures. */
export const ASYNC_PREFIXES = { input: "async-inputs/", output: "async-outputs/", failure: "async-failures/" } as const;

/** An asynchronous endpoint's options. `{}` gives one with created, KMS-encrypted S3 locations. */
export interface AsyncInferenceOptions {
  /**
   * Where SageMaker writes the responses, `s3://bucket/prefix`; the execution role may write below it only.
   * @default - `async-outputs/` of a bucket the endpoint creates (private, TLS-only, versioned, encrypted with a KMS key it creates)
   */
  readonly outputPath?: string;
  /**
   * Where SageMaker writes the failures, `s3://bucket/prefix`.
   * @default - `async-failures/` of the created bucket
   */
  readonly failurePath?: string;
  /**
   * Where callers put the requests, `s3://bucket/prefix`: the execution role reads the request objects below it only.
   * @default - `async-inputs/` of the created bucket
   */
  readonly inputPath?: string;
  /**
   * KMS key that SageMaker encrypts the responses and failures with; the execution role gets to use it.
   * @default - the key created with the bucket when one is created; otherwise the destination bucket's own encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * SNS topic that SageMaker notifies when a request succeeds (the execution role may publish to it).
   * @default - none
   */
  readonly successTopicArn?: string;
  /**
   * SNS topic that SageMaker notifies when a request fails.
   * @default - none
   */
  readonly errorTopicArn?: string;
  /**
   * Requests SageMaker sends an instance's container at once (1 to 1000).
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
  /**
   * Scale on the backlog down to no instances, and start one on the first queued request. The first request after
   * an idle spell waits for the alarm (about 2 minutes), an instance, the model's download and its load: see
   * the endpoint's `coldStartSeconds`.
   * @default false
   */
  readonly scaleToZero?: boolean;
  /**
   * With scaleToZero, the most instances.
   * @default - instanceCount
   */
  readonly maxCapacity?: number;
  /**
   * With scaleToZero, queued requests an instance to hold (ApproximateBacklogSizePerInstance).
   * @default 5
   */
  readonly targetBacklogPerInstance?: number;
  /**
   * With scaleToZero, seconds after a scale-in before another (and before the last instance goes).
   * @default 600
   */
  readonly scaleInCooldownSeconds?: number;
  /**
   * With scaleToZero, seconds after a scale-out before another.
   * @default 300
   */
  readonly scaleOutCooldownSeconds?: number;
}

/** What the core knows when it checks `asyncInference`. */
export interface AsyncInferenceContext {
  /** The initial instance count (valid, or 1). */
  readonly instanceCount: number;
  /** `autoScaling` is set. */
  readonly autoScaling: boolean;
  /** Seconds to download and to load the model (the endpoint's sized or given timeouts). */
  readonly downloadTimeoutSeconds: number;
  readonly startupTimeoutSeconds: number;
}

/** `asyncInference` once checked. */
export interface ResolvedAsyncInference {
  readonly outputPath?: string;
  readonly failurePath?: string;
  readonly inputPath?: string;
  readonly kmsKeyArn?: string;
  readonly successTopicArn?: string;
  readonly errorTopicArn?: string;
  readonly maxConcurrentInvocationsPerInstance?: number;
  readonly scaleToZero?: {
    readonly maxCapacity: number;
    readonly targetBacklogPerInstance: number;
    readonly scaleInCooldownSeconds: number;
    readonly scaleOutCooldownSeconds: number;
  };
  /** The longest the first request after an idle spell may wait for an instance, in seconds. */
  readonly coldStartSeconds: number;
}

const OPTIONS_WHAT = "AsyncInferenceOptions (an object; {} for created, encrypted S3 locations)";

/** Checks `asyncInference`. */
export function checkAsyncInference(v: Validator, value: unknown, context: AsyncInferenceContext): ResolvedAsyncInference | undefined {
  if (!v.record("asyncInference", value, { what: OPTIONS_WHAT }) || value === undefined) return undefined;
  const a = value as AsyncInferenceOptions;
  for (const key of ["outputPath", "failurePath", "inputPath"] as const) v.string(`asyncInference.${key}`, a[key], RULES.s3Uri);
  v.string("asyncInference.kmsKeyArn", a.kmsKeyArn, RULES.kmsKeyArn);
  v.string("asyncInference.successTopicArn", a.successTopicArn, RULES.snsTopicArn);
  v.string("asyncInference.errorTopicArn", a.errorTopicArn, RULES.snsTopicArn);
  const c = ASYNC_LIMITS.maxConcurrentInvocationsPerInstance;
  v.integer("asyncInference.maxConcurrentInvocationsPerInstance", a.maxConcurrentInvocationsPerInstance, c.min, c.max);
  v.boolean("asyncInference.scaleToZero", a.scaleToZero);
  const scaling = ["maxCapacity", "targetBacklogPerInstance", "scaleInCooldownSeconds", "scaleOutCooldownSeconds"] as const;
  const count = SAGEMAKER_LIMITS.instanceCount;
  const maxOk = v.integer("asyncInference.maxCapacity", a.maxCapacity, count.min, count.max);
  v.number("asyncInference.targetBacklogPerInstance", a.targetBacklogPerInstance, {
    greaterThan: 0,
    max: SAGEMAKER_LIMITS.targetValueMax,
    what: "a positive number of queued requests an instance",
  });
  const cd = ASYNC_LIMITS.cooldownSeconds;
  for (const key of ["scaleInCooldownSeconds", "scaleOutCooldownSeconds"] as const) {
    v.integer(`asyncInference.${key}`, a[key], cd.min, cd.max, { unit: "seconds" });
  }
  const scaleToZero = a.scaleToZero === true;
  const given = scaling.filter((key) => a[key] !== undefined);
  v.problems.when(
    !scaleToZero && given.length > 0,
    () =>
      `asyncInference.${given[0]} is set, got ${show(a[given[0]])}, without scaleToZero: true; it sizes scale to zero: set scaleToZero: true, or leave it unset`,
  );
  v.problems.when(
    scaleToZero && context.autoScaling,
    "asyncInference.scaleToZero: true scales the endpoint on its backlog, and autoScaling on invocations per instance; " +
      "two target tracking policies on one variant fight: leave autoScaling unset (size scale to zero with asyncInference.maxCapacity)",
  );
  const maxCapacity = a.maxCapacity ?? context.instanceCount;
  v.problems.when(
    scaleToZero && maxOk && context.instanceCount > maxCapacity,
    () => `instanceCount ${context.instanceCount} must be at most asyncInference.maxCapacity ${maxCapacity}`,
  );
  return {
    outputPath: a.outputPath,
    failurePath: a.failurePath,
    inputPath: a.inputPath,
    kmsKeyArn: a.kmsKeyArn,
    successTopicArn: a.successTopicArn,
    errorTopicArn: a.errorTopicArn,
    maxConcurrentInvocationsPerInstance: a.maxConcurrentInvocationsPerInstance,
    scaleToZero: scaleToZero
      ? {
          maxCapacity,
          targetBacklogPerInstance: a.targetBacklogPerInstance ?? SCALE_TO_ZERO_DEFAULTS.targetBacklogPerInstance,
          scaleInCooldownSeconds: a.scaleInCooldownSeconds ?? SCALE_TO_ZERO_DEFAULTS.scaleInCooldownSeconds,
          scaleOutCooldownSeconds: a.scaleOutCooldownSeconds ?? SCALE_TO_ZERO_DEFAULTS.scaleOutCooldownSeconds,
        }
      : undefined,
    coldStartSeconds: coldStartSeconds(context.downloadTimeoutSeconds, context.startupTimeoutSeconds),
  };
}

/**
 * The longest the first request after an idle spell waits: the alarm's evaluation (2 one-minute periods) and the
 * step policy, then an instance's start bounded by the model's download and startup health check timeouts (which the
 * recipes size from the artifacts, {@link scaledDefaults}); SageMaker fails the instance past them.
 */
export function coldStartSeconds(downloadTimeoutSeconds: number, startupTimeoutSeconds: number): number {
  const alarm = SCALE_TO_ZERO_DEFAULTS.alarmPeriodSeconds * SCALE_TO_ZERO_DEFAULTS.alarmEvaluationPeriods;
  return alarm + downloadTimeoutSeconds + startupTimeoutSeconds;
}

/** `bucket/prefix` of an `s3://bucket/prefix` URI (literal or reference), without a trailing slash. */
export function s3UriPath(uri: string): string {
  return Token.isUnresolved(uri)
    ? `\${trimsuffix(trimprefix(${embeddedExpression(uri)}, "s3://"), "/")}`
    : uri.replace(/^s3:\/\//, "").replace(/\/+$/, "");
}

/** The S3 locations and key of an asynchronous endpoint, once rendered. */
export interface AsyncInferenceLocations {
  /** `s3://` URIs. */
  readonly inputPath: string;
  readonly outputPath: string;
  readonly failurePath: string;
  /** ARNs of the objects below each (`arn:...:s3:::bucket/prefix/*`), for IAM. */
  readonly objectArns: { readonly input: string; readonly output: string; readonly failure: string };
  /** The key SageMaker encrypts outputs with, if any. */
  readonly kmsKeyArn?: string;
  /** The created bucket's name, if one was created. */
  readonly bucketName?: string;
}

/** The endpoint configuration's `async_inference_config`, and the bucket and key it creates when paths are left out. */
export function renderAsyncInference(
  scope: Construct,
  a: ResolvedAsyncInference,
  endpointName: string,
  tags: Record<string, string>,
): { config: SagemakerEndpointConfigurationAsyncInferenceConfig; locations: AsyncInferenceLocations } {
  let created: { bucketName: string; bucketArn: string; kmsKeyArn: string } | undefined;
  if (!a.inputPath || !a.outputPath || !a.failurePath) {
    const key = renderOutputKey(scope, endpointName, tags);
    const bucket = new ArtifactBucket(scope, "AsyncBucket", {
      forceDestroy: true,
      tags,
      name: "async",
      bucketPrefix: "neuronx-async-",
      kmsKeyArn: key.arn,
      purpose: "asynchronous inference requests and responses",
    }).bucket;
    created = { bucketName: bucket.bucket, bucketArn: bucket.arn, kmsKeyArn: key.arn };
  }
  const partition = currentPartition(scope).partition;
  const path = (given: string | undefined, prefix: string) => given ?? `s3://${created!.bucketName}/${prefix}`;
  const objects = (given: string | undefined, prefix: string) =>
    given ? `arn:${partition}:s3:::${s3UriPath(given)}/*` : `${created!.bucketArn}/${prefix}*`;
  const locations: AsyncInferenceLocations = {
    inputPath: path(a.inputPath, ASYNC_PREFIXES.input),
    outputPath: path(a.outputPath, ASYNC_PREFIXES.output),
    failurePath: path(a.failurePath, ASYNC_PREFIXES.failure),
    objectArns: {
      input: objects(a.inputPath, ASYNC_PREFIXES.input),
      output: objects(a.outputPath, ASYNC_PREFIXES.output),
      failure: objects(a.failurePath, ASYNC_PREFIXES.failure),
    },
    kmsKeyArn: a.kmsKeyArn ?? created?.kmsKeyArn,
    bucketName: created?.bucketName,
  };
  const topics = a.successTopicArn || a.errorTopicArn;
  return {
    config: {
      clientConfig:
        a.maxConcurrentInvocationsPerInstance !== undefined
          ? { maxConcurrentInvocationsPerInstance: a.maxConcurrentInvocationsPerInstance }
          : undefined,
      outputConfig: {
        s3OutputPath: locations.outputPath,
        s3FailurePath: locations.failurePath,
        kmsKeyId: locations.kmsKeyArn,
        notificationConfig: topics ? { successTopic: a.successTopicArn, errorTopic: a.errorTopicArn } : undefined,
      },
    },
    locations,
  };
}

/** A rotated KMS key for the created bucket: the account administers it, IAM policies grant its use. */
function renderOutputKey(scope: Construct, endpointName: string, tags: Record<string, string>): KmsKey {
  const policy = nameElement(
    new DataAwsIamPolicyDocument(scope, "AsyncKeyPolicy", { statement: [accountAdministersKey(scope)] }),
    scope,
    "async_key",
  );
  justifyKeyPolicy(policy);
  return nameElement(
    new KmsKey(scope, "AsyncKey", {
      description: `Encrypts the asynchronous requests and responses of the SageMaker endpoint ${endpointName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: policy.json,
      tags,
    }),
    scope,
    "async",
  );
}

/**
 * The execution role's statements for asynchronous inference: read the requests below the input path, write
 * responses and failures below theirs, use the key, publish to the topics
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html).
 */
export function asyncRoleStatements(a: ResolvedAsyncInference, locations: AsyncInferenceLocations): DataAwsIamPolicyDocumentStatement[] {
  const objects = locations.objectArns;
  const topics = [a.successTopicArn, a.errorTopicArn].filter((t): t is string => t !== undefined);
  return [
    { sid: "ReadAsyncRequests", actions: ["s3:GetObject"], resources: [objects.input] },
    {
      sid: "WriteAsyncResponses",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [...new Set([objects.output, objects.failure])],
    },
    ...(locations.kmsKeyArn
      ? [{ sid: "UseAsyncKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [locations.kmsKeyArn] }]
      : []),
    ...(topics.length > 0 ? [{ sid: "NotifyAsyncResults", actions: ["sns:Publish"], resources: [...new Set(topics)] }] : []),
  ];
}

/** What a caller of an asynchronous endpoint needs: invoke it, put requests, read responses and failures, the key. */
export function asyncInvokeStatements(endpointArn: string, locations: AsyncInferenceLocations): DataAwsIamPolicyDocumentStatement[] {
  const objects = locations.objectArns;
  return [
    { sid: "InvokeEndpointAsync", actions: ["sagemaker:InvokeEndpointAsync"], resources: [endpointArn] },
    { sid: "PutAsyncRequests", actions: ["s3:PutObject"], resources: [objects.input] },
    { sid: "ReadAsyncResponses", actions: ["s3:GetObject"], resources: [...new Set([objects.output, objects.failure])] },
    ...(locations.kmsKeyArn
      ? [{ sid: "UseAsyncKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [locations.kmsKeyArn] }]
      : []),
  ];
}

/**
 * Scale to zero: a scalable target from 0, target tracking on the backlog per instance, and the step policy with
 * its HasBacklogWithoutCapacity alarm that starts the first instance (target tracking cannot: with no instance the
 * backlog per instance has no value). Values: {@link SCALE_TO_ZERO_DEFAULTS}.
 */
export function renderScaleToZero(
  scope: Construct,
  endpointResourceName: string,
  endpointName: string,
  s: NonNullable<ResolvedAsyncInference["scaleToZero"]>,
  coldStart: number,
  tags: Record<string, string>,
): CloudwatchMetricAlarm {
  const d = SCALE_TO_ZERO_DEFAULTS;
  const target = nameElement(
    new AppautoscalingTarget(scope, "ScalingTarget", {
      serviceNamespace: "sagemaker",
      resourceId: `endpoint/${endpointResourceName}/variant/AllTraffic`,
      scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      minCapacity: 0,
      maxCapacity: s.maxCapacity,
      tags,
    }),
    scope,
  );
  const on = { serviceNamespace: target.serviceNamespace, resourceId: target.resourceId, scalableDimension: target.scalableDimension };
  nameElement(
    new AppautoscalingPolicy(scope, "BacklogScalingPolicy", {
      name: `${endpointName}-backlog-per-instance`,
      policyType: "TargetTrackingScaling",
      ...on,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: s.targetBacklogPerInstance,
        customizedMetricSpecification: {
          namespace: "AWS/SageMaker",
          metricName: "ApproximateBacklogSizePerInstance",
          dimensions: [{ name: "EndpointName", value: endpointName }],
          statistic: "Average",
        },
        scaleInCooldown: s.scaleInCooldownSeconds,
        scaleOutCooldown: s.scaleOutCooldownSeconds,
      },
    }),
    scope,
    "backlog",
  );
  const stepPolicy = nameElement(
    new AppautoscalingPolicy(scope, "ScaleFromZeroPolicy", {
      name: `${endpointName}-scale-from-zero`,
      policyType: "StepScaling",
      ...on,
      stepScalingPolicyConfiguration: {
        adjustmentType: "ChangeInCapacity",
        metricAggregationType: "Average",
        cooldown: d.stepCooldownSeconds,
        stepAdjustment: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
      },
    }),
    scope,
    "scale_from_zero",
  );
  return nameElement(
    new CloudwatchMetricAlarm(scope, "BacklogWithoutCapacityAlarm", {
      alarmName: `${endpointName}-backlog-without-capacity`,
      alarmDescription:
        `Requests queued at the SageMaker endpoint ${endpointName} while it has no instance: starts one. ` +
        `The first request waits up to ${coldStart} s (the alarm, then the model's download and load).`,
      namespace: "AWS/SageMaker",
      metricName: "HasBacklogWithoutCapacity",
      dimensions: { EndpointName: endpointName },
      statistic: "Average",
      period: d.alarmPeriodSeconds,
      evaluationPeriods: d.alarmEvaluationPeriods,
      datapointsToAlarm: d.alarmEvaluationPeriods,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "missing",
      alarmActions: [stepPolicy.arn],
      tags,
    }),
    scope,
    "backlog_without_capacity",
  );
}

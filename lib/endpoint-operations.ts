/**
 * Operating an endpoint: how SageMaker rolls out a new endpoint configuration (`deployment`), and the
 * CloudWatch alarms that watch the endpoint and roll a deployment back (`monitoring`). Options of the endpoint
 * core ({@link SageMakerInferenceEndpointBase}), so every endpoint of this library has them.
 */
import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SagemakerEndpointDeploymentConfig } from "@cdktf/provider-aws/lib/sagemaker-endpoint";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { RULES } from "./patterns";
import { accountAdministersKey, justifyKeyPolicy } from "./private/key-policy";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { Validator, show } from "./private/validation";
import { nameElement } from "./private/naming";

/**
 * SageMaker's limits for an endpoint's DeploymentConfig (botocore 1.44.8, data/sagemaker/2017-07-24/service-2.json:
 * WaitIntervalInSeconds 0-3600, TerminationWaitInSeconds 0-3600, MaximumExecutionTimeoutInSeconds 600-28800,
 * AlarmList 1-10 items, AlarmName 1-255 characters; TrafficRoutingConfig.CanarySize "must be less than or equal
 * to 50% of the variant's total instance count", LinearStepSize "must be 10-50%", RollingUpdatePolicy.MaximumBatchSize
 * "must be between 5% to 50%"; CapacitySizeValue at least 1).
 */
export const DEPLOYMENT_LIMITS = {
  waitIntervalSeconds: { min: 0, max: 3600 },
  terminationWaitSeconds: { min: 0, max: 3600 },
  maximumExecutionTimeoutSeconds: { min: 600, max: 28800 },
  rollbackAlarms: { min: 1, max: 10 },
  alarmNameLength: 255,
  /** Percent of the variant's instances a step may turn on: [least, most]. */
  canaryPercent: [1, 50],
  linearPercent: [10, 50],
  rollingPercent: [5, 50],
} as const;

/** The defaults of a deployment. */
export const DEPLOYMENT_DEFAULTS = {
  /** Baking time after each traffic step: the alarms below need 2 of 3 one-minute periods to fire. */
  waitIntervalSeconds: 300,
  /** Headroom of the sized maximum execution timeout over the steps' sum. */
  executionHeadroomSeconds: 600,
} as const;

/** The alarms' defaults (thresholds, periods). */
export const MONITORING_DEFAULTS = {
  /** Invocation5XXErrors a minute (Sum) that breach. */
  errorsPerMinute: 1,
  /**
   * p90 ModelLatency that breaches, in seconds: three quarters of the 60 seconds a real-time endpoint's
   * container has to answer (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html:
   * "Your model must respond to requests within 60 seconds"); above it, requests are close to timing out.
   */
  modelLatencySeconds: 45,
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  /**
   * The instances' health (namespace /aws/sagemaker/Endpoints, percent; memory and disk as SageMaker publishes them
   * for endpoint instances, https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html): breaching
   * for 5 of 5 minutes. The model's weights sit in host memory while it loads, so memory runs high: 95% leaves the margin.
   */
  memoryPercent: 95,
  diskPercent: 90,
  hostEvaluationPeriods: 5,
} as const;

/** A step of a deployment: a share of the variant's instances, as a percentage or a count (exactly one). */
export interface DeploymentCapacity {
  /** Percent of the variant's instances. */
  readonly percent?: number;
  /** A number of instances. */
  readonly instances?: number;
}

/** What every deployment takes. */
export interface DeploymentOptions {
  /**
   * Seconds to bake after each step, while SageMaker watches the rollback alarms (0 to 3600).
   * @default 300
   */
  readonly waitIntervalSeconds?: number;
  /**
   * Seconds the whole deployment may take before SageMaker rolls it back (600 to 28800).
   * @default - sized from the model: each step's instance start (the download and startup health check timeouts),
   * its wait, the termination wait, and 600 s headroom, within SageMaker's range
   */
  readonly maximumExecutionTimeoutSeconds?: number;
  /**
   * Roll back when one of the endpoint's own alarms (5XX errors, model latency) fires; needs `monitoring` on.
   * @default true
   */
  readonly rollbackOnEndpointAlarms?: boolean;
  /**
   * More CloudWatch alarms, by name, that roll the deployment back (with the endpoint's own: 1 to 10 in all).
   * @default - none
   */
  readonly rollbackAlarmNames?: string[];
  /**
   * The most instances the endpoint may run during an update: a blue/green update starts a whole new fleet
   * (twice the instances, or twice autoScaling's maxCapacity), a rolling update one batch more. The construct
   * refuses a deployment that would need more; use a rolling update to stay under it.
   * @default - no cap
   */
  readonly maxInstances?: number;
}

/** A blue/green deployment's options. */
export interface BlueGreenDeploymentOptions extends DeploymentOptions {
  /**
   * Seconds to keep the old fleet after all traffic has moved, for a fast rollback (0 to 3600).
   * @default 0
   */
  readonly terminationWaitSeconds?: number;
}

/** A canary deployment's options. */
export interface CanaryDeploymentOptions extends BlueGreenDeploymentOptions {
  /** The canary: the share of instances that takes traffic first (at most 50% of the instances). */
  readonly canarySize: DeploymentCapacity;
}

/** A linear deployment's options. */
export interface LinearDeploymentOptions extends BlueGreenDeploymentOptions {
  /** The share of instances each step turns on (10% to 50% of the instances). */
  readonly stepSize: DeploymentCapacity;
}

/** A rolling deployment's options. */
export interface RollingDeploymentOptions extends DeploymentOptions {
  /** The share of instances each step replaces (5% to 50% of the instances). */
  readonly batchSize: DeploymentCapacity;
  /**
   * The share of instances each rollback step restores.
   * @default - all at once (SageMaker's default)
   */
  readonly rollbackBatchSize?: DeploymentCapacity;
}

type Kind = "ALL_AT_ONCE" | "CANARY" | "LINEAR" | "ROLLING";

/**
 * How SageMaker moves the endpoint to a new endpoint configuration (a new model, instance type or count):
 * blue/green with all-at-once, canary or linear traffic shifting, or a rolling update, each with a baking
 * wait and automatic rollback on CloudWatch alarms (the `deploymentConfig` of the endpoint). Blue/green
 * runs a second full fleet during the update: twice the instances (and their cost) until it ends.
 */
export class EndpointDeployment {
  /** Blue/green: the new fleet takes all traffic at once, then bakes. */
  public static allAtOnce(options: BlueGreenDeploymentOptions = {}): EndpointDeployment {
    return new EndpointDeployment("ALL_AT_ONCE", options);
  }

  /** Blue/green: a canary share of the new fleet takes traffic and bakes, then the rest. */
  public static canary(options: CanaryDeploymentOptions): EndpointDeployment {
    return new EndpointDeployment("CANARY", options);
  }

  /** Blue/green: the new fleet takes traffic in equal steps, baking after each. */
  public static linear(options: LinearDeploymentOptions): EndpointDeployment {
    return new EndpointDeployment("LINEAR", options);
  }

  /** Rolling: batches of instances are replaced in place, baking after each; needs no second fleet. */
  public static rolling(options: RollingDeploymentOptions): EndpointDeployment {
    return new EndpointDeployment("ROLLING", options);
  }

  private constructor(
    /** The traffic routing type, or ROLLING. */
    public readonly kind: Kind,
    /** The options as given. */
    public readonly options: DeploymentOptions,
  ) {}
}

/** The endpoint's alarms' options. */
export interface EndpointMonitoringOptions {
  /**
   * Invocation5XXErrors a minute that breach (2 of 3 minutes breaching fire the alarm).
   * @default 1
   */
  readonly errorsPerMinuteThreshold?: number;
  /**
   * The p90 of ModelLatency, in seconds, that breaches (2 of 3 minutes breaching fire the alarm).
   * @default 45
   */
  readonly modelLatencyThresholdSeconds?: number;
  /**
   * An SNS topic (standard, not FIFO) the alarms notify when they fire and when they recover.
   * @default - no notification, unless createAlarmTopic
   */
  readonly alarmTopicArn?: string;
  /**
   * Create an SNS topic for the alarms, encrypted with a KMS key of its own that CloudWatch may use
   * (CloudWatch cannot publish to a topic under the AWS managed aws/sns key); subscribe to it yourself.
   * @default false
   */
  readonly createAlarmTopic?: boolean;
  /**
   * A CloudWatch dashboard of the endpoint: invocations, latency, errors, the instances' CPU, memory and disk.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** What the core knows when it checks the deployment. */
export interface DeploymentContext {
  readonly instanceCount: number;
  /** autoScaling's maxCapacity, when it scales. */
  readonly maxCapacity?: number;
  /** Seconds a new instance may take to be in service: the download plus the startup health check timeouts. */
  readonly instanceStartSeconds: number;
  /** Whether the endpoint's own alarms exist. */
  readonly monitoring: boolean;
}

/** A checked deployment, ready to render. */
export interface ResolvedDeployment {
  readonly kind: Kind;
  readonly waitIntervalSeconds: number;
  readonly maximumExecutionTimeoutSeconds: number;
  readonly terminationWaitSeconds?: number;
  readonly step?: { type: string; value: number };
  readonly rollbackStep?: { type: string; value: number };
  readonly useEndpointAlarms: boolean;
  readonly alarmNames: string[];
}

/** A checked `monitoring`. */
export interface ResolvedMonitoring {
  readonly errorsPerMinute: number;
  readonly modelLatencySeconds: number;
  readonly alarmTopicArn?: string;
  readonly createAlarmTopic: boolean;
  readonly dashboard: boolean;
}

const capacityWhat = "a DeploymentCapacity, { percent } or { instances }";

/** Checks `monitoring` (true, false or options). */
export function checkMonitoring(v: Validator, monitoring: unknown): ResolvedMonitoring | undefined {
  if (monitoring === false) return undefined;
  if (monitoring === undefined || monitoring === true) {
    return {
      errorsPerMinute: MONITORING_DEFAULTS.errorsPerMinute,
      modelLatencySeconds: MONITORING_DEFAULTS.modelLatencySeconds,
      createAlarmTopic: false,
      dashboard: true,
    };
  }
  if (!v.record("monitoring", monitoring, { what: "true, false or EndpointMonitoringOptions" })) return undefined;
  const m = monitoring as EndpointMonitoringOptions;
  v.number("monitoring.errorsPerMinuteThreshold", m.errorsPerMinuteThreshold, {
    greaterThan: 0,
    max: 1e9,
    what: "a number of errors a minute",
  });
  v.number("monitoring.modelLatencyThresholdSeconds", m.modelLatencyThresholdSeconds, {
    greaterThan: 0,
    max: 3600,
    what: "a number of seconds",
  });
  v.string("monitoring.alarmTopicArn", m.alarmTopicArn, RULES.snsTopicArn);
  v.boolean("monitoring.createAlarmTopic", m.createAlarmTopic);
  v.boolean("monitoring.dashboard", m.dashboard);
  v.problems.when(
    m.alarmTopicArn !== undefined && m.createAlarmTopic === true,
    "monitoring sets both alarmTopicArn and createAlarmTopic: true; the alarms notify one topic, give one or the other",
  );
  return {
    errorsPerMinute: m.errorsPerMinuteThreshold ?? MONITORING_DEFAULTS.errorsPerMinute,
    modelLatencySeconds: m.modelLatencyThresholdSeconds ?? MONITORING_DEFAULTS.modelLatencySeconds,
    alarmTopicArn: m.alarmTopicArn,
    createAlarmTopic: m.createAlarmTopic === true,
    dashboard: m.dashboard !== false,
  };
}

/** A capacity as SageMaker's CapacitySize, checked against the share of `count` instances SageMaker allows. */
function capacity(
  v: Validator,
  prop: string,
  value: unknown,
  count: number,
  [least, most]: readonly [number, number],
): { type: string; value: number } | undefined {
  if (!v.record(prop, value, { optional: false, what: capacityWhat })) return undefined;
  const c = value as DeploymentCapacity;
  if ((c.percent === undefined) === (c.instances === undefined)) {
    v.problems.add(`${prop} must set exactly one of percent and instances, got ${show(value)}`);
    return undefined;
  }
  if (c.percent !== undefined) {
    if (!v.integer(`${prop}.percent`, c.percent, least, most, { unit: "percent" })) return undefined;
    // SageMaker turns on whole instances: a share under one instance cannot be a step.
    const instances = (c.percent / 100) * count;
    if (least > 1 && instances < 1) {
      v.problems.add(
        `${prop}.percent ${c.percent} of ${count} instance(s) is less than one instance; SageMaker needs ${least}% to ${most}% ` +
          `of the instances to be at least one instance: raise instanceCount to ${Math.ceil(100 / c.percent)} or more`,
      );
      return undefined;
    }
    return { type: "CAPACITY_PERCENT", value: c.percent };
  }
  if (!v.integer(`${prop}.instances`, c.instances, 1, 100)) return undefined;
  const share = ((c.instances as number) / count) * 100;
  if (share < least || share > most) {
    v.problems.add(
      `${prop}.instances ${c.instances} is ${Math.round(share)}% of the ${count} instance(s); SageMaker allows ${least}% to ${most}% ` +
        `of the variant's instances here` +
        (count < 2 ? ", so this deployment needs instanceCount 2 or more (or use EndpointDeployment.allAtOnce)" : ""),
    );
    return undefined;
  }
  return { type: "INSTANCE_COUNT", value: c.instances as number };
}

/** Checks `deployment` against SageMaker's rules and sizes its timeout from the model's start time. */
export function checkDeployment(v: Validator, deployment: unknown, context: DeploymentContext): ResolvedDeployment | undefined {
  if (deployment === undefined) return undefined;
  if (!(deployment instanceof EndpointDeployment)) {
    v.problems.add(
      `deployment must be an EndpointDeployment (EndpointDeployment.allAtOnce(), .canary(), .linear() or .rolling()), got ${show(deployment)}`,
    );
    return undefined;
  }
  const o = deployment.options as DeploymentOptions & Partial<CanaryDeploymentOptions & LinearDeploymentOptions & RollingDeploymentOptions>;
  const p = `deployment (${deployment.kind.toLowerCase().replace(/_/g, "-")})`;
  if (!v.record(p, o, { optional: false, what: "the deployment's options object" })) return undefined;
  const L = DEPLOYMENT_LIMITS;
  const waitOk = v.integer(`${p}.waitIntervalSeconds`, o.waitIntervalSeconds, L.waitIntervalSeconds.min, L.waitIntervalSeconds.max, {
    unit: "seconds",
  });
  const wait = waitOk ? (o.waitIntervalSeconds as number) : DEPLOYMENT_DEFAULTS.waitIntervalSeconds;
  const blueGreen = deployment.kind !== "ROLLING";
  let termination: number | undefined;
  if (blueGreen) {
    const t = L.terminationWaitSeconds;
    termination = v.integer(`${p}.terminationWaitSeconds`, o.terminationWaitSeconds, t.min, t.max, { unit: "seconds" })
      ? o.terminationWaitSeconds
      : undefined;
  } else if ((o as BlueGreenDeploymentOptions).terminationWaitSeconds !== undefined) {
    v.problems.add(`${p}.terminationWaitSeconds applies to blue/green deployments only; a rolling update keeps no old fleet`);
  }
  const count = context.instanceCount;
  let step: { type: string; value: number } | undefined;
  let rollbackStep: { type: string; value: number } | undefined;
  // How many times instances start, and how many bakes, one after the other.
  let starts = 1;
  let bakes = 1;
  switch (deployment.kind) {
    case "CANARY":
      step = capacity(v, `${p}.canarySize`, o.canarySize, count, L.canaryPercent);
      bakes = 2;
      break;
    case "LINEAR":
      step = capacity(v, `${p}.stepSize`, o.stepSize, count, L.linearPercent);
      if (step) bakes = step.type === "CAPACITY_PERCENT" ? Math.ceil(100 / step.value) : Math.ceil(count / step.value);
      break;
    case "ROLLING":
      step = capacity(v, `${p}.batchSize`, o.batchSize, count, L.rollingPercent);
      if (step) {
        starts = step.type === "CAPACITY_PERCENT" ? Math.ceil(100 / step.value) : Math.ceil(count / step.value);
        bakes = starts;
      }
      if (o.rollbackBatchSize !== undefined) rollbackStep = capacity(v, `${p}.rollbackBatchSize`, o.rollbackBatchSize, count, [1, 100]);
      break;
    default:
      break;
  }

  // Alarms: the endpoint's own, and the user's.
  const useEndpointAlarms = o.rollbackOnEndpointAlarms ?? true;
  v.boolean(`${p}.rollbackOnEndpointAlarms`, o.rollbackOnEndpointAlarms);
  if (useEndpointAlarms === true && !context.monitoring) {
    v.problems.add(
      `${p} rolls back on the endpoint's alarms, but monitoring is false so there are none; turn monitoring on, ` +
        `or set rollbackOnEndpointAlarms: false and name your alarms in rollbackAlarmNames`,
    );
  }
  const names: string[] = [];
  if (o.rollbackAlarmNames !== undefined) {
    if (!Array.isArray(o.rollbackAlarmNames)) {
      v.problems.add(`${p}.rollbackAlarmNames must be a list of CloudWatch alarm names, got ${show(o.rollbackAlarmNames)}`);
    } else {
      o.rollbackAlarmNames.forEach((name, i) => {
        if (v.text(`${p}.rollbackAlarmNames[${i}]`, name, { optional: false })) {
          v.problems.when(
            name.trim() === "" || [...name].length > L.alarmNameLength,
            () =>
              `${p}.rollbackAlarmNames[${i}] must be a CloudWatch alarm name of 1 to ${L.alarmNameLength} characters, not blank; got ${show(name)}`,
          );
        }
        if (typeof name === "string") names.push(name);
      });
    }
  }
  const total = names.length + (useEndpointAlarms === true && context.monitoring ? 2 : 0);
  v.problems.when(
    total > L.rollbackAlarms.max,
    () => `${p} names ${total} rollback alarms (the endpoint's 2 included); SageMaker takes at most ${L.rollbackAlarms.max}`,
  );

  // The cap on instances during the update.
  if (v.integer(`${p}.maxInstances`, o.maxInstances, 1, 200)) {
    const fleet = context.maxCapacity ?? count;
    const batch = step ? (step.type === "CAPACITY_PERCENT" ? Math.ceil((step.value / 100) * fleet) : step.value) : fleet;
    const needed = blueGreen ? 2 * fleet : fleet + batch;
    v.problems.when(
      needed > (o.maxInstances as number),
      () =>
        `${p} needs up to ${needed} instances during an update (${
          blueGreen ? `blue/green starts a second fleet of ${fleet}` : `${fleet} and a batch of ${batch}`
        }), over maxInstances ${o.maxInstances}; ${blueGreen ? "use EndpointDeployment.rolling with a small batchSize, or " : ""}raise maxInstances`,
    );
  }

  // The timeout: sized from the model, or given and longer than SageMaker's waits.
  const t = L.maximumExecutionTimeoutSeconds;
  const sized = Math.min(
    t.max,
    Math.max(
      t.min,
      starts * context.instanceStartSeconds + bakes * wait + (termination ?? 0) + DEPLOYMENT_DEFAULTS.executionHeadroomSeconds,
    ),
  );
  let timeout = sized;
  if (v.integer(`${p}.maximumExecutionTimeoutSeconds`, o.maximumExecutionTimeoutSeconds, t.min, t.max, { unit: "seconds" })) {
    timeout = o.maximumExecutionTimeoutSeconds as number;
    v.problems.when(
      timeout <= wait + (termination ?? 0),
      () =>
        `${p}.maximumExecutionTimeoutSeconds ${timeout} must be larger than waitIntervalSeconds ${wait}` +
        `${termination ? ` plus terminationWaitSeconds ${termination}` : ""} (SageMaker's rule)`,
    );
  }
  return {
    kind: deployment.kind,
    waitIntervalSeconds: wait,
    maximumExecutionTimeoutSeconds: timeout,
    terminationWaitSeconds: termination,
    step,
    rollbackStep,
    useEndpointAlarms: useEndpointAlarms === true,
    alarmNames: names,
  };
}

/** The endpoint's alarms: the first two (5XX errors, model latency) also roll a deployment back. */
export function renderEndpointAlarms(
  scope: Construct,
  endpointName: string,
  monitoring: ResolvedMonitoring,
  tags: Record<string, string>,
): CloudwatchMetricAlarm[] {
  const topic = monitoring.createAlarmTopic ? renderAlarmTopic(scope, endpointName, tags).arn : monitoring.alarmTopicArn;
  const dimensions = { EndpointName: endpointName, VariantName: "AllTraffic" };
  const common = {
    dimensions,
    period: MONITORING_DEFAULTS.periodSeconds,
    evaluationPeriods: MONITORING_DEFAULTS.evaluationPeriods,
    datapointsToAlarm: MONITORING_DEFAULTS.datapointsToAlarm,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    // No traffic, or no instance, is not an error.
    treatMissingData: "notBreaching",
    alarmActions: topic ? [topic] : undefined,
    okActions: topic ? [topic] : undefined,
    tags,
  };
  const alarm = (id: string, suffix: string, config: Partial<CloudwatchMetricAlarmConfig> & { alarmName: string }) =>
    nameElement(new CloudwatchMetricAlarm(scope, id, { ...common, ...config }), scope, suffix);
  const host = {
    namespace: "/aws/sagemaker/Endpoints",
    statistic: "Maximum",
    evaluationPeriods: MONITORING_DEFAULTS.hostEvaluationPeriods,
  };
  return [
    alarm("ErrorsAlarm", "errors", {
      alarmName: `${endpointName}-5xx-errors`,
      alarmDescription: `Invocation 5XX errors of the SageMaker endpoint ${endpointName}: at least ${monitoring.errorsPerMinute} a minute`,
      namespace: "AWS/SageMaker",
      metricName: "Invocation5XXErrors",
      statistic: "Sum",
      threshold: monitoring.errorsPerMinute,
    }),
    alarm("LatencyAlarm", "model_latency", {
      alarmName: `${endpointName}-model-latency`,
      alarmDescription: `p90 model latency of the SageMaker endpoint ${endpointName}: at least ${monitoring.modelLatencySeconds} s`,
      namespace: "AWS/SageMaker",
      metricName: "ModelLatency",
      extendedStatistic: "p90",
      // ModelLatency is in microseconds.
      threshold: monitoring.modelLatencySeconds * 1e6,
    }),
    alarm("MemoryAlarm", "memory", {
      ...host,
      alarmName: `${endpointName}-host-memory`,
      alarmDescription: `Host memory of an instance of the SageMaker endpoint ${endpointName}: at least ${MONITORING_DEFAULTS.memoryPercent}% for 5 minutes`,
      metricName: "MemoryUtilization",
      threshold: MONITORING_DEFAULTS.memoryPercent,
      datapointsToAlarm: MONITORING_DEFAULTS.hostEvaluationPeriods,
    }),
    alarm("DiskAlarm", "disk", {
      ...host,
      alarmName: `${endpointName}-disk`,
      alarmDescription: `ML storage volume of an instance of the SageMaker endpoint ${endpointName}: at least ${MONITORING_DEFAULTS.diskPercent}% full for 5 minutes`,
      metricName: "DiskUtilization",
      threshold: MONITORING_DEFAULTS.diskPercent,
      datapointsToAlarm: MONITORING_DEFAULTS.hostEvaluationPeriods,
    }),
  ];
}

/**
 * An SNS topic for the alarms under a KMS key of its own: CloudWatch publishes to an encrypted topic only when the
 * key's policy lets cloudwatch.amazonaws.com use it, which the AWS managed aws/sns key's policy does not
 * (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
 */
function renderAlarmTopic(scope: Construct, endpointName: string, tags: Record<string, string>): SnsTopic {
  const partition = currentPartition(scope).partition;
  const account = currentAccount(scope).accountId;
  const region = currentRegion(scope).region;
  const keyPolicy = nameElement(
    new DataAwsIamPolicyDocument(scope, "AlarmTopicKeyPolicy", {
      statement: [
        accountAdministersKey(scope),
        {
          sid: "CloudWatchAlarmsPublish",
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          resources: ["*"],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:${partition}:cloudwatch:${region}:${account}:alarm:*`] },
          ],
        },
      ],
    }),
    scope,
    "alarm_topic_key",
  );
  justifyKeyPolicy(keyPolicy);
  const key = nameElement(
    new KmsKey(scope, "AlarmTopicKey", {
      description: `Encrypts the alarm topic of the SageMaker endpoint ${endpointName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: keyPolicy.json,
      tags,
    }),
    scope,
    "alarm_topic",
  );
  return nameElement(new SnsTopic(scope, "AlarmTopic", { name: `${endpointName}-alarms`, kmsMasterKeyId: key.arn, tags }), scope, "alarms");
}

/** The dashboard's widgets, two a row: a title and its metrics (namespace, name, statistic, label). The HCL module renders the same. */
export const DASHBOARD_WIDGETS: readonly {
  readonly title: string;
  readonly metrics: readonly (readonly [string, string, string, string])[];
}[] = [
  {
    title: "Invocations",
    metrics: [
      ["AWS/SageMaker", "Invocations", "Sum", "invocations"],
      ["AWS/SageMaker", "InvocationsPerInstance", "Sum", "per instance"],
    ],
  },
  {
    title: "Latency (microseconds)",
    metrics: [
      ["AWS/SageMaker", "ModelLatency", "p50", "model p50"],
      ["AWS/SageMaker", "ModelLatency", "p90", "model p90"],
      ["AWS/SageMaker", "OverheadLatency", "p90", "overhead p90"],
    ],
  },
  {
    title: "Errors",
    metrics: [
      ["AWS/SageMaker", "Invocation4XXErrors", "Sum", "4XX"],
      ["AWS/SageMaker", "Invocation5XXErrors", "Sum", "5XX"],
      ["AWS/SageMaker", "ModelSetupTime", "Maximum", "model setup time"],
    ],
  },
  {
    title: "Instances (percent)",
    metrics: [
      ["/aws/sagemaker/Endpoints", "CPUUtilization", "Maximum", "CPU (100 a vCPU)"],
      ["/aws/sagemaker/Endpoints", "MemoryUtilization", "Maximum", "memory"],
      ["/aws/sagemaker/Endpoints", "DiskUtilization", "Maximum", "disk"],
    ],
  },
];

/** A dashboard of the endpoint's invocations, latency, errors and its instances' CPU, memory and disk. */
export function renderDashboard(scope: Construct, endpointName: string): CloudwatchDashboard {
  const region = currentRegion(scope).region;
  const metric = (namespace: string, name: string, stat: string, label: string) => [
    namespace,
    name,
    "EndpointName",
    endpointName,
    "VariantName",
    "AllTraffic",
    { stat, label },
  ];
  const widget = (title: string, x: number, y: number, metrics: unknown[]) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, period: 60, view: "timeSeries", stacked: false, metrics },
  });
  const body = {
    widgets: DASHBOARD_WIDGETS.map((w, i) =>
      widget(
        w.title,
        (i % 2) * 12,
        Math.floor(i / 2) * 6,
        w.metrics.map(([namespace, name, stat, label]) => metric(namespace, name, stat, label)),
      ),
    ),
  };
  return nameElement(
    new CloudwatchDashboard(scope, "Dashboard", { dashboardName: endpointName, dashboardBody: JSON.stringify(body) }),
    scope,
  );
}

/** The endpoint's `deployment_config`. */
export function renderDeploymentConfig(d: ResolvedDeployment, endpointAlarms: CloudwatchMetricAlarm[]): SagemakerEndpointDeploymentConfig {
  // The errors and latency alarms (the first two) roll back; the hosts' memory and disk ones do not (a new fleet loading runs high).
  const alarms = [...(d.useEndpointAlarms ? endpointAlarms.slice(0, 2).map((a) => a.alarmName) : []), ...d.alarmNames];
  const autoRollbackConfiguration = alarms.length > 0 ? { alarms: alarms.map((alarmName) => ({ alarmName })) } : undefined;
  if (d.kind === "ROLLING") {
    return {
      autoRollbackConfiguration,
      rollingUpdatePolicy: {
        maximumBatchSize: d.step as { type: string; value: number },
        waitIntervalInSeconds: d.waitIntervalSeconds,
        maximumExecutionTimeoutInSeconds: d.maximumExecutionTimeoutSeconds,
        rollbackMaximumBatchSize: d.rollbackStep,
      },
    };
  }
  return {
    autoRollbackConfiguration,
    blueGreenUpdatePolicy: {
      maximumExecutionTimeoutInSeconds: d.maximumExecutionTimeoutSeconds,
      // SageMaker's default, written out (the provider plans 0 when it is left out).
      terminationWaitInSeconds: d.terminationWaitSeconds ?? 0,
      trafficRoutingConfiguration: {
        type: d.kind,
        waitIntervalInSeconds: d.waitIntervalSeconds,
        canarySize: d.kind === "CANARY" ? d.step : undefined,
        linearStepSize: d.kind === "LINEAR" ? d.step : undefined,
      },
    },
  };
}

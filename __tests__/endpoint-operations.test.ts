// Operating the endpoint: the deployment_config of aws_sagemaker_endpoint and the endpoint's alarms, as the
// transformers-neuronx endpoint synthesizes them (every endpoint gets them from the core), and the refusals.
import { Model } from "../lib/model";
import { TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { EndpointDeployment } from "../lib/endpoint-operations";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps as EndpointProps,
} from "../lib/realtime-endpoint";
import { ValidationError } from "../lib/errors";
import { Synthesized, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

function endpoint(props: Partial<EndpointProps> = {}) {
  return synth((stack) => {
    const compile = new NeuronxCompile(stack, "Compile", { model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0") });
    new Endpoint(stack, "Inference", { modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile), ...props });
  }).json;
}

/** The problems of a refused endpoint, one a line. */
function refusal(props: Partial<EndpointProps>): string[] {
  const error = thrown(() => endpoint(props));
  expect(error).toBeInstanceOf(ValidationError);
  return [...(error as ValidationError).problems];
}

const deploymentConfig = (json: Synthesized) => json.resource.aws_sagemaker_endpoint.inference.deployment_config;
const variant = (json: Synthesized) => json.resource.aws_sagemaker_endpoint_configuration.inference.production_variants[0];
const ROLLBACK = {
  alarms: [
    { alarm_name: "${aws_cloudwatch_metric_alarm.inference_errors.alarm_name}" },
    { alarm_name: "${aws_cloudwatch_metric_alarm.inference_model_latency.alarm_name}" },
  ],
};

describe("monitoring", () => {
  test("by default: 5XX errors, p90 model latency, host memory and disk alarms on the variant, by endpoint name; no topic", () => {
    const json = endpoint();
    const alarms = json.resource.aws_cloudwatch_metric_alarm;
    expect(Object.keys(alarms).sort()).toEqual(["inference_disk", "inference_errors", "inference_memory", "inference_model_latency"]);
    expect(alarms.inference_memory).toMatchObject({
      alarm_name: "test-inference-host-memory",
      namespace: "/aws/sagemaker/Endpoints",
      metric_name: "MemoryUtilization",
      dimensions: { EndpointName: "test-inference", VariantName: "AllTraffic" },
      statistic: "Maximum",
      threshold: 95,
      evaluation_periods: 5,
      datapoints_to_alarm: 5,
    });
    expect(alarms.inference_disk).toMatchObject({ alarm_name: "test-inference-disk", metric_name: "DiskUtilization", threshold: 90 });
    expect(alarms.inference_errors.alarm_actions).toBeUndefined();
    expect(json.resource.aws_sns_topic).toBeUndefined();
    expect(alarms.inference_errors).toMatchObject({
      alarm_name: "test-inference-5xx-errors",
      namespace: "AWS/SageMaker",
      metric_name: "Invocation5XXErrors",
      dimensions: { EndpointName: "test-inference", VariantName: "AllTraffic" },
      statistic: "Sum",
      threshold: 1,
      period: 60,
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
    });
    expect(alarms.inference_model_latency).toMatchObject({
      alarm_name: "test-inference-model-latency",
      metric_name: "ModelLatency",
      extended_statistic: "p90",
      threshold: 45_000_000,
    });
    expect(alarms.inference_errors.tags).toEqual(json.resource.aws_sagemaker_endpoint.inference.tags);
    // No deployment: SageMaker's default, nothing rendered.
    expect(deploymentConfig(json)).toBeUndefined();
  });

  test("thresholds are options; false leaves the alarms out", () => {
    const json = endpoint({ monitoring: { errorsPerMinuteThreshold: 5, modelLatencyThresholdSeconds: 20 } });
    expect(json.resource.aws_cloudwatch_metric_alarm.inference_errors.threshold).toBe(5);
    expect(json.resource.aws_cloudwatch_metric_alarm.inference_model_latency.threshold).toBe(20_000_000);
    const off = endpoint({ monitoring: false });
    expect(off.resource.aws_cloudwatch_metric_alarm).toBeUndefined();
    expect(off.resource.aws_cloudwatch_dashboard).toBeUndefined();
  });

  test("alarmTopicArn: every alarm notifies the topic when it fires and when it recovers", () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:endpoint-alarms";
    const alarms = Object.values(endpoint({ monitoring: { alarmTopicArn: topic } }).resource.aws_cloudwatch_metric_alarm) as any[];
    expect(alarms).toHaveLength(4);
    for (const a of alarms) expect([a.alarm_actions, a.ok_actions]).toEqual([[topic], [topic]]);
  });

  test("createAlarmTopic: a topic under a rotated key of its own that CloudWatch alarms of this account may use", () => {
    const json = endpoint({ monitoring: { createAlarmTopic: true } });
    const topic = json.resource.aws_sns_topic.inference_alarms;
    expect(topic).toMatchObject({ name: "test-inference-alarms", kms_master_key_id: "${aws_kms_key.inference_alarm_topic.arn}" });
    expect(json.resource.aws_kms_key.inference_alarm_topic).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 7 });
    const statements = json.data.aws_iam_policy_document.inference_alarm_topic_key.statement;
    expect(statements[1]).toEqual({
      sid: "CloudWatchAlarmsPublish",
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
      principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
      resources: ["*"],
      condition: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.current.account_id}"] },
        {
          test: "ArnLike",
          variable: "aws:SourceArn",
          values: [
            "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:alarm:*",
          ],
        },
      ],
    });
    for (const a of Object.values(json.resource.aws_cloudwatch_metric_alarm) as any[]) {
      expect(a.alarm_actions).toEqual(["${aws_sns_topic.inference_alarms.arn}"]);
    }
  });

  test("a dashboard of invocations, latency, errors and the instances, unless dashboard is false", () => {
    const json = endpoint();
    const dashboard = json.resource.aws_cloudwatch_dashboard.inference;
    expect(dashboard.dashboard_name).toBe("test-inference");
    const body = JSON.parse(dashboard.dashboard_body);
    expect(body.widgets.map((w: any) => w.properties.title)).toEqual([
      "Invocations",
      "Latency (microseconds)",
      "Errors",
      "Instances (percent)",
    ]);
    const metrics = body.widgets.flatMap((w: any) => w.properties.metrics.map((m: any[]) => `${m[0]} ${m[1]} ${m[3]} ${m[5]}`));
    expect(metrics).toContain("AWS/SageMaker ModelLatency test-inference AllTraffic");
    expect(metrics).toContain("/aws/sagemaker/Endpoints MemoryUtilization test-inference AllTraffic");
    expect(body.widgets[0].properties.region).toBe("${data.aws_region.current.region}");
    expect(endpoint({ monitoring: { dashboard: false } }).resource.aws_cloudwatch_dashboard).toBeUndefined();
  });

  test("refuses thresholds that are not positive numbers, and what is not a boolean or an object", () => {
    expect(refusal({ monitoring: { errorsPerMinuteThreshold: 0, modelLatencyThresholdSeconds: -1 } })).toEqual([
      "monitoring.errorsPerMinuteThreshold must be a number of errors a minute, a finite number greater than 0 and at most 1000000000, got 0",
      "monitoring.modelLatencyThresholdSeconds must be a number of seconds, a finite number greater than 0 and at most 3600, got -1",
    ]);
    expect(
      refusal({
        monitoring: { alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:alarms.fifo", createAlarmTopic: true, dashboard: "no" as never },
      }),
    ).toEqual([
      expect.stringMatching(
        /^monitoring\.alarmTopicArn must be a standard SNS topic ARN, .*\(CloudWatch alarms cannot notify FIFO topics\), .*got "arn:aws:sns:us-east-1:123456789012:alarms\.fifo"/,
      ),
      expect.stringMatching(/^monitoring\.dashboard must be true or false, got "no"/),
      "monitoring sets both alarmTopicArn and createAlarmTopic: true; the alarms notify one topic, give one or the other",
    ]);
    expect(refusal({ monitoring: "yes" as never })).toEqual([
      expect.stringMatching(/^monitoring must be true, false or EndpointMonitoringOptions, got "yes"/),
    ]);
  });
});

describe("deployment", () => {
  test("allAtOnce: blue/green, a 300 s bake, rollback on the endpoint's alarms, a timeout sized from the model", () => {
    const json = endpoint({ deployment: EndpointDeployment.allAtOnce() });
    const v = variant(json);
    const start = v.model_data_download_timeout_in_seconds + v.container_startup_health_check_timeout_in_seconds;
    expect(deploymentConfig(json)).toEqual({
      auto_rollback_configuration: ROLLBACK,
      blue_green_update_policy: {
        maximum_execution_timeout_in_seconds: start + 300 + 600,
        termination_wait_in_seconds: 0,
        traffic_routing_configuration: { type: "ALL_AT_ONCE", wait_interval_in_seconds: 300 },
      },
    });
  });

  test("canary: the canary size, two bakes and the termination wait in the sized timeout", () => {
    const json = endpoint({
      instanceCount: 4,
      deployment: EndpointDeployment.canary({ canarySize: { instances: 1 }, waitIntervalSeconds: 600, terminationWaitSeconds: 120 }),
    });
    const v = variant(json);
    const start = v.model_data_download_timeout_in_seconds + v.container_startup_health_check_timeout_in_seconds;
    expect(deploymentConfig(json).blue_green_update_policy).toEqual({
      maximum_execution_timeout_in_seconds: start + 2 * 600 + 120 + 600,
      termination_wait_in_seconds: 120,
      traffic_routing_configuration: {
        type: "CANARY",
        wait_interval_in_seconds: 600,
        canary_size: { type: "INSTANCE_COUNT", value: 1 },
      },
    });
  });

  test("linear in percent: a bake a step; the user's alarms join the endpoint's", () => {
    const json = endpoint({
      instanceCount: 4,
      deployment: EndpointDeployment.linear({ stepSize: { percent: 25 }, rollbackAlarmNames: ["team-slo-burn"] }),
    });
    const v = variant(json);
    const start = v.model_data_download_timeout_in_seconds + v.container_startup_health_check_timeout_in_seconds;
    expect(deploymentConfig(json)).toEqual({
      auto_rollback_configuration: { alarms: [...ROLLBACK.alarms, { alarm_name: "team-slo-burn" }] },
      blue_green_update_policy: {
        maximum_execution_timeout_in_seconds: start + 4 * 300 + 600,
        termination_wait_in_seconds: 0,
        traffic_routing_configuration: {
          type: "LINEAR",
          wait_interval_in_seconds: 300,
          linear_step_size: { type: "CAPACITY_PERCENT", value: 25 },
        },
      },
    });
  });

  test("rolling: a start and a bake a batch; the user's alarms only; the timeout given", () => {
    const json = endpoint({
      instanceCount: 2,
      monitoring: false,
      deployment: EndpointDeployment.rolling({
        batchSize: { instances: 1 },
        rollbackBatchSize: { percent: 100 },
        rollbackOnEndpointAlarms: false,
        rollbackAlarmNames: ["a", "b"],
        maximumExecutionTimeoutSeconds: 7200,
        waitIntervalSeconds: 0,
      }),
    });
    expect(deploymentConfig(json)).toEqual({
      auto_rollback_configuration: { alarms: [{ alarm_name: "a" }, { alarm_name: "b" }] },
      rolling_update_policy: {
        maximum_batch_size: { type: "INSTANCE_COUNT", value: 1 },
        rollback_maximum_batch_size: { type: "CAPACITY_PERCENT", value: 100 },
        wait_interval_in_seconds: 0,
        maximum_execution_timeout_in_seconds: 7200,
      },
    });
  });

  test("the sized timeout stays within SageMaker's 28800 s", () => {
    const json = endpoint({
      instanceCount: 20,
      modelDataDownloadTimeoutSeconds: 3600,
      containerStartupHealthCheckTimeoutSeconds: 3600,
      deployment: EndpointDeployment.rolling({ batchSize: { percent: 5 } }),
    });
    expect(deploymentConfig(json).rolling_update_policy.maximum_execution_timeout_in_seconds).toBe(28800);
  });

  test("refuses what SageMaker refuses: percentages, shares of the fleet, wait intervals, timeouts, alarm counts", () => {
    expect(
      refusal({
        instanceCount: 4,
        deployment: EndpointDeployment.canary({
          canarySize: { percent: 60 },
          waitIntervalSeconds: 3601,
          terminationWaitSeconds: -1,
          maximumExecutionTimeoutSeconds: 599,
        }),
      }),
    ).toEqual([
      "deployment (canary).waitIntervalSeconds must be a whole number of seconds from 0 to 3600, got 3601",
      "deployment (canary).terminationWaitSeconds must be a whole number of seconds from 0 to 3600, got -1",
      "deployment (canary).canarySize.percent must be a whole number of percent from 1 to 50, got 60",
      "deployment (canary).maximumExecutionTimeoutSeconds must be a whole number of seconds from 600 to 28800, got 599",
    ]);
    expect(refusal({ deployment: EndpointDeployment.canary({ canarySize: { instances: 1 } }) })).toEqual([
      "deployment (canary).canarySize.instances 1 is 100% of the 1 instance(s); SageMaker allows 1% to 50% of the variant's instances here, " +
        "so this deployment needs instanceCount 2 or more (or use EndpointDeployment.allAtOnce)",
    ]);
    expect(refusal({ instanceCount: 4, deployment: EndpointDeployment.linear({ stepSize: { percent: 5 } }) })).toEqual([
      "deployment (linear).stepSize.percent must be a whole number of percent from 10 to 50, got 5",
    ]);
    expect(refusal({ instanceCount: 2, deployment: EndpointDeployment.rolling({ batchSize: { percent: 10 } }) })).toEqual([
      "deployment (rolling).batchSize.percent 10 of 2 instance(s) is less than one instance; SageMaker needs 5% to 50% of the instances " +
        "to be at least one instance: raise instanceCount to 10 or more",
    ]);
    expect(refusal({ instanceCount: 2, deployment: EndpointDeployment.rolling({ batchSize: { percent: 50, instances: 1 } }) })).toEqual([
      "deployment (rolling).batchSize must set exactly one of percent and instances, got an object (percent, instances)",
    ]);
    expect(
      refusal({
        instanceCount: 2,
        deployment: EndpointDeployment.allAtOnce({ waitIntervalSeconds: 600, maximumExecutionTimeoutSeconds: 600 }),
      }),
    ).toEqual([
      "deployment (all-at-once).maximumExecutionTimeoutSeconds 600 must be larger than waitIntervalSeconds 600 (SageMaker's rule)",
    ]);
    expect(
      refusal({ deployment: EndpointDeployment.allAtOnce({ rollbackAlarmNames: ["1", "2", "3", "4", "5", "6", "7", "8", "9"] }) }),
    ).toEqual(["deployment (all-at-once) names 11 rollback alarms (the endpoint's 2 included); SageMaker takes at most 10"]);
    expect(refusal({ deployment: EndpointDeployment.allAtOnce({ rollbackAlarmNames: [" ", "x".repeat(256)] }) })).toEqual([
      'deployment (all-at-once).rollbackAlarmNames[0] must be a CloudWatch alarm name of 1 to 255 characters, not blank; got " "',
      expect.stringMatching(/^deployment \(all-at-once\)\.rollbackAlarmNames\[1\] must be a CloudWatch alarm name of 1 to 255 characters/),
    ]);
    expect(refusal({ deployment: { kind: "CANARY" } as never })).toEqual([
      "deployment must be an EndpointDeployment (EndpointDeployment.allAtOnce(), .canary(), .linear() or .rolling()), got an object (kind)",
    ]);
    expect(
      refusal({
        instanceCount: 2,
        deployment: EndpointDeployment.rolling({ batchSize: { instances: 1 }, terminationWaitSeconds: 5 } as never),
      }),
    ).toEqual(["deployment (rolling).terminationWaitSeconds applies to blue/green deployments only; a rolling update keeps no old fleet"]);
  });

  test("refuses rollback on the endpoint's alarms with monitoring off", () => {
    expect(refusal({ monitoring: false, deployment: EndpointDeployment.allAtOnce() })).toEqual([
      "deployment (all-at-once) rolls back on the endpoint's alarms, but monitoring is false so there are none; turn monitoring on, " +
        "or set rollbackOnEndpointAlarms: false and name your alarms in rollbackAlarmNames",
    ]);
  });

  test("maxInstances caps the update: blue/green needs twice the fleet (autoscaling's maxCapacity), rolling one batch more", () => {
    expect(
      refusal({
        instanceCount: 2,
        autoScaling: { minCapacity: 1, maxCapacity: 3, targetInvocationsPerInstance: 10 },
        deployment: EndpointDeployment.allAtOnce({ maxInstances: 5 }),
      }),
    ).toEqual([
      "deployment (all-at-once) needs up to 6 instances during an update (blue/green starts a second fleet of 3), over maxInstances 5; " +
        "use EndpointDeployment.rolling with a small batchSize, or raise maxInstances",
    ]);
    const json = endpoint({ instanceCount: 4, deployment: EndpointDeployment.rolling({ batchSize: { instances: 1 }, maxInstances: 5 }) });
    expect(deploymentConfig(json).rolling_update_policy.maximum_batch_size).toEqual({ type: "INSTANCE_COUNT", value: 1 });
    expect(refusal({ instanceCount: 4, deployment: EndpointDeployment.rolling({ batchSize: { instances: 2 }, maxInstances: 5 }) })).toEqual(
      ["deployment (rolling) needs up to 6 instances during an update (4 and a batch of 2), over maxInstances 5; raise maxInstances"],
    );
  });
});

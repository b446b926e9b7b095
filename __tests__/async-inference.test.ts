// Asynchronous inference and scale to zero, as the transformers-neuronx endpoint synthesizes them (every endpoint gets
// them from the core): async_inference_config, the created bucket and key, the execution role's and the callers'
// statements, the backlog scaling and the HasBacklogWithoutCapacity alarm; and the refusals.
import * as fs from "fs";
import * as path from "path";
import { Model } from "../lib/model";
import { TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { ASYNC_PREFIXES, coldStartSeconds } from "../lib/async-inference";
import { scaledDefaults } from "../lib/sagemaker-endpoint-core";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps as EndpointProps,
} from "../lib/realtime-endpoint";
import { ValidationError } from "../lib/errors";
import { Synthesized, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

let built: Endpoint | undefined;
function endpoint(props: Partial<EndpointProps> = {}) {
  return synth((stack) => {
    const compile = new NeuronxCompile(stack, "Compile", { model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0") });
    built = new Endpoint(stack, "Inference", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
      ...props,
    });
  }).json;
}

function refusal(props: Partial<EndpointProps>): string[] {
  const error = thrown(() => endpoint(props));
  expect(error).toBeInstanceOf(ValidationError);
  return [...(error as ValidationError).problems];
}

const asyncConfig = (json: Synthesized) => json.resource.aws_sagemaker_endpoint_configuration.inference.async_inference_config;
const statements = (json: Synthesized, name: string) =>
  Object.fromEntries(
    (json.data.aws_iam_policy_document[name].statement as { sid: string; actions: string[]; resources: string[] }[]).map((s) => [s.sid, s]),
  );

const TOPIC_OK = "arn:aws:sns:us-east-1:123456789012:inference-done";
const TOPIC_ERR = "arn:aws:sns:us-east-1:123456789012:inference-failed";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("asyncInference: {}", () => {
  const json = endpoint({ asyncInference: {} });
  const made = built!;

  test("async_inference_config writes responses and failures to a created bucket, encrypted with a created key", () => {
    const bucket = "${aws_s3_bucket.inference_async.bucket}";
    expect(asyncConfig(json)).toEqual({
      output_config: {
        s3_output_path: `s3://${bucket}/${ASYNC_PREFIXES.output}`,
        s3_failure_path: `s3://${bucket}/${ASYNC_PREFIXES.failure}`,
        kms_key_id: "${aws_kms_key.inference_async.arn}",
      },
    });
    expect(json.resource.aws_kms_key.inference_async).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 7 });
    expect(json.resource.aws_s3_bucket.inference_async).toMatchObject({ bucket_prefix: "neuronx-async-", force_destroy: true });
    expect(json.resource.aws_s3_bucket_server_side_encryption_configuration.inference_async.rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.inference_async.arn}" },
        bucket_key_enabled: true,
      },
    ]);
    expect(json.resource.aws_s3_bucket_public_access_block.inference_async).toMatchObject({
      block_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(json.resource.aws_s3_bucket_policy.inference_async).toBeDefined();
  });

  test("the execution role reads the requests' prefix, writes the responses' and failures', and uses the key: nothing more", () => {
    const s = statements(json, "inference");
    const objects = (prefix: string) => `${"${aws_s3_bucket.inference_async.arn}"}/${prefix}*`;
    expect(s.ReadAsyncRequests).toEqual({
      sid: "ReadAsyncRequests",
      actions: ["s3:GetObject"],
      resources: [objects(ASYNC_PREFIXES.input)],
    });
    expect(s.WriteAsyncResponses).toEqual({
      sid: "WriteAsyncResponses",
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [objects(ASYNC_PREFIXES.output), objects(ASYNC_PREFIXES.failure)],
    });
    expect(s.UseAsyncKey).toEqual({
      sid: "UseAsyncKey",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: ["${aws_kms_key.inference_async.arn}"],
    });
    expect(s.NotifyAsyncResults).toBeUndefined();
  });

  test("the invoke policy allows InvokeEndpointAsync (not InvokeEndpoint), putting requests and reading results", () => {
    const s = statements(json, "inference_invoke");
    expect(Object.keys(s)).toEqual(["InvokeEndpointAsync", "PutAsyncRequests", "ReadAsyncResponses", "UseAsyncKey"]);
    expect(s.InvokeEndpointAsync.actions).toEqual(["sagemaker:InvokeEndpointAsync"]);
    expect(s.PutAsyncRequests.actions).toEqual(["s3:PutObject"]);
    expect(s.ReadAsyncResponses.resources).toHaveLength(2);
  });

  test("no scaling without scaleToZero; the cold start is the alarm's 2 minutes and the model's sized timeouts", () => {
    expect(json.resource.aws_appautoscaling_target).toBeUndefined();
    const variant = json.resource.aws_sagemaker_endpoint_configuration.inference.production_variants[0];
    expect(made.coldStartSeconds).toBe(
      120 + variant.model_data_download_timeout_in_seconds + variant.container_startup_health_check_timeout_in_seconds,
    );
    expect(coldStartSeconds(scaledDefaults(0).downloadTimeout, scaledDefaults(0).startupTimeout)).toBe(120 + 600 + 600);
    // The README's worked example is this endpoint's (TinyLlama 1.1B).
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(
      `120 + ${variant.model_data_download_timeout_in_seconds} + ${variant.container_startup_health_check_timeout_in_seconds} = ${made.coldStartSeconds} s`,
    );
  });
});

test("given paths, key and topics: no bucket or key is created; the role writes only there and publishes to the topics", () => {
  const json = endpoint({
    asyncInference: {
      inputPath: "s3://requests-bucket/chat/in",
      outputPath: "s3://results-bucket/chat/out/",
      failurePath: "s3://results-bucket/chat/failed",
      kmsKeyArn: KEY,
      successTopicArn: TOPIC_OK,
      errorTopicArn: TOPIC_ERR,
      maxConcurrentInvocationsPerInstance: 2,
    },
  });
  expect(asyncConfig(json)).toEqual({
    client_config: { max_concurrent_invocations_per_instance: 2 },
    output_config: {
      s3_output_path: "s3://results-bucket/chat/out/",
      s3_failure_path: "s3://results-bucket/chat/failed",
      kms_key_id: KEY,
      notification_config: { success_topic: TOPIC_OK, error_topic: TOPIC_ERR },
    },
  });
  expect(json.resource.aws_s3_bucket).toEqual(expect.not.objectContaining({ inference_async: expect.anything() }));
  expect(json.resource.aws_kms_key).toBeUndefined();
  const s = statements(json, "inference");
  const p = "${data.aws_partition.current.partition}";
  expect(s.ReadAsyncRequests.resources).toEqual([`arn:${p}:s3:::requests-bucket/chat/in/*`]);
  expect(s.WriteAsyncResponses.resources).toEqual([
    `arn:${p}:s3:::results-bucket/chat/out/*`,
    `arn:${p}:s3:::results-bucket/chat/failed/*`,
  ]);
  expect(s.UseAsyncKey.resources).toEqual([KEY]);
  expect(s.NotifyAsyncResults).toEqual({ sid: "NotifyAsyncResults", actions: ["sns:Publish"], resources: [TOPIC_OK, TOPIC_ERR] });
});

test("a real-time endpoint has no async_inference_config and its invoke policy allows InvokeEndpoint only", () => {
  const json = endpoint();
  expect(asyncConfig(json)).toBeUndefined();
  expect(Object.keys(statements(json, "inference_invoke"))).toEqual(["InvokeEndpoint"]);
  expect(built!.coldStartSeconds).toBeUndefined();
  expect(built!.asyncLocations).toBeUndefined();
});

describe("scaleToZero", () => {
  const json = endpoint({ asyncInference: { scaleToZero: true, maxCapacity: 3 }, monitoring: false });
  const made = built!;

  test("a scalable target from 0, target tracking on ApproximateBacklogSizePerInstance", () => {
    expect(json.resource.aws_appautoscaling_target.inference).toMatchObject({
      service_namespace: "sagemaker",
      resource_id: "endpoint/${aws_sagemaker_endpoint.inference.name}/variant/AllTraffic",
      scalable_dimension: "sagemaker:variant:DesiredInstanceCount",
      min_capacity: 0,
      max_capacity: 3,
    });
    expect(json.resource.aws_appautoscaling_policy.inference_backlog).toMatchObject({
      name: "test-inference-backlog-per-instance",
      policy_type: "TargetTrackingScaling",
      target_tracking_scaling_policy_configuration: {
        target_value: 5,
        customized_metric_specification: {
          namespace: "AWS/SageMaker",
          metric_name: "ApproximateBacklogSizePerInstance",
          dimensions: [{ name: "EndpointName", value: "test-inference" }],
          statistic: "Average",
        },
        scale_in_cooldown: 600,
        scale_out_cooldown: 300,
      },
    });
  });

  test("the HasBacklogWithoutCapacity alarm runs the step policy that adds one instance", () => {
    const step = json.resource.aws_appautoscaling_policy.inference_scale_from_zero;
    expect(step).toMatchObject({
      policy_type: "StepScaling",
      step_scaling_policy_configuration: {
        adjustment_type: "ChangeInCapacity",
        metric_aggregation_type: "Average",
        cooldown: 300,
        step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: 1 }],
      },
    });
    const alarm = json.resource.aws_cloudwatch_metric_alarm.inference_backlog_without_capacity;
    expect(alarm).toMatchObject({
      alarm_name: "test-inference-backlog-without-capacity",
      namespace: "AWS/SageMaker",
      metric_name: "HasBacklogWithoutCapacity",
      dimensions: { EndpointName: "test-inference" },
      statistic: "Average",
      period: 60,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "missing",
      alarm_actions: ["${aws_appautoscaling_policy.inference_scale_from_zero.arn}"],
    });
    expect(alarm.alarm_description).toContain(`waits up to ${made.coldStartSeconds} s`);
    // monitoring: false leaves out the endpoint's alarms, not the one that scales it.
    expect(Object.keys(json.resource.aws_cloudwatch_metric_alarm)).toEqual(["inference_backlog_without_capacity"]);
  });

  test("options size it", () => {
    const j = endpoint({
      instanceCount: 2,
      asyncInference: {
        scaleToZero: true,
        maxCapacity: 4,
        targetBacklogPerInstance: 2.5,
        scaleInCooldownSeconds: 900,
        scaleOutCooldownSeconds: 60,
      },
    });
    expect(j.resource.aws_appautoscaling_target.inference.max_capacity).toBe(4);
    expect(j.resource.aws_appautoscaling_policy.inference_backlog.target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 2.5,
      scale_in_cooldown: 900,
      scale_out_cooldown: 60,
    });
    expect(
      endpoint({ instanceCount: 2, asyncInference: { scaleToZero: true } }).resource.aws_appautoscaling_target.inference.max_capacity,
    ).toBe(2);
  });
});

describe("refusals", () => {
  test("scale to zero on a real-time endpoint", () => {
    expect(refusal({ autoScaling: { minCapacity: 0, maxCapacity: 2, targetInvocationsPerInstance: 10 } })).toEqual([
      "autoScaling.minCapacity must be at least 1, got 0: a real-time endpoint keeps an instance; to scale to zero, make the endpoint " +
        "asynchronous with asyncInference: { scaleToZero: true } (it scales on the backlog) and leave autoScaling unset",
    ]);
  });

  test("scaleToZero with autoScaling; scaling options without scaleToZero; instanceCount above maxCapacity", () => {
    expect(
      refusal({ asyncInference: { scaleToZero: true }, autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 } }),
    ).toEqual([
      "asyncInference.scaleToZero: true scales the endpoint on its backlog, and autoScaling on invocations per instance; two target " +
        "tracking policies on one variant fight: leave autoScaling unset (size scale to zero with asyncInference.maxCapacity)",
    ]);
    expect(refusal({ asyncInference: { maxCapacity: 2 } })).toEqual([
      "asyncInference.maxCapacity is set, got 2, without scaleToZero: true; it sizes scale to zero: set scaleToZero: true, or leave it unset",
    ]);
    expect(refusal({ instanceCount: 3, asyncInference: { scaleToZero: true, maxCapacity: 2 } })).toEqual([
      "instanceCount 3 must be at most asyncInference.maxCapacity 2",
    ]);
  });

  test("values SageMaker refuses, each named with its value and what is allowed", () => {
    const problems = refusal({
      asyncInference: {
        outputPath: "https://bucket/out",
        failurePath: "s3://Bad_Bucket/x",
        successTopicArn: "arn:aws:sqs:us-east-1:123456789012:q",
        kmsKeyArn: "alias/mine",
        maxConcurrentInvocationsPerInstance: 1001,
        scaleToZero: "yes" as unknown as boolean,
      },
    });
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(
      /^asyncInference\.outputPath must be an S3 URI, s3:\/\/<bucket>\[\/<prefix>\].*got "https:\/\/bucket\/out"/,
    );
    expect(problems[1]).toMatch(/^asyncInference\.failurePath must be an S3 URI.*got "s3:\/\/Bad_Bucket\/x"/);
    expect(problems[2]).toMatch(/^asyncInference\.kmsKeyArn must be a KMS key ARN.*got "alias\/mine"/);
    expect(problems[3]).toMatch(/^asyncInference\.successTopicArn must be a standard SNS topic ARN.*got "arn:aws:sqs/);
    expect(problems[4]).toMatch(/^asyncInference\.maxConcurrentInvocationsPerInstance must be .*1.*1000.*got 1001/);
    expect(problems[5]).toMatch(/^asyncInference\.scaleToZero must be true or false, got "yes"/);
    expect(refusal({ asyncInference: "on" as unknown as object })).toEqual([
      expect.stringMatching(
        /^asyncInference must be AsyncInferenceOptions \(an object; \{\} for created, encrypted S3 locations\).*got "on"/,
      ),
    ]);
  });
});

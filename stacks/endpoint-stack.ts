import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { PRICE_TABLE, estimateEndpointCost } from "../lib/cost";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { TransformersNeuronxSageMakerRealtimeInferenceEndpoint } from "../lib/realtime-endpoint";
import { EndpointDeployment } from "../lib/endpoint-operations";
import { readStackState, useBackend } from "./backend";
import { addCompile, addOutputs } from "./compile-stack";
import { ExampleConfig } from "./config";
import { exampleAwsProvider } from "./provider";

/** Adds the endpoint that serves a compile's artifacts, and its outputs, to a stack. */
export function addEndpoint(
  stack: TerraformStack,
  config: ExampleConfig,
  modelData: TransformersNeuronxSageMakerInferenceModelData,
): TransformersNeuronxSageMakerRealtimeInferenceEndpoint {
  const endpoint = new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(stack, "RealtimeInference", {
    modelData,
    endpointName: config.endpointName,
    instanceCount: config.instanceCount,
    // No alarms or dashboard against an emulator: moto (5.2.5) has no route for CloudWatch's RPC v2 CBOR protocol,
    // which the AWS provider's CloudWatch client speaks (PutMetricAlarm answers 404).
    monitoring: config.awsEndpointUrl === undefined,
    asyncInference: config.asyncInference ? {} : undefined,
    // Without monitoring there are no endpoint alarms to roll back on.
    deployment:
      config.deploymentWaitSeconds === undefined
        ? undefined
        : EndpointDeployment.allAtOnce({
            waitIntervalSeconds: config.deploymentWaitSeconds,
            rollbackOnEndpointAlarms: config.awsEndpointUrl === undefined,
          }),
  });
  if (endpoint.asyncLocations) {
    addOutputs(stack, {
      async_input_path: [
        endpoint.asyncLocations.inputPath,
        "Where requests go (npm run invoke -- --endpoint <name> --async --input-location <this>)",
      ],
      async_output_path: [endpoint.asyncLocations.outputPath, "Where SageMaker writes the responses"],
      cold_start_seconds: [endpoint.coldStartSeconds ?? 0, "Longest wait for an instance when a request finds none (scale to zero)"],
    });
  }
  addOutputs(stack, {
    endpoint_name: [endpoint.endpointName, "Name of the SageMaker endpoint (npm run invoke -- --endpoint <name>)"],
    endpoint_arn: [endpoint.endpointArn, "ARN of the SageMaker endpoint"],
    instance_type: [endpoint.instanceType, "SageMaker instance type of the endpoint"],
    invoke_policy_json: [endpoint.invokePolicyJson, "IAM policy document that allows invoking the endpoint"],
  });
  // An estimate from lib/cost.ts's price table (its source and date are there), not a bill.
  const cost = estimateEndpointCost({ instanceType: endpoint.instanceType, instanceCount: config.instanceCount ?? 1 });
  if (cost) {
    addOutputs(stack, {
      endpoint_cost_usd_per_hour_estimate: [
        cost.hourlyUsd,
        `Estimated USD an hour of the endpoint: ${config.instanceCount ?? 1} x ${endpoint.instanceType}, on-demand, ${PRICE_TABLE.region} prices of ${PRICE_TABLE.date}`,
      ],
      endpoint_cost_usd_per_month_estimate: [
        Math.round(cost.hourlyUsd * 730),
        "Estimated USD a month (730 hours) of the endpoint, always on",
      ],
    });
  }
  return endpoint;
}

/**
 * The endpoint stack: serves the compile stack's artifacts on a SageMaker real-time endpoint. It
 * reads the compile stack's named outputs from its state (data "terraform_remote_state" "compile"),
 * with the same backend, and takes the compile settings from the compile construct.
 */
export class EndpointStack extends TerraformStack {
  /** The endpoint. */
  public readonly endpoint: TransformersNeuronxSageMakerRealtimeInferenceEndpoint;

  constructor(scope: Construct, id: string, config: ExampleConfig, compile: NeuronxCompile) {
    super(scope, id);
    exampleAwsProvider(this, config);
    useBackend(this, config);
    const state = readStackState(this, config, "compile");
    const modelData = TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompileOutputs(
      compile,
      {
        bucketName: state.getString("artifact_bucket"),
        bucketArn: state.getString("artifact_bucket_arn"),
        compiledArtifactS3Url: state.getString("compiled_artifact_s3_url"),
      },
      config.customCodeDir,
    );
    this.endpoint = addEndpoint(this, config, modelData);
  }
}

/** Compile and endpoint in one stack: the model waits for the waiter within one apply. */
export class ServingStack extends TerraformStack {
  /** The compile. */
  public readonly compile: NeuronxCompile;
  /** The endpoint. */
  public readonly endpoint: TransformersNeuronxSageMakerRealtimeInferenceEndpoint;

  constructor(scope: Construct, id: string, config: ExampleConfig) {
    super(scope, id);
    exampleAwsProvider(this, config);
    new NullProvider(this, "null");
    useBackend(this, config);
    this.compile = addCompile(this, config);
    const modelData = TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(this.compile, config.customCodeDir);
    this.endpoint = addEndpoint(this, config, modelData);
  }
}

import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { TransformersNeuronxSageMakerRealtimeInferenceEndpoint } from "../lib/realtime-endpoint";
import { useLocalBackend } from "./backend";
import { addCompile } from "./compile-stack";
import { ExampleConfig } from "./config";
import { exampleAwsProvider } from "./provider";

/** Adds the endpoint that serves a compile's artifacts, and its outputs, to a stack. */
export function addEndpoint(
  stack: TerraformStack,
  config: ExampleConfig,
  compile: NeuronxCompile,
): TransformersNeuronxSageMakerRealtimeInferenceEndpoint {
  const endpoint = new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(stack, "RealtimeInference", {
    modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile, config.customCodeDir),
    endpointName: config.endpointName,
    instanceCount: config.instanceCount,
  });
  const outputs: Record<string, [string, string]> = {
    endpoint_name: [endpoint.endpointName, "Name of the SageMaker endpoint (npm run invoke -- --endpoint <name>)"],
    endpoint_arn: [endpoint.endpointArn, "ARN of the SageMaker endpoint"],
    instance_type: [endpoint.instanceType, "SageMaker instance type of the endpoint"],
    invoke_policy_json: [endpoint.invokePolicyJson, "IAM policy document that allows invoking the endpoint"],
  };
  for (const [name, [value, description]] of Object.entries(outputs)) {
    new TerraformOutput(stack, name, { value, description });
  }
  return endpoint;
}

/**
 * The endpoint stack: serves the compile stack's artifacts (a cross-stack reference,
 * read from the compile stack's state) on a SageMaker real-time endpoint.
 */
export class EndpointStack extends TerraformStack {
  /** The endpoint. */
  public readonly endpoint: TransformersNeuronxSageMakerRealtimeInferenceEndpoint;

  constructor(scope: Construct, id: string, config: ExampleConfig, compile: NeuronxCompile) {
    super(scope, id);
    exampleAwsProvider(this, config);
    useLocalBackend(this);
    this.endpoint = addEndpoint(this, config, compile);
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
    useLocalBackend(this);
    this.compile = addCompile(this, config);
    this.endpoint = addEndpoint(this, config, this.compile);
  }
}

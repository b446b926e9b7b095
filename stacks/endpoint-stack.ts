import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { TransformersNeuronxSageMakerRealtimeInferenceEndpoint } from "../lib/realtime-endpoint";
import { useLocalBackend } from "./backend";
import { EXAMPLE_TAGS } from "./compile-stack";
import { ExampleConfig } from "./config";

/**
 * The endpoint stack: serves the compile stack's artifacts (a cross-stack reference,
 * read from the compile stack's state) on a SageMaker real-time endpoint.
 */
export class EndpointStack extends TerraformStack {
  /** The endpoint. */
  public readonly endpoint: TransformersNeuronxSageMakerRealtimeInferenceEndpoint;

  constructor(scope: Construct, id: string, config: ExampleConfig, compile: NeuronxCompile) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: config.region, defaultTags: [{ tags: { ...EXAMPLE_TAGS, Stack: id } }] });
    useLocalBackend(this);

    this.endpoint = new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(this, "RealtimeInference", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile, config.customCodeDir),
      endpointName: config.endpointName,
      instanceCount: config.instanceCount,
    });

    const outputs: Record<string, [string, string]> = {
      endpoint_name: [this.endpoint.endpointName, "Name of the SageMaker endpoint (npm run invoke -- --endpoint <name>)"],
      endpoint_arn: [this.endpoint.endpointArn, "ARN of the SageMaker endpoint"],
      instance_type: [this.endpoint.instanceType, "SageMaker instance type of the endpoint"],
      invoke_policy_json: [this.endpoint.invokePolicyJson, "IAM policy document that allows invoking the endpoint"],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value, description });
    }
  }
}

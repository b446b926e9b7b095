import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ExampleConfig } from "./config";

/** Tags on everything the example stacks create, through the provider's default_tags. */
export const EXAMPLE_TAGS = { Project: "cdktf-neuronx-patterns" };

/** AWS services the stacks call, for pointing the provider at an emulator. */
export const EMULATED_SERVICES = [
  "appautoscaling",
  "cloudformation",
  "cloudwatch",
  "ec2",
  "ecr",
  "iam",
  "kms",
  "logs",
  "s3",
  "s3control",
  "sagemaker",
  "secretsmanager",
  "sns",
  "ssm",
  "sts",
] as const;

/**
 * The AWS provider of an example stack: the configured region and default tags. With
 * `awsEndpointUrl` (the rehearsal), every service the stacks call goes to that URL, S3 with path-style
 * addresses, and the provider does not look for an instance metadata service.
 */
export function exampleAwsProvider(stack: TerraformStack, config: ExampleConfig): AwsProvider {
  const emulator = config.awsEndpointUrl;
  return new AwsProvider(stack, "aws", {
    region: config.region,
    defaultTags: [{ tags: { ...EXAMPLE_TAGS, Stack: stack.node.id } }],
    ...(emulator
      ? {
          endpoints: [Object.fromEntries(EMULATED_SERVICES.map((service) => [service, emulator]))],
          s3UsePathStyle: true,
          skipMetadataApiCheck: "true",
        }
      : {}),
  });
}

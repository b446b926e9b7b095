import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";

/** One element per stack: the first caller creates it, later callers share it. */
export function stackSingleton<T extends Construct>(scope: Construct, id: string, create: (stack: TerraformStack) => T): T {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild(id) as T | undefined) ?? create(stack);
}

/** `data "aws_region" "current"`. */
export function currentRegion(scope: Construct): DataAwsRegion {
  return stackSingleton(scope, "neuronx_current_region", (stack) => {
    const region = new DataAwsRegion(stack, "neuronx_current_region");
    region.overrideLogicalId("current");
    return region;
  });
}

/** `data "aws_partition" "current"`. */
export function currentPartition(scope: Construct): DataAwsPartition {
  return stackSingleton(scope, "neuronx_current_partition", (stack) => {
    const partition = new DataAwsPartition(stack, "neuronx_current_partition");
    partition.overrideLogicalId("current");
    return partition;
  });
}

/** `data "aws_caller_identity" "current"`. */
export function currentAccount(scope: Construct): DataAwsCallerIdentity {
  return stackSingleton(scope, "neuronx_current_account", (stack) => {
    const account = new DataAwsCallerIdentity(stack, "neuronx_current_account");
    account.overrideLogicalId("current");
    return account;
  });
}

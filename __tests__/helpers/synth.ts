import { Testing, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";

/** Synthesized Terraform JSON of a stack, parsed. */
export type Synthesized = {
  resource: Record<string, Record<string, any>>;
  data: Record<string, Record<string, any>>;
  locals?: Record<string, any>;
  output?: Record<string, any>;
};

/** A stack with the AWS and null providers, for constructs under test. */
export function testStack(): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new NullProvider(stack, "null");
  return stack;
}

/** Builds constructs in a fresh stack and returns the synthesized JSON as text and parsed. */
export function synth(build: (stack: Construct) => void): { text: string; json: Synthesized } {
  const stack = testStack();
  build(stack);
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) };
}

/** The one resource of a type (fails when there is not exactly one). */
export function only(json: Synthesized, type: string, kind: "resource" | "data" = "resource"): any {
  const all = Object.values(json[kind][type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

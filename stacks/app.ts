import { App, TerraformStack } from "cdktf";
import { CompileStack } from "./compile-stack";
import { ExampleConfig } from "./config";
import { EndpointStack, ServingStack } from "./endpoint-stack";

/**
 * The example app. Layout "two-stacks" (the default): a compile stack and an endpoint stack that
 * reads its outputs from the compile stack's state. Layout "one-stack": both in one stack, "serving".
 */
export function buildExampleApp(app: App, config: ExampleConfig): TerraformStack[] {
  if (config.layout === "one-stack") return [new ServingStack(app, "serving", config)];
  const compile = new CompileStack(app, "compile", config);
  const endpoint = new EndpointStack(app, "endpoint", config, compile.compile);
  // The endpoint reads the compile stack's state: cdktf deploy applies the compile stack first.
  endpoint.addDependency(compile);
  return [compile, endpoint];
}

import { App } from "cdktf";
import { CompileStack } from "./compile-stack";
import { ExampleConfig } from "./config";
import { EndpointStack } from "./endpoint-stack";

/** The example app: the compile stack, and the endpoint stack that serves its artifacts. */
export function buildExampleApp(app: App, config: ExampleConfig): { compile: CompileStack; endpoint: EndpointStack } {
  const compile = new CompileStack(app, "compile", config);
  const endpoint = new EndpointStack(app, "endpoint", config, compile.compile);
  return { compile, endpoint };
}

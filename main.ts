import { App } from "cdktf";
import { loadConfig } from "./stacks/config";
import { CompileStack } from "./stacks/compile-stack";
import { EndpointStack } from "./stacks/endpoint-stack";

const app = new App();
const config = loadConfig(app);
const compile = new CompileStack(app, "compile", config);
new EndpointStack(app, "endpoint", config, compile.compile);
app.synth();

import { App } from "cdktf";
import { loadConfig } from "./stacks/config";
import { CompileStack } from "./stacks/compile-stack";

const app = new App();
const config = loadConfig(app);
new CompileStack(app, "compile", config);
app.synth();

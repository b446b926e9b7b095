import { App } from "cdktf";
import { buildExampleApp } from "./stacks/app";
import { loadConfig } from "./stacks/config";

const app = new App();
buildExampleApp(app, loadConfig(app));
app.synth();

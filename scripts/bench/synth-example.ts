// One synth of the example app (both stacks) into the directory argv[2]; prints the milliseconds to
// construct and synthesize (imports are hoisted above the clock, so module loading counts only in
// the wall time). Run as the app command runs main.ts: `node scripts/run-app.js scripts/bench/synth-example.ts DIR`.
import { performance } from "perf_hooks";
const started = performance.now();
import { App } from "cdktf";
import { buildExampleApp } from "../../stacks/app";
import { loadConfig } from "../../stacks/config";

const app = new App({ outdir: process.argv[2] });
buildExampleApp(app, loadConfig(app));
app.synth();
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);

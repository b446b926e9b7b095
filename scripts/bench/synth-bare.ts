// One synth of a bare stack with argv[3] null_resources into the directory argv[2]; prints the time to
// construct and synthesize (module loading counts only in the parent's wall time).
import { performance } from "perf_hooks";
const started = performance.now();
import { App, TerraformStack } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource } from "@cdktf/provider-null/lib/resource";

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "bare");
new NullProvider(stack, "null");
for (let i = 0; i < Number(process.argv[3]); i++) new Resource(stack, `r${i}`, { triggers: { i: String(i) } });
app.synth();
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);

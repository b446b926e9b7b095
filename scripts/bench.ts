// `npm run bench`: times synthesizing the example app against a bare cdktf stack with the same
// number of resources, each in a fresh Node process (module loading included), and prints the
// medians and their ratio. BENCH_RUNS sets the number of runs (default 7).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { hostileSummary, runHostileCases } from "../__tests__/hostile/run";

const runs = Number(process.env.BENCH_RUNS ?? 7);
const root = path.resolve(__dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-bench-"));

function once(script: string, args: string[]): { wall: number; synth: number } {
  const started = performance.now();
  const out = execFileSync(tsx, [path.join(__dirname, "bench", script), ...args], { cwd: root, encoding: "utf8" });
  const wall = performance.now() - started;
  return { wall, synth: JSON.parse(out.trim().split("\n").pop() as string).ms };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The example's size: resources and data sources of every stack.
const exampleOut = path.join(work, "example");
once("synth-example.ts", [exampleOut]);
let blocks = 0;
for (const stack of fs.readdirSync(path.join(exampleOut, "stacks"))) {
  const json = JSON.parse(fs.readFileSync(path.join(exampleOut, "stacks", stack, "cdk.tf.json"), "utf8"));
  for (const kind of ["resource", "data"]) {
    for (const byName of Object.values<Record<string, unknown>>(json[kind] ?? {})) blocks += Object.keys(byName).length;
  }
}

const results: Record<string, { wall: number[]; synth: number[] }> = { example: { wall: [], synth: [] }, bare: { wall: [], synth: [] } };
for (let i = 0; i < runs; i++) {
  // Interleaved, so that drift in machine load affects both alike.
  for (const [name, script, args] of [
    ["example", "synth-example.ts", [path.join(work, `e${i}`)]],
    ["bare", "synth-bare.ts", [path.join(work, `b${i}`), String(blocks)]],
  ] as const) {
    const r = once(script, [...args]);
    results[name].wall.push(r.wall);
    results[name].synth.push(r.synth);
  }
  process.stderr.write(`run ${i + 1}/${runs}\n`);
}
fs.rmSync(work, { recursive: true, force: true });

const row = (label: string, wall: number[], synth: number[]) =>
  `${label.padEnd(34)} ${median(wall).toFixed(0).padStart(8)} ms ${median(synth).toFixed(0).padStart(10)} ms   (wall min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)})`;
console.log(`\nsynth benchmark: ${runs} runs each, fresh process per run, ${blocks} resources and data sources\n`);
console.log(`${"".padEnd(34)} ${"process".padStart(11)} ${"construct+synth".padStart(18)}`);
console.log(row("example app (compile stack)", results.example.wall, results.example.synth));
console.log(row(`bare stack (${blocks} null_resources)`, results.bare.wall, results.bare.synth));
console.log(
  `${"ratio example / bare".padEnd(34)} ${(median(results.example.wall) / median(results.bare.wall)).toFixed(2).padStart(8)} x  ` +
    `${(median(results.example.synth) / median(results.bare.synth)).toFixed(2).padStart(9)} x`,
);

// The hostile inputs of __tests__/hostile/cases.ts, each in a fresh stack: how many are refused at synth.
const hostileStarted = performance.now();
const outcomes = runHostileCases();
console.log(`\n${hostileSummary(outcomes)} (${((performance.now() - hostileStarted) / outcomes.length).toFixed(0)} ms a case)`);
for (const o of outcomes.filter((x) => x.outcome !== "synth" && x.outcome !== "plan")) console.log(`  ${o.outcome}: ${o.case.name}`);

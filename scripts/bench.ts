// `npm run bench`: synth speed as users feel it, and the size of what they install.
//  1. The app command of cdktf.json (what `cdktf synth` runs) on the example app, both stacks, each
//     run a fresh process, against a bare cdktf app in plain JavaScript with as many AWS-provider
//     resources and data sources, run with plain node; and the app command this repository had
//     before (`npx tsx main.ts`), for comparison. Wall time, and the CPU time of the process tree
//     (steadier than wall time on a shared machine).
//  2. In process: constructing and synthesizing, module loading left out.
//  3. The package: the tarball of `npm pack` and the node_modules of a fresh project that installs
//     it with its peers (scripts/pack-and-consume.ts), and that project's `node main.js`.
//  4. The modelled compile of the README's public models on both backends (scripts/bench/compile-cost.ts).
// Medians of BENCH_RUNS runs (default 7), interleaved so that drift in machine load affects all
// alike. BENCH_INSTALL=0 skips part 3 (it takes about a minute).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { hostileSummary, runHostileCases } from "../__tests__/hostile/run";
import { ROOT, cleanEnv, directoryBytes, packAndConsume } from "./pack-and-consume";
import { compileCostRows, formatCompileCostTable } from "./bench/compile-cost";

const runs = Number(process.env.BENCH_RUNS ?? 7);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-bench-"));
const appCommand: string = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")).app;
const node = process.execPath;

/** CPU seconds used by this process's waited-for children so far (Linux: /proc/self/stat cutime + cstime). */
function childrenCpuMs(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // fields 16 and 17 of proc(5), in clock ticks of 1/100 s
}

interface Sample {
  wall: number;
  cpu: number;
  /** Construct and synthesize, as the script printed it (when it does). */
  synth?: number;
}

function once(command: string, args: string[], outdir: string, shell = false): Sample {
  const cpu = childrenCpuMs();
  const started = performance.now();
  const r = spawnSync(command, args, { cwd: ROOT, env: cleanEnv({ CDKTF_OUTDIR: outdir }), encoding: "utf8", shell });
  const wall = performance.now() - started;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${r.stderr}`);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  return { wall, cpu: childrenCpuMs() - cpu, synth: last.startsWith("{") ? JSON.parse(last).ms : undefined };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (n: number) => `${n.toFixed(0).padStart(7)} ms`;

// The example's size: resources and data sources of the AWS provider, in both stacks.
const exampleOut = path.join(work, "example");
once(appCommand, [], exampleOut, true); // also builds the app command's bundle, if it is stale
let blocks = 0;
for (const stack of fs.readdirSync(path.join(exampleOut, "stacks"))) {
  const json = JSON.parse(fs.readFileSync(path.join(exampleOut, "stacks", stack, "cdk.tf.json"), "utf8"));
  for (const kind of ["resource", "data"]) {
    for (const [type, byName] of Object.entries<Record<string, unknown>>(json[kind] ?? {})) {
      if (type.startsWith("aws_")) blocks += Object.keys(byName).length;
    }
  }
}

const variants: { label: string; run: (i: number) => Sample }[] = [
  { label: `app command: ${appCommand}`, run: (i) => once(appCommand, [], path.join(work, `app${i}`), true) },
  { label: "before: npx tsx main.ts", run: (i) => once("npx tsx main.ts", [], path.join(work, `tsx${i}`), true) },
  {
    label: `bare app, plain node (${blocks} aws_ssm_parameter)`,
    run: (i) => once(node, ["scripts/bench/synth-bare.js", path.join(work, `bare${i}`), String(blocks)], ""),
  },
  {
    label: "example app in process (bundled as the app command does)",
    run: (i) => once(node, ["scripts/run-app.js", "scripts/bench/synth-example.ts", path.join(work, `inproc${i}`)], ""),
  },
];
variants.forEach((v, i) => v.run(-1 - i)); // warm the file cache, the bundle and tsx's cache
const samples: Sample[][] = variants.map(() => []);
for (let i = 0; i < runs; i++) {
  variants.forEach((v, j) => samples[j].push(v.run(i)));
  process.stderr.write(`run ${i + 1}/${runs}\n`);
}

const [app, before, bare, inProcess] = samples;
const stat = (s: Sample[], key: "wall" | "cpu") => median(s.map((x) => x[key]));
console.log(
  `\nsynth, ${runs} runs each (medians), the example app's two stacks with ${blocks} AWS resources and data sources; load ${os.loadavg()[0].toFixed(1)}\n`,
);
console.log(`${"".padEnd(72)} ${"wall".padStart(10)} ${"cpu".padStart(10)}`);
variants.slice(0, 3).forEach((v, j) => console.log(`${v.label.padEnd(72)} ${ms(stat(samples[j], "wall"))} ${ms(stat(samples[j], "cpu"))}`));
const ratio = (a: Sample[], b: Sample[], key: "wall" | "cpu") => `${(stat(a, key) / stat(b, key)).toFixed(2).padStart(8)} x`;
console.log(`${"ratio app command / bare app (goal: at most 2)".padEnd(72)} ${ratio(app, bare, "wall")} ${ratio(app, bare, "cpu")}`);
console.log(`${"ratio before / bare app".padEnd(72)} ${ratio(before, bare, "wall")} ${ratio(before, bare, "cpu")}`);
const synthOf = (s: Sample[]) => median(s.map((x) => x.synth as number));
console.log(
  `\nin process, construct and synthesize: example app ${synthOf(inProcess).toFixed(0)} ms, bare app ${synthOf(bare).toFixed(0)} ms ` +
    `(${(synthOf(inProcess) / synthOf(bare)).toFixed(2)} x)`,
);

if (process.env.BENCH_INSTALL !== "0") {
  process.stderr.write("packing and installing into a fresh project...\n");
  const consumer = packAndConsume(path.join(work, "package"));
  const modules = directoryBytes(path.join(consumer.dir, "node_modules"));
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  console.log(
    `\npackage: tarball ${(consumer.packed.size / 1024).toFixed(0)} KiB (${consumer.packed.files.length} files; goal under 1 MiB); ` +
      `a fresh project's node_modules with it and its peers ${mib(modules)}, ` +
      `of which the package ${mib(directoryBytes(path.join(consumer.dir, "node_modules", "cdktf-neuronx-patterns")))}` +
      `\n         npm pack ${(consumer.timings.pack / 1000).toFixed(1)} s, npm install ${(consumer.timings.install / 1000).toFixed(1)} s, ` +
      `node main.js (the README's app, exit ${consumer.synth.status}) ${consumer.timings.synth.toFixed(0)} ms`,
  );
}
fs.rmSync(work, { recursive: true, force: true });

// The hostile inputs of __tests__/hostile/cases.ts, each in a fresh stack: how many are refused at synth.
const hostileStarted = performance.now();
const outcomes = runHostileCases();
console.log(`\n${hostileSummary(outcomes)} (${((performance.now() - hostileStarted) / outcomes.length).toFixed(0)} ms a case)`);
for (const o of outcomes.filter((x) => x.outcome !== "synth" && x.outcome !== "plan")) console.log(`  ${o.outcome}: ${o.case.name}`);

// The modelled compile of both backends: no timing, a table from the sizing and the price tables.
console.log(`\n${formatCompileCostTable(compileCostRows())}`);

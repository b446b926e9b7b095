// The package as a team gets it: `npm pack` (which compiles lib/ into dist/ first), then a fresh
// project in a temporary directory outside the repository that installs the tarball and only the
// peer dependencies, and synthesizes an app there with plain `node`, no tsx. The package test
// (__tests__/package.test.ts) checks what it produced, and `npm run bench` reports its sizes.
// `tsx scripts/pack-and-consume.ts [example]` runs it and prints where it left the project.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import * as ts from "typescript";

export const ROOT = path.resolve(__dirname, "..");
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

/** What `npm pack --json` reports of the tarball. */
export interface Packed {
  readonly tarball: string;
  /** Bytes of the tarball. */
  readonly size: number;
  /** Paths in the tarball, from the package root. */
  readonly files: string[];
}

/** A consuming project: where it is, its app, and how long each step took (ms). */
export interface Consumer {
  readonly dir: string;
  readonly packed: Packed;
  /** Exit status, stdout and stderr of `node main.js`. */
  readonly synth: { readonly status: number | null; readonly stdout: string; readonly stderr: string };
  readonly timings: { pack: number; install: number; synth: number };
}

/** The environment of a child npm or node: without the npm_* variables of an enclosing `npm test` or NODE_OPTIONS. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS"));
  return { ...env, CHECKPOINT_DISABLE: "1", ...extra };
}

/** Runs a command; on failure throws with its stderr, not only "Command failed". */
function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed with ${r.error ?? `exit ${r.status}`}:\n${r.stderr}`);
  }
  return r.stdout;
}

/** The README's install command (Install): `npm install <path>.tgz <the peers>`, as words. */
export function readmeInstallCommand(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("npm install ") && l.includes(".tgz"));
  if (!line) throw new Error("README.md has no `npm install <tarball>.tgz ...` line in its Install section");
  return line.trim().split(/\s+/);
}

/**
 * The README's install command for a tarball: its .tgz path replaced by the tarball's, and each peer
 * pinned to the version the tests run, the lowest of its range (package.json devDependencies).
 */
export function installArgs(tarball: string): string[] {
  const [npm, install, ...packages] = readmeInstallCommand();
  const peers = Object.keys(MANIFEST.peerDependencies);
  const unknown = packages.filter((p) => !p.endsWith(".tgz") && !peers.includes(p));
  const missing = peers.filter((p) => !packages.includes(p));
  if (
    npm !== "npm" ||
    install !== "install" ||
    unknown.length ||
    missing.length ||
    packages.filter((p) => p.endsWith(".tgz")).length !== 1
  ) {
    throw new Error(
      `the README's install command must be npm install <tarball>.tgz and the peers ${peers.join(" ")}; it has ${packages.join(" ")}`,
    );
  }
  return [install, ...packages.map((p) => (p.endsWith(".tgz") ? tarball : `${p}@${MANIFEST.devDependencies[p]}`))];
}

/** `npm pack` into a directory, as a publisher would: prepack compiles lib/ into dist/ first. */
export function pack(destination: string): Packed {
  fs.mkdirSync(destination, { recursive: true });
  const [report] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", destination], ROOT));
  return {
    tarball: path.join(destination, report.filename),
    size: report.size,
    files: report.files.map((f: { path: string }) => f.path).sort(),
  };
}

/** A TypeScript example (examples/*.ts) as the CommonJS JavaScript a team's build would run. */
export function transpileExample(example: string): string {
  const source = fs.readFileSync(path.join(ROOT, "examples", example), "utf8");
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
}

/**
 * Packs the package, installs the tarball and the peers into `<work>/consumer` with the README's
 * install command, and runs `node main.js` there, main.js being an example app transpiled.
 */
export function packAndConsume(work: string, example = "public-model.ts"): Consumer {
  let t = performance.now();
  const packed = pack(work);
  const timings = { pack: performance.now() - t, install: 0, synth: 0 };

  const dir = path.join(work, "consumer");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2));
  t = performance.now();
  run("npm", [...installArgs(packed.tarball), "--no-audit", "--no-fund", "--prefer-offline"], dir);
  timings.install = performance.now() - t;

  fs.copyFileSync(path.join(ROOT, "examples", example), path.join(dir, "main.ts"));
  fs.writeFileSync(path.join(dir, "main.js"), transpileExample(example));
  t = performance.now();
  const r = spawnSync(process.execPath, ["main.js"], { cwd: dir, env: cleanEnv(), encoding: "utf8" });
  timings.synth = performance.now() - t;
  return { dir, packed, synth: { status: r.status, stdout: r.stdout, stderr: r.stderr }, timings };
}

/** Bytes of the files under a directory (what `du --apparent-size` counts). */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

if (require.main === module) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-consume-"));
  const consumer = packAndConsume(work, process.argv[2]);
  process.stdout.write(consumer.synth.stdout + consumer.synth.stderr);
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  console.log(
    `tarball ${consumer.packed.tarball}: ${(consumer.packed.size / 1024).toFixed(0)} KiB, ${consumer.packed.files.length} files\n` +
      `consumer ${consumer.dir}: node_modules ${mb(directoryBytes(path.join(consumer.dir, "node_modules")))}; ` +
      `node main.js exited ${consumer.synth.status}\n` +
      `pack ${consumer.timings.pack.toFixed(0)} ms, install ${consumer.timings.install.toFixed(0)} ms, synth ${consumer.timings.synth.toFixed(0)} ms`,
  );
  execFileSync("ls", [path.join(consumer.dir, "cdktf.out", "stacks")], { stdio: "inherit" });
}

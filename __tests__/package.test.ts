// The npm package as a team installs it: packed, installed with only its peer dependencies into a
// fresh project outside the repository, and used there with plain node (scripts/pack-and-consume.ts).
import { builtinModules } from "module";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import * as lib from "../lib";
import { registeredPackageAssets } from "../lib/private/assets";
import { ALWAYS_EXCLUDED, listShippedFiles, shippedFiles } from "../lib/private/s3-directory";
import { Consumer, ROOT, cleanEnv, packAndConsume } from "../scripts/pack-and-consume";

const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const PEERS = ["@cdktf/provider-aws", "@cdktf/provider-null", "cdktf", "constructs"];

/** What the tarball must hold: the compiled library, every asset the constructs read, and nothing else. */
function expectedFiles(): string[] {
  const compiled = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, "lib", dir), { withFileTypes: true }).flatMap((e) => {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) return compiled(rel);
      const base = rel.replace(/\.ts$/, "");
      return [`dist/${base}.js`, `dist/${base}.d.ts`];
    });
  const assets = registeredPackageAssets().flatMap((asset) =>
    fs.statSync(path.join(ROOT, asset)).isDirectory() ? shippedFiles(path.join(ROOT, asset)).map((f) => `${asset}/${f}`) : [asset],
  );
  // An asset may lie inside another (python/serving/chat_contract, which the Lambda function ships, in python/serving).
  return [...new Set(["package.json", "README.md", "LICENSE", ...compiled(""), ...assets])].sort();
}

describe("the npm package", () => {
  test("declares the peers with ranges that start at the versions the tests run, and no other run-time dependency", () => {
    expect(MANIFEST.dependencies).toBeUndefined();
    expect(Object.keys(MANIFEST.peerDependencies).sort()).toEqual(PEERS);
    for (const peer of PEERS) expect(MANIFEST.peerDependencies[peer]).toBe(`^${MANIFEST.devDependencies[peer]}`);
    // The invoke CLI's SDK is for this repository's `npm run invoke` only.
    expect(MANIFEST.devDependencies["@aws-sdk/client-sagemaker-runtime"]).toBeDefined();
  });

  test("leaves out of the tarball what the constructs never ship (package.json files negations)", () => {
    for (const glob of ALWAYS_EXCLUDED)
      expect([glob, MANIFEST.files.some((f: string) => [`!**/${glob}`, `!**/${glob}/`].includes(f))]).toEqual([glob, true]);
  });

  test("reads every file it needs at synth time through packageAsset, from the package root", () => {
    expect(Object.keys(lib).length).toBeGreaterThan(0); // every construct module is loaded, so every asset registered
    expect(registeredPackageAssets()).toEqual(
      expect.arrayContaining(["python/neuronx_compile", "python/serving", "scripts/compile-user-data.sh", "scripts/wait-for-compile.sh"]),
    );
    for (const asset of registeredPackageAssets()) expect(fs.existsSync(path.join(ROOT, asset))).toBe(true);
  });

  describe("packed, and installed with only its peers into a fresh project, used with plain node", () => {
    let work: string;
    let consumer: Consumer;
    let stackDir: string;
    let stack: any;
    let text: string;

    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-package-"));
      consumer = packAndConsume(work, "public-model.ts");
      stackDir = path.join(consumer.dir, "cdktf.out", "stacks", "chat");
      text = fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8");
      stack = JSON.parse(text);
    }, 600_000);

    afterAll(() => {
      if (consumer) {
        const { pack, install, synth } = consumer.timings;
        console.log(
          `pack and consume: npm pack ${(pack / 1000).toFixed(1)} s, npm install of the tarball and the peers ` +
            `${(install / 1000).toFixed(1)} s, node main.js ${(synth / 1000).toFixed(1)} s; tarball ${(consumer.packed.size / 1024).toFixed(0)} KiB`,
        );
      }
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("ships the compiled library, the compile package, the inference code and the scripts the constructs stage, and nothing else", () => {
      expect(consumer.packed.files).toEqual(expectedFiles());
      expect(consumer.packed.size).toBeLessThan(1024 * 1024);
    });

    test("installs with no dependency beyond the peers", () => {
      const installed = JSON.parse(
        fs.readFileSync(path.join(consumer.dir, "node_modules", "cdktf-neuronx-patterns", "package.json"), "utf8"),
      );
      expect(installed.dependencies).toBeUndefined();
      const top = fs
        .readdirSync(path.join(consumer.dir, "node_modules"))
        .flatMap((d) => (d.startsWith("@") ? fs.readdirSync(path.join(consumer.dir, "node_modules", d)).map((s) => `${d}/${s}`) : [d]))
        .filter((d) => !d.startsWith("."));
      expect(top.sort()).toEqual([...PEERS, "cdktf-neuronx-patterns"].sort());
    });

    test("requires nothing but its own files, Node's built-ins and the peers (minimatch is bundled into dist/private/glob.js)", () => {
      const installed = path.join(consumer.dir, "node_modules", "cdktf-neuronx-patterns");
      const allowed = (id: string) =>
        id.startsWith(".") ||
        id.startsWith("node:") ||
        builtinModules.includes(id) ||
        PEERS.some((p) => id === p || id.startsWith(`${p}/`));
      const required = consumer.packed.files
        .filter((f) => f.endsWith(".js"))
        .flatMap((f) =>
          [...fs.readFileSync(path.join(installed, f), "utf8").matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
            (m) => `${f}: ${m[1]}`,
          ),
        );
      expect(required.length).toBeGreaterThan(0);
      expect(required.filter((r) => !allowed(r.split(": ")[1]))).toEqual([]);
    });

    test("matches a code directory's exclude globs with its bundled minimatch as the library does from source", () => {
      const dir = fs.mkdtempSync(path.join(work, "code-"));
      for (const rel of [
        "inference.py",
        "util/x.py",
        "util/x.pyc",
        "data/big.bin",
        "data/keep.txt",
        ".env",
        "notes.md",
        "a/b/notes.md",
        "cfg/{a}.json",
      ]) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), rel);
      }
      const exclude = ["data/*.bin", "*.md", "cfg/"];
      const script = `const { listShippedFiles } = require(${JSON.stringify(path.join(consumer.dir, "node_modules", "cdktf-neuronx-patterns", "dist", "private", "s3-directory.js"))});
process.stdout.write(JSON.stringify(listShippedFiles(${JSON.stringify(dir)}, { exclude: ${JSON.stringify(exclude)} })));`;
      const r = spawnSync(process.execPath, ["-e", script], { cwd: consumer.dir, env: cleanEnv(), encoding: "utf8" });
      expect(r.stderr).toBe("");
      const fromSource = listShippedFiles(dir, { exclude });
      expect(fromSource.files).toEqual(["data/keep.txt", "inference.py", "util/x.py"]);
      expect(JSON.parse(r.stdout)).toEqual(fromSource);
    });

    test("synthesizes the README's app with node main.js", () => {
      expect(consumer.synth.stderr).toBe("");
      expect(consumer.synth.status).toBe(0);
      expect(fs.readdirSync(path.join(consumer.dir, "cdktf.out", "stacks"))).toEqual(["chat"]);
    });

    test("has the waiter, with its script staged as an asset of the stack", () => {
      const waiter = stack.resource.null_resource.compile_waiter;
      const command: string = waiter.provisioner[0]["local-exec"].command;
      expect(command).toMatch(/^assets\/.+\/wait-for-compile\.sh$/);
      expect(fs.readFileSync(path.join(stackDir, command), "utf8")).toBe(
        fs.readFileSync(path.join(ROOT, "scripts", "wait-for-compile.sh"), "utf8"),
      );
    });

    test("has the endpoint, its model and its configuration", () => {
      for (const type of ["aws_sagemaker_model", "aws_sagemaker_endpoint_configuration", "aws_sagemaker_endpoint"]) {
        expect(Object.keys(stack.resource[type])).toHaveLength(1);
      }
    });

    test.each([
      ["compile_script", "python/neuronx_compile"],
      ["chat_code", "python/serving"],
    ])("stages %s: every file of %s, as in the repository", (name, dir) => {
      const object = stack.resource.aws_s3_object[name];
      const assetDir = path.join(stackDir, /^assets\/[^/]+\/[^/]+/.exec(object.source)![0]);
      expect(shippedFiles(assetDir)).toEqual(shippedFiles(path.join(ROOT, dir)));
      for (const file of shippedFiles(assetDir)) {
        expect(fs.readFileSync(path.join(assetDir, file), "utf8")).toBe(fs.readFileSync(path.join(ROOT, dir, file), "utf8"));
      }
    });

    test("holds no machine-absolute path; the state is local, beside the project, by a relative path", () => {
      for (const absolute of [consumer.dir, work, ROOT, os.tmpdir(), os.homedir()]) expect(text).not.toContain(absolute);
      expect(stack.terraform.backend).toEqual({ local: { path: "../../../terraform.chat.tfstate" } });
    });

    test("type-checks the README's app against the installed declarations (exports, types)", () => {
      fs.writeFileSync(
        path.join(consumer.dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { module: "node16", target: "ES2022", strict: true, noEmit: true, types: [] },
          files: ["main.ts"],
        }),
      );
      const t = performance.now();
      const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", consumer.dir], {
        cwd: consumer.dir,
        env: cleanEnv(),
        encoding: "utf8",
      });
      console.log(`tsc on the consumer's main.ts: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      expect(tsc.stdout + tsc.stderr).toBe("");
      expect(tsc.status).toBe(0);
    }, 120_000);
  });
});

// Shipping a directory to S3: what ships (no dotfiles, caches or tests; symbolic links only inside the
// directory; no special files), and where it is staged (a directory private to the process, verified).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { matchesGlob } from "../lib/private/glob";
import { ALWAYS_EXCLUDED, ALWAYS_EXCLUDED_REGEXES, hashDirectory, listShippedFiles, uploadDirectory } from "../lib/private/s3-directory";
import { synth } from "./helpers/synth";

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ship-"));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe("listShippedFiles", () => {
  test("leaves out dotfiles, dot-directories, caches, bytecode and tests", () => {
    const dir = tree({
      "inference.py": "",
      "pkg/model.py": "",
      ".env": "HF_TOKEN=x",
      ".git/config": "[remote]",
      "pkg/.secret": "",
      "pkg/__pycache__/model.cpython-311.pyc": "",
      "pkg/old.pyc": "",
      "tests/test_x.py": "",
      ".aws/credentials": "",
    });
    expect(listShippedFiles(dir)).toEqual({ files: ["inference.py", "pkg/model.py"], problems: [] });
  });

  test("leaves out what exclude names: names at any depth, or paths", () => {
    const dir = tree({ "inference.py": "", "nb/a.ipynb": "", "b.ipynb": "", "data/big.bin": "", "keep/data/x": "" });
    expect(listShippedFiles(dir, { exclude: ["*.ipynb", "data/"] }).files).toEqual(["inference.py"]);
    expect(listShippedFiles(dir, { exclude: ["nb/*.ipynb", "keep/data"] }).files).toEqual(["b.ipynb", "data/big.bin", "inference.py"]);
  });

  test("follows symbolic links that stay inside the directory, and ships what they point at", () => {
    const dir = tree({ "inference.py": "", "lib/util.py": "x = 1\n" });
    fs.symlinkSync("lib/util.py", path.join(dir, "util.py"));
    fs.symlinkSync("lib", path.join(dir, "shared"));
    expect(listShippedFiles(dir)).toEqual({ files: ["inference.py", "lib/util.py", "shared/util.py", "util.py"], problems: [] });
  });

  test("refuses symbolic links that leave the directory, dangle or loop", () => {
    const dir = tree({ "inference.py": "" });
    fs.symlinkSync("/etc/passwd", path.join(dir, "passwd"));
    fs.symlinkSync(os.homedir(), path.join(dir, "home"));
    fs.symlinkSync("missing.py", path.join(dir, "gone.py"));
    fs.mkdirSync(path.join(dir, "loop"));
    fs.symlinkSync("..", path.join(dir, "loop", "up"));
    const { files, problems } = listShippedFiles(dir);
    expect(files).toEqual(["inference.py"]);
    expect(problems).toEqual([
      "gone.py is a symbolic link to nothing (missing.py); remove it or exclude it",
      `home is a symbolic link to ${fs.realpathSync(os.homedir())}, outside the directory; copy what it needs into the directory, or exclude it`,
      "loop/up is a symbolic link back to a directory it is in (a loop); remove it or exclude it",
      "passwd is a symbolic link to /etc/passwd, outside the directory; copy what it needs into the directory, or exclude it",
    ]);
  });

  test("refuses FIFOs and other special files (reading one would hang the synth)", () => {
    const dir = tree({ "inference.py": "" });
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    expect(listShippedFiles(dir).problems).toEqual([
      "pipe is not a regular file or a directory (a FIFO, socket or device); remove it or exclude it",
    ]);
  });

  test("refuses names with control characters", () => {
    const dir = tree({ "inference.py": "", "a\nb.py": "" });
    expect(listShippedFiles(dir).problems).toEqual([
      `"a\\nb.py" has a control character or invalid UTF-8 in its name; rename it or exclude it`,
    ]);
  });

  test("the HCL module's regular expressions leave out what the globs leave out", () => {
    const paths = [
      ".env",
      "a/.git/config",
      "pkg/__pycache__/m.pyc",
      "m.pyc",
      "m.pyo",
      "tests/t.py",
      "a/tests/t.py",
      "inference.py",
      "a/b.py",
      "contests.py",
      "x.pyc.txt",
      "a.b/c.py",
    ];
    for (const p of paths) {
      const byGlob = p.split("/").some((_, i, parts) => ALWAYS_EXCLUDED.some((g) => matchesGlob(parts.slice(0, i + 1).join("/"), g)));
      const byRegex = ALWAYS_EXCLUDED_REGEXES.some((re) => new RegExp(re).test(p));
      expect([p, byRegex]).toEqual([p, byGlob]);
    }
  });
});

describe("uploadDirectory", () => {
  const upload = (dir: string) =>
    synth((stack) => {
      const bucket = new S3Bucket(stack, "B", { bucket: "models" });
      uploadDirectory(stack, "Code", { dir, bucket: bucket.bucket, keyPrefix: "p/code/", pattern: "**", owner: stack, suffix: "code" });
    });

  /** Synthesizes an app that uploads `dir`; returns its output directory. */
  function synthApp(dir: string, outdir?: string): string {
    const app = outdir ? new App({ outdir }) : Testing.app();
    const stack = new TerraformStack(app, "test");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    uploadDirectory(stack, "Code", { dir, bucket: "models", keyPrefix: "p/code/", pattern: "**", owner: stack, suffix: "code" });
    app.synth();
    return app.outdir;
  }
  const shipped = (outdir: string) =>
    execFileSync("find", [path.join(outdir, "stacks"), "-type", "f", "-path", "*/assets/*"], { encoding: "utf8" })
      .trim()
      .split("\n");

  test("stages under the app's output directory: a copy planted in the shared temporary directory is never used", () => {
    const dir = tree({ "inference.py": "print(1)\n" });
    const hash = hashDirectory(dir);
    // What the earlier staging reused without looking: $TMPDIR/cdktf-neuronx-patterns-assets/<hash>.
    const shared = path.join(os.tmpdir(), "cdktf-neuronx-patterns-assets", hash);
    fs.mkdirSync(shared, { recursive: true });
    fs.writeFileSync(path.join(shared, "inference.py"), "import os; os.system('planted')\n");
    const outdir = synthApp(dir);
    const files = shipped(outdir);
    expect(files.map((f) => path.basename(f))).toEqual(["inference.py"]);
    expect(fs.readFileSync(files[0], "utf8")).toBe("print(1)\n");
    expect(fs.statSync(path.join(outdir, ".neuronx-staging")).mode & 0o777).toBe(0o700);
    fs.rmSync(shared, { recursive: true, force: true });
  });

  test("reuses a staged copy only when it holds exactly the files, with their content", () => {
    const dir = tree({ "inference.py": "print(2)\n" });
    const hash = hashDirectory(dir);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "out-"));
    synthApp(dir, outdir);
    const staged = path.join(outdir, ".neuronx-staging", hash);
    fs.writeFileSync(path.join(staged, "inference.py"), "tampered\n");
    fs.writeFileSync(path.join(staged, "extra.py"), "planted\n");
    synthApp(dir, outdir);
    expect(fs.readdirSync(staged)).toEqual(["inference.py"]);
    expect(fs.readFileSync(path.join(staged, "inference.py"), "utf8")).toBe("print(2)\n");
    expect(shipped(outdir).map((f) => fs.readFileSync(f, "utf8"))).toEqual(["print(2)\n"]);
  });

  test("ships an empty directory as no objects, and two empty directories do not collide", () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), "empty-"));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), "empty-"));
    expect(() => upload(a)).not.toThrow();
    expect(() => upload(b)).not.toThrow();
  });
});

// `npm run synth:hcl` needs Node.js only: the providers' schemas come from a committed snapshot,
// and the formatting is HCL's own formatter in WebAssembly. The Terraform tier validates its output
// with the real terraform and checks the snapshot against the live schema.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { format } from "@cdktf/hcl-tools";
import { App } from "cdktf";
import { buildExampleApp } from "../stacks/app";
import { loadConfig } from "../stacks/config";
import { loadSnapshot, readLiveSchemas, requiredVersions, usedTypes } from "../scripts/hcl/provider-schemas";
import { missingTypes } from "../scripts/synth-hcl";

const ROOT = path.join(__dirname, "..");

/** A PATH with node, npm and a POSIX shell (npm runs scripts with sh) only, in a directory of their own: no go, no terraform. */
function nodeOnlyPath(): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-node-only-"));
  const npm = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  fs.symlinkSync(fs.realpathSync(npm), path.join(bin, "npm"));
  fs.symlinkSync("/bin/sh", path.join(bin, "sh"));
  return bin;
}

describe("npm run synth:hcl on a machine with Node.js only", () => {
  const bin = nodeOnlyPath();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-home-"));
  const toolchain = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-empty-toolchain-"));
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-hcl-")), "cdktf.out");
  const env = { PATH: bin, HOME: home, TF_TOOLCHAIN_DIR: toolchain, XDG_CACHE_HOME: path.join(home, ".cache"), CDKTF_OUTDIR: outdir };
  const run = spawnSync("npm", ["run", "--silent", "synth:hcl"], { cwd: ROOT, env, encoding: "utf8" });

  test("runs where neither go nor terraform is on the PATH and the toolchain directory is empty", () => {
    for (const tool of ["go", "terraform"]) expect(spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { env }).status).not.toBe(0);
    expect(fs.readdirSync(toolchain)).toEqual([]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([`${outdir}/hcl/compile/main.tf`, `${outdir}/hcl/endpoint/main.tf`]);
  });

  test.each(["compile", "endpoint"])("writes the %s stack as formatted HCL, with its assets", async (stack) => {
    const main = fs.readFileSync(path.join(outdir, "hcl", stack, "main.tf"), "utf8");
    expect(await format(main)).toBe(main);
    // Blocks where the schema has blocks, in the provider too.
    expect(main).toMatch(/^provider "aws" \{\n {2}region = "us-east-1"\n {2}default_tags \{\n/m);
    expect(main).not.toMatch(/= "\$\{[^"]*\}"$/m); // a whole reference is written bare, not quoted
    expect(main).not.toContain(outdir);
    expect(fs.readdirSync(path.join(outdir, "hcl", stack, "assets")).length).toBeGreaterThan(0);
  });

  test("writes the compile stack's waiter and launch template as a person would", () => {
    const main = fs.readFileSync(path.join(outdir, "hcl", "compile", "main.tf"), "utf8");
    expect(main).toMatch(/resource "null_resource" "compile_waiter" \{[\s\S]*?\n {2}provisioner "local-exec" \{/);
    expect(main).toMatch(/\n {2}block_device_mappings \{\n {4}device_name = data\.aws_ami\.compile\.root_device_name\n/);
    expect(main).toMatch(/compile_user_data = <<EOT\n#!\/bin\/bash\n/);
    expect(main).toMatch(/\n {2}user_data += base64encode\(local\.compile_user_data\)\n/);
  });
});

describe("the provider schema snapshot", () => {
  const snapshot = loadSnapshot();

  test("holds every resource and data source type that lib/ and stacks/ import", () => {
    const used = usedTypes();
    expect(used.resource).toContain("aws_launch_template");
    expect(used.data).toContain("aws_iam_policy_document");
    const has = (kind: "resource_schemas" | "data_source_schemas") =>
      Object.values(snapshot.provider_schemas).flatMap((p) => Object.keys(p[kind] ?? {}));
    // On a failure: npm run generate:hcl-schemas (CONTRIBUTING.md).
    expect(used.resource.filter((t) => !has("resource_schemas").includes(t))).toEqual([]);
    expect(used.data.filter((t) => !has("data_source_schemas").includes(t))).toEqual([]);
  });

  test("is for the provider versions the stacks require", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-versions-")) });
    buildExampleApp(app, loadConfig(app, {}));
    app.synth();
    for (const stack of fs.readdirSync(path.join(app.outdir, "stacks"))) {
      const config = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      expect(snapshot.provider_versions).toMatchObject(requiredVersions(config.terraform.required_providers));
      expect(missingTypes(config, snapshot)).toEqual([]);
    }
  });

  test("names what it lacks", () => {
    const config = { provider: { random: [{}] }, resource: { aws_lambda_function: {} }, data: { aws_vpc: {}, terraform_remote_state: {} } };
    expect(missingTypes(config, snapshot)).toEqual(['provider "random"', 'resource "aws_lambda_function"']);
  });
});

describe("reading a live schema with the terraform on PATH", () => {
  test("fails with the command, its exit status and its stderr, not only 'Command failed'", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-fake-terraform-"));
    fs.writeFileSync(
      path.join(bin, "terraform"),
      '#!/bin/sh\necho "Error: Failed to query available provider packages: could not connect to registry.terraform.io" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-s-"));
    expect(() => readLiveSchemas({ aws: { source: "hashicorp/aws", version: "6.25.0" } }, workdir, env)).toThrow(
      /^terraform init -input=false -no-color failed in .* \(exit 1\):\nError: Failed to query available provider packages: could not connect to registry\.terraform\.io$/,
    );
  });
});

// The Terraform toolchain of scripts/install-terraform.sh: the hashicorp/aws stand-in is built with
// the service packages of tools/terraform/aws/services.txt only, so its schema must hold every
// resource and data source type that the stacks, the constructs and the modules use, and refuse
// the others; terraform is a 1.x release at the minimum version or newer (from PATH, or built: the
// build itself checks that a backend it leaves out fails init with the reason).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MODULES_DIR } from "../../scripts/generate-modules";
import { terraform } from "../helpers/terraform";
import { synthesize, VARIANTS } from "../helpers/variants";

const REPO = path.resolve(__dirname, "..", "..");
const INSTALL_SCRIPT = fs.readFileSync(path.join(REPO, "scripts", "install-terraform.sh"), "utf8");
const SERVICES_TXT = "tools/terraform/aws/services.txt";

/** A root module of the given HCL that requires hashicorp/aws from the mirror, initialized. */
function rootModule(hcl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-toolchain-"));
  const versions = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n';
  fs.writeFileSync(path.join(dir, "main.tf"), versions + hcl);
  const init = terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
  if (init.code !== 0) throw new Error(`terraform init failed in ${dir}: ${init.out}`);
  return dir;
}

/** "resource aws_x" / "data aws_y" for every AWS type of a synthesized stack. */
function typesOfJson(file: string): string[] {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  return (["resource", "data"] as const).flatMap((kind) =>
    Object.keys(json[kind] ?? {})
      .filter((type) => type.startsWith("aws_"))
      .map((type) => `${kind} ${type}`),
  );
}

/** The same for HCL files. */
function typesOfHcl(text: string): string[] {
  return [...text.matchAll(/^(resource|data)\s+"(aws_[a-z0-9_]+)"/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/** The same for the provider classes that TypeScript imports by deep path: every type a construct can emit. */
function typesOfImports(text: string): string[] {
  return [...text.matchAll(/@cdktf\/provider-aws\/lib\/([a-z0-9-]+)/g)]
    .map((m) => m[1])
    .filter((name) => name !== "provider")
    .map((name) =>
      name.startsWith("data-aws-") ? `data aws_${name.slice(9).replace(/-/g, "_")}` : `resource aws_${name.replace(/-/g, "_")}`,
    );
}

function filesUnder(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(suffix) && !f.split(path.sep).includes("node_modules") && !f.includes(".terraform"))
    .map((f) => path.join(dir, f));
}

describe("the hashicorp/aws stand-in, built with the services of " + SERVICES_TXT, () => {
  const dir = rootModule("");
  const schema = JSON.parse(terraform(dir, ["providers", "schema", "-json"]).stdout).provider_schemas[
    "registry.terraform.io/hashicorp/aws"
  ];
  const provided = new Set([
    ...Object.keys(schema.resource_schemas).map((t) => `resource ${t}`),
    ...Object.keys(schema.data_source_schemas).map((t) => `data ${t}`),
  ]);

  /** Which used types the provider lacks, each with where it is used. */
  function missing(used: Map<string, string>): string[] {
    return [...used].filter(([type]) => !provided.has(type)).map(([type, where]) => `${type} (${where})`);
  }

  function record(used: Map<string, string>, types: string[], where: string) {
    for (const type of types) if (!used.has(type)) used.set(type, where);
  }

  test("has every type of the example stacks, synthesized in each configuration of the Terraform tier", () => {
    const used = new Map<string, string>();
    for (const [variant, env] of Object.entries(VARIANTS)) {
      for (const file of filesUnder(synthesize(env), "cdk.tf.json")) record(used, typesOfJson(file), variant);
    }
    expect(used.size).toBeGreaterThan(20);
    expect(missing(used)).toEqual([]);
  });

  test("has every type of the HCL modules", () => {
    const used = new Map<string, string>();
    for (const file of filesUnder(MODULES_DIR, ".tf")) {
      record(used, typesOfHcl(fs.readFileSync(file, "utf8")), path.relative(REPO, file));
    }
    expect(used.size).toBeGreaterThan(20);
    expect(missing(used)).toEqual([]);
  });

  test("has every type the constructs and stacks import (options the configurations leave off included)", () => {
    const used = new Map<string, string>();
    for (const dirName of ["lib", "stacks"]) {
      for (const file of filesUnder(path.join(REPO, dirName), ".ts")) {
        record(used, typesOfImports(fs.readFileSync(file, "utf8")), path.relative(REPO, file));
      }
    }
    expect(used.size).toBeGreaterThan(20);
    expect(missing(used)).toEqual([]);
  });

  test("refuses a type outside the list with Terraform's error, naming the type", () => {
    // aws_db_instance and aws_rds_cluster are RDS (internal/service/rds), which is not listed.
    expect(provided.has("resource aws_db_instance")).toBe(false);
    const config = rootModule('resource "aws_db_instance" "db" {}\ndata "aws_rds_cluster" "c" {}\n');
    const result = JSON.parse(terraform(config, ["validate", "-json", "-no-color"]).stdout);
    expect(result.valid).toBe(false);
    const details = result.diagnostics.map((d: any) => `${d.summary}: ${d.detail}`);
    expect(details).toEqual(
      expect.arrayContaining([
        'Invalid resource type: The provider hashicorp/aws does not support resource type "aws_db_instance".',
        'Invalid data source: The provider hashicorp/aws does not support data source "aws_rds_cluster".',
      ]),
    );
  });
});

describe("the terraform CLI", () => {
  const min = /^TF_MIN_VERSION=(\d+\.\d+\.\d+)$/m.exec(INSTALL_SCRIPT)?.[1] as string;
  const version = JSON.parse(terraform(os.tmpdir(), ["version", "-json"]).stdout).terraform_version as string;

  test(`is a 1.x release at the minimum version (${min}) or newer`, () => {
    expect(version).toMatch(/^1\.\d+\.\d+$/);
    const [a, b, c] = version.split(".").map(Number);
    const [x, y, z] = min.split(".").map(Number);
    expect(a * 1e6 + b * 1e3 + c).toBeGreaterThanOrEqual(x * 1e6 + y * 1e3 + z);
  });
});

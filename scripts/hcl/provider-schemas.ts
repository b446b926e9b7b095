// The providers' schemas that the HCL converter needs (which keys of a resource are nested blocks),
// kept as a committed snapshot (provider-schemas.json) so that `npm run synth:hcl` needs Node.js
// only. The snapshot holds the resource and data source types that lib/ and stacks/ import from
// @cdktf/provider-aws and @cdktf/provider-null, Terraform's built-in terraform_data, and the
// providers' own configuration blocks, as `terraform providers schema -json` gives them without their
// documentation.
//
// `npm run generate:hcl-schemas` writes it again with the terraform on PATH (this repository's
// toolchain: `eval "$(scripts/install-terraform.sh --print-env)"` first); a unit test fails when a
// type the constructs use is missing, and the Terraform tier checks it against the live schema.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProviderSchemas } from "./json-to-hcl";

/** The committed snapshot. */
export const SNAPSHOT_FILE = path.join(__dirname, "provider-schemas.json");

const ROOT = path.resolve(__dirname, "..", "..");
/** Where the constructs that synth:hcl converts are: their provider imports decide the snapshot's types. */
const SOURCE_DIRS = ["lib", "stacks"];
const PROVIDER_IMPORT = /["'](@cdktf\/provider-(?:aws|null)\/lib\/([a-z0-9-]+))["']/g;

/** The snapshot file: the schemas, and the provider versions they were read from. */
export interface Snapshot extends ProviderSchemas {
  readonly "//": string;
  /** Provider source -> the version the stacks require (what `terraform init` was given). */
  readonly provider_versions: Record<string, string>;
}

/** Resource and data source types used by lib/ and stacks/, from their @cdktf/provider-* imports. */
export function usedTypes(): { resource: string[]; data: string[] } {
  const modules = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".ts")) for (const m of fs.readFileSync(file, "utf8").matchAll(PROVIDER_IMPORT)) modules.add(m[1]);
    }
  };
  SOURCE_DIRS.forEach((dir) => walk(path.join(ROOT, dir)));
  const found = { resource: new Set<string>(), data: new Set<string>() };
  for (const module of modules) {
    if (module.endsWith("/provider")) continue;
    for (const exported of Object.values<any>(require(module))) {
      const type = exported?.tfResourceType;
      if (typeof type === "string") found[module.includes("/lib/data-") ? "data" : "resource"].add(type);
    }
  }
  // Terraform's built-in resource, which lib/private/terraform-data.ts renders without a provider package.
  found.resource.add("terraform_data");
  return { resource: [...found.resource].sort(), data: [...found.data].sort() };
}

/** A block schema without its documentation (descriptions, deprecation notes). */
function trimBlock(block: any): any {
  const out: any = {};
  if (block.attributes) {
    out.attributes = Object.fromEntries(
      Object.entries<any>(block.attributes).map(([name, a]) => [
        name,
        Object.fromEntries(
          Object.entries(a).filter(([k]) => !["description", "description_kind", "deprecated", "deprecation_message"].includes(k)),
        ),
      ]),
    );
  }
  if (block.block_types) {
    out.block_types = Object.fromEntries(
      Object.entries<any>(block.block_types).map(([name, b]) => {
        const { block: nested, ...rest } = b;
        return [name, { ...rest, block: trimBlock(nested) }];
      }),
    );
  }
  return out;
}

/** The live schemas cut down to the used types and the providers' configuration blocks. */
export function trimSchemas(live: ProviderSchemas, used: { resource: string[]; data: string[] }): ProviderSchemas["provider_schemas"] {
  const out: ProviderSchemas["provider_schemas"] = {};
  for (const [source, provider] of Object.entries<any>(live.provider_schemas)) {
    const pick = (schemas: Record<string, any> | undefined, types: string[]) =>
      Object.fromEntries(types.filter((t) => schemas?.[t]).map((t) => [t, { block: trimBlock(schemas![t].block) }]));
    out[source] = {
      provider: { block: trimBlock(provider.provider?.block ?? {}) },
      resource_schemas: pick(provider.resource_schemas, used.resource),
      data_source_schemas: pick(provider.data_source_schemas, used.data),
    };
  }
  return out;
}

/** The committed snapshot. */
export function loadSnapshot(): Snapshot {
  return JSON.parse(fs.readFileSync(SNAPSHOT_FILE, "utf8"));
}

/** The full source of a provider as terraform names it: `aws` -> `registry.terraform.io/hashicorp/aws`. */
export function providerSource(source: string): string {
  const parts = source.split("/");
  return parts.length === 3 ? source : parts.length === 2 ? `registry.terraform.io/${source}` : `registry.terraform.io/hashicorp/${source}`;
}

/** The provider versions of a stack's `required_providers`, by full source. */
export function requiredVersions(requiredProviders: Record<string, { source: string; version: string }>): Record<string, string> {
  return Object.fromEntries(Object.values(requiredProviders).map((p) => [providerSource(p.source), p.version]));
}

/**
 * Runs a command and returns its stdout; when it fails, the error carries the command, its exit
 * status and its stderr (not only Node's "Command failed").
 */
export function runCommand(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 512 * 2 ** 20 });
  if (r.error) throw new Error(`${command} ${args.join(" ")} could not run in ${cwd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd} (exit ${r.status}):\n${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** `terraform providers schema -json` for a `required_providers` block, with the terraform on PATH (cached in workdir). */
export function readLiveSchemas(requiredProviders: object, workdir: string, env: NodeJS.ProcessEnv = process.env): ProviderSchemas {
  const dir = path.join(workdir, crypto.createHash("sha256").update(JSON.stringify(requiredProviders)).digest("hex").slice(0, 12));
  const cached = path.join(dir, "schemas.json");
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(dir, { recursive: true });
    // A terraform_data resource makes terraform list its built-in provider's schema too.
    const config = { terraform: { required_providers: requiredProviders }, resource: { terraform_data: { schema: {} } } };
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
    runCommand("terraform", ["init", "-input=false", "-no-color"], dir, env);
    fs.writeFileSync(cached, runCommand("terraform", ["providers", "schema", "-json"], dir, env));
  }
  return JSON.parse(fs.readFileSync(cached, "utf8"));
}

/** The snapshot for a stack's `required_providers`, read from the terraform on PATH. */
export function generateSnapshot(requiredProviders: Record<string, { source: string; version: string }>, workdir: string): Snapshot {
  const live = readLiveSchemas(requiredProviders, workdir);
  return {
    "//": "Generated by npm run generate:hcl-schemas from `terraform providers schema -json`, cut to the types lib/ and stacks/ use. Do not edit.",
    format_version: (live as any).format_version,
    provider_versions: requiredVersions(requiredProviders),
    provider_schemas: trimSchemas(live, usedTypes()),
  } as Snapshot;
}

/** The `required_providers` of the example stacks, together: the versions the provider packages pin. */
export function exampleRequiredProviders(): Record<string, { source: string; version: string }> {
  // Required here, not imported: the converter's users (synth-hcl.ts) load the stacks themselves.
  const { App } = require("cdktf");
  const { buildExampleApp } = require("../../stacks/app");
  const { loadConfig } = require("../../stacks/config");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-schemas-"));
  const app = new App({ outdir: work });
  buildExampleApp(app, loadConfig(app, {}));
  app.synth();
  const stacks = fs.readdirSync(path.join(work, "stacks"));
  const required = stacks.map(
    (s) => JSON.parse(fs.readFileSync(path.join(work, "stacks", s, "cdk.tf.json"), "utf8")).terraform.required_providers,
  );
  fs.rmSync(work, { recursive: true, force: true });
  return Object.assign({}, ...required);
}

if (require.main === module) {
  try {
    const snapshot = generateSnapshot(exampleRequiredProviders(), fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-schemas-")));
    fs.writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(snapshot, null, 2)}\n`);
    const counts = Object.values(snapshot.provider_schemas).map(
      (p) => Object.keys(p.resource_schemas ?? {}).length + Object.keys(p.data_source_schemas ?? {}).length,
    );
    process.stdout.write(`${SNAPSHOT_FILE}: ${counts.reduce((a, b) => a + b, 0)} resource and data source types\n`);
  } catch (error) {
    process.stderr.write(`generate:hcl-schemas: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

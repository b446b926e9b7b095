// The Terraform tier: every synthesized stack through the real terraform CLI (init, validate)
// and checkov. Run by `npm run test:terraform`, which builds the toolchain and checkov first.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { exampleRequiredProviders, generateSnapshot, loadSnapshot } from "../../scripts/hcl/provider-schemas";
import { checkovFailures, terraform as tf, unjustifiedSkips } from "../helpers/terraform";
import { synthesize, VARIANTS } from "../helpers/variants";

const terraform = (cwd: string, ...args: string[]) => tf(cwd, args);

/** The resource block around a line of cdktf's pretty-printed JSON: checkov names it only by its name. */
function resourceAt(text: string, line: number): { type: string; name: string; block: any } {
  const lines = text.split("\n");
  const name = /^ {6}"([^"]+)": \{/.exec(lines[line - 1])?.[1];
  let type: string | undefined;
  for (let i = line - 2; i >= 0 && !type; i--) type = /^ {4}"([^"]+)": \{/.exec(lines[i])?.[1];
  const json = JSON.parse(text);
  const block = json.resource?.[type as string]?.[name as string] ?? json.data?.[type as string]?.[name as string];
  if (!type || !name || !block) throw new Error(`no resource starts at line ${line}: ${lines[line - 1]}`);
  return { type, name, block };
}

describe.each(Object.entries(VARIANTS))("the example stacks, %s", (_variant, env) => {
  const outdir = synthesize(env);
  const stacks = fs.readdirSync(path.join(outdir, "stacks"));

  test("are the example's stacks", () => {
    expect([["compile", "endpoint"], ["serving"]]).toContainEqual(stacks.sort());
  });

  describe.each(stacks)("%s", (stack) => {
    const dir = path.join(outdir, "stacks", stack);

    test("passes terraform init and validate", () => {
      const init = terraform(dir, "init", "-backend=false", "-input=false", "-no-color");
      expect(init.out).toContain("Terraform has been successfully initialized");
      expect(init.code).toBe(0);
      const validate = terraform(dir, "validate", "-json", "-no-color");
      const result = JSON.parse(validate.out);
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    });

    test("passes checkov, each failed check justified on its resource", () => {
      const results = checkovFailures(dir, "terraform_json");
      const text = fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8");
      const unjustified: string[] = [];
      const justified = new Set<string>();
      for (const failure of results) {
        const { type, name, block } = resourceAt(text, failure.file_line_range[0]);
        const reason = block["//"]?.checkov?.skip?.[failure.check_id];
        if (typeof reason === "string" && reason.length > 20) justified.add(`${type}.${name} ${failure.check_id}`);
        else unjustified.push(`${type}.${name}: ${failure.check_id} ${failure.check_name}`);
      }
      expect(unjustified).toEqual([]);
      // A justification for a check that passes is stale.
      const json = JSON.parse(text);
      for (const [type, blocks] of Object.entries<Record<string, any>>(json.resource ?? {})) {
        for (const [name, block] of Object.entries(blocks)) {
          for (const id of Object.keys(block["//"]?.checkov?.skip ?? {})) expect(justified).toContain(`${type}.${name} ${id}`);
        }
      }
    });
  });
});

test("the CLI is the toolchain's terraform", () => {
  expect(execFileSync("terraform", ["version"], { encoding: "utf8" })).toMatch(/^Terraform v1\.\d+\.\d+/);
});

describe.each(Object.entries(VARIANTS))("the generated HCL of the example stacks, %s", (_variant, env) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-hcl-"));
  // As a user runs it: the npm script, with the configuration in the environment.
  const dirs = execFileSync("npm", ["run", "--silent", "synth:hcl"], {
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .map((file) => path.dirname(file));

  describe.each(dirs.map((d) => [path.basename(d), d]))("%s", (_stack, dir) => {
    test("is formatted (terraform fmt -check)", () => {
      const fmt = terraform(dir, "fmt", "-check", "-diff", "-no-color");
      expect(fmt.out).toBe("");
      expect(fmt.code).toBe(0);
    });

    test("passes terraform init and validate", () => {
      expect(terraform(dir, "init", "-backend=false", "-input=false", "-no-color").code).toBe(0);
      const result = JSON.parse(terraform(dir, "validate", "-json", "-no-color").out);
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    });

    test("passes checkov, its skips inline with their reasons", () => {
      expect(checkovFailures(dir, "terraform").map((f) => `${f.resource}: ${f.check_id}`)).toEqual([]);
      expect(unjustifiedSkips(fs.readFileSync(path.join(dir, "main.tf"), "utf8"))).toEqual([]);
    });

    test("holds no machine-absolute path, and names providers by their full source", () => {
      const main = fs.readFileSync(path.join(dir, "main.tf"), "utf8");
      expect(main).not.toContain(outdir);
      expect(main).not.toContain(path.resolve(__dirname, "..", ".."));
      expect(main).toMatch(/source {2}= "hashicorp\/aws"/);
    });
  });
});

test("the provider schema snapshot of npm run synth:hcl is the live schema of the pinned providers, cut to the types used", () => {
  const live = generateSnapshot(exampleRequiredProviders(), fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-schemas-")));
  // On a difference: npm run generate:hcl-schemas (with this toolchain's terraform on PATH).
  expect(loadSnapshot()).toEqual(live);
});

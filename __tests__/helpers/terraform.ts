// The real terraform CLI and checkov, for the Terraform tier (npm run test:terraform puts them in place).
import { spawnSync } from "child_process";
import * as path from "path";

const CHECKOV = path.join(__dirname, "..", "..", ".venv-checkov", "bin", "checkov");

/** Runs terraform in a directory; never throws. */
export function terraform(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env, TF_IN_AUTOMATION: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** checkov's failed checks on a directory (`terraform` for HCL, `terraform_json` for cdktf's JSON). */
export function checkovFailures(dir: string, framework: "terraform" | "terraform_json"): any[] {
  const run = spawnSync(CHECKOV, ["-d", dir, "--framework", framework, "-o", "json", "--skip-download", "--quiet"], {
    encoding: "utf8",
    env: { ...process.env, BC_SKIP_MAPPING: "TRUE", LOG_LEVEL: "ERROR" },
  });
  if (run.error || !run.stdout) throw new Error(`checkov did not run (${CHECKOV}): ${run.error ?? run.stderr}`);
  return [JSON.parse(run.stdout)].flat().flatMap((r: any) => r.results?.failed_checks ?? []);
}

/** The inline `#checkov:skip=` comments of an HCL file that lack a reason of some length. */
export function unjustifiedSkips(hcl: string): string[] {
  return (hcl.match(/#checkov:skip=[^\n]*/g) ?? []).filter((skip) => !/^#checkov:skip=CKV2?_AWS_\d+:.{20,}/.test(skip));
}

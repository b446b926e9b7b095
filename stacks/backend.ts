import * as path from "path";
import { LocalBackend, TerraformStack } from "cdktf";

/** The project root, where cdktf.json is. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * Local state at the project root, `terraform.<stack>.tfstate`, written as a path
 * relative to the stack's folder in cdktf.out so that the synthesized Terraform
 * holds no machine-absolute path and state survives a fresh synth.
 */
export function useLocalBackend(stack: TerraformStack, outdir = "cdktf.out"): void {
  const stackDir = path.join(PROJECT_ROOT, outdir, "stacks", stack.node.id);
  const statePath = path.join(PROJECT_ROOT, `terraform.${stack.node.id}.tfstate`);
  new LocalBackend(stack, { path: path.relative(stackDir, statePath) });
}

import * as path from "path";
import { LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ValidationError } from "./errors";

/** Props of {@link PortableLocalBackend}. */
export interface PortableLocalBackendProps {
  /**
   * The directory of the state files, relative to the project directory (the directory that holds
   * cdktf's output directory, `cdktf.out`).
   * @default "." - the project directory, where cdktf keeps local state when no backend is set
   */
  readonly stateDirectory?: string;
}

/**
 * Local state, `terraform.<stack id>.tfstate` in the project directory, referenced by a path
 * relative to the stack's directory in the output (`../../../terraform.<stack id>.tfstate`).
 *
 * Without a backend, cdktf writes `path.join(process.cwd(), "terraform.<stack id>.tfstate")`: a
 * machine-absolute path (`/home/me/app/...`) that breaks on every other machine, in CI and in the
 * HCL converted from the stack. This is the same file by a relative path, so the synthesized
 * Terraform is the same everywhere and the state survives a fresh synth. Stacks that read this
 * stack's outputs through cdktf's cross-stack references get the same relative path (every stack
 * directory is at the same depth).
 *
 * ```ts
 * new PortableLocalBackend(this);
 * ```
 */
export class PortableLocalBackend extends LocalBackend {
  /**
   * The state path of a stack as the backend writes it, relative to the stack's directory in the
   * output; for a `DataTerraformRemoteStateLocal` that reads another stack's state.
   */
  public static statePath(stackId: string, props: PortableLocalBackendProps = {}): string {
    const dir = props.stateDirectory ?? ".";
    if (path.posix.isAbsolute(dir) || path.win32.isAbsolute(dir) || dir.includes("\\")) {
      throw new ValidationError("PortableLocalBackend", [
        `stateDirectory must be a path relative to the project directory, with "/" separators, got ${JSON.stringify(dir)}; an absolute path would tie the stack to one machine`,
      ]);
    }
    // cdktf writes each stack to <outdir>/stacks/<stack id>/ and terraform runs there: three levels
    // up is the directory that holds the output directory.
    return path.posix.join("..", "..", "..", dir, `terraform.${stackId}.tfstate`);
  }

  constructor(scope: Construct, props: PortableLocalBackendProps = {}) {
    super(scope, { path: PortableLocalBackend.statePath(TerraformStack.of(scope).node.id, props) });
  }
}

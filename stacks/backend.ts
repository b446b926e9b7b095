import {
  CloudBackend,
  DataTerraformRemoteState,
  DataTerraformRemoteStateLocal,
  DataTerraformRemoteStateS3,
  NamedCloudWorkspace,
  NamedRemoteWorkspace,
  S3Backend,
  TerraformRemoteState,
  TerraformStack,
} from "cdktf";
import { PortableLocalBackend } from "../lib/portable-local-backend";
import { ExampleConfig } from "./config";

/** Where the example stacks keep their state. */
export type BackendConfig =
  | { readonly type: "local" }
  | { readonly type: "s3"; readonly bucket: string; readonly keyPrefix: string; readonly region: string }
  | { readonly type: "cloud"; readonly organization: string; readonly workspacePrefix: string; readonly hostname?: string };

/**
 * For an AWS emulator (`awsEndpointUrl`, the rehearsal): the S3 backend and its remote state talk
 * to it instead of AWS. Nothing for real AWS.
 */
function s3EmulatorSettings(config: ExampleConfig) {
  const url = config.awsEndpointUrl;
  if (url === undefined) return {};
  return {
    endpoints: { s3: url, sts: url, iam: url },
    usePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
  };
}

/**
 * Configures a stack's backend:
 * - local: `terraform.<stack>.tfstate` at the project root, through a relative path (the library's
 *   PortableLocalBackend), so that the synthesized Terraform holds no machine-absolute path and state
 *   survives a fresh synth;
 * - s3: `<keyPrefix><stack>.tfstate` in a bucket, encrypted, locked with S3's own lock file (Terraform 1.10+);
 * - cloud: the Terraform Cloud workspace `<workspacePrefix><stack>` of an organization. No token is
 *   written anywhere: `terraform login` or TF_TOKEN_<hostname> gives it.
 */
export function useBackend(stack: TerraformStack, config: ExampleConfig): void {
  const id = stack.node.id;
  const backend = config.backend;
  switch (backend.type) {
    case "local":
      new PortableLocalBackend(stack);
      return;
    case "s3": {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}${id}.tfstate`,
        region: backend.region,
        encrypt: true,
        ...s3EmulatorSettings(config),
      });
      s3.addOverride("use_lockfile", true);
      return;
    }
    case "cloud":
      new CloudBackend(stack, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${id}`),
      });
      return;
  }
}

/** Reads another example stack's outputs from its state, wherever the backend keeps it. */
export function readStackState(stack: TerraformStack, config: ExampleConfig, otherStackId: string): TerraformRemoteState {
  const backend = config.backend;
  const id = otherStackId;
  switch (backend.type) {
    case "local":
      return new DataTerraformRemoteStateLocal(stack, id, { path: PortableLocalBackend.statePath(id) });
    case "s3":
      return new DataTerraformRemoteStateS3(stack, id, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}${id}.tfstate`,
        region: backend.region,
        ...s3EmulatorSettings(config),
      });
    case "cloud":
      return new DataTerraformRemoteState(stack, id, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedRemoteWorkspace(`${backend.workspacePrefix}${id}`),
      });
  }
}

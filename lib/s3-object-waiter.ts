import { AssetType, ITerraformDependable, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { packageAsset } from "./private/assets";
import { nameElement } from "./private/naming";

/** The waiter script, run by the `null_resource`'s local-exec provisioner. */
export const WAITER_SCRIPT = packageAsset("scripts/wait-for-compile.sh");

/** Props of {@link S3ObjectWaiter}. */
export interface S3ObjectWaiterProps {
  /** The bucket of the artifacts. */
  readonly bucket: string;
  /** The cache-key prefix, ending in `/`; the waiter waits for `<prefix>_SUCCESS`. */
  readonly prefix: string;
  /** The launch template that runs the compile instance. */
  readonly launchTemplateId: string;
  /** The launch template version to run. */
  readonly launchTemplateVersion: string;
  /** Subnets to try in turn, space-separated (a Terraform expression is fine). */
  readonly subnetIds: string;
  /** Whether to ask for spot capacity first. */
  readonly spot: boolean;
  /** Minutes after which the instance is terminated and the apply fails. */
  readonly deadlineMinutes: number;
  /** Seconds between polls. */
  readonly pollIntervalSeconds: number;
  /** The region of the stack. */
  readonly region: string;
  /** Conditions checked at plan time, before anything is launched. */
  readonly preconditions?: { readonly condition: unknown; readonly errorMessage: string }[];
  /** What must exist before the waiter runs (instance profile, code objects). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Holds `terraform apply` until the compiled artifacts are complete.
 *
 * A `null_resource` whose local-exec provisioner runs `wait-for-compile.sh` with
 * the AWS CLI: on a cache hit (`<prefix>_SUCCESS` present and matching) it returns
 * at once; otherwise it runs an instance from the launch template and polls the
 * markers and the instance until success, failure, instance death or the deadline.
 * Its triggers are the cache key and the launch template version, so a second
 * plan after success is empty and a new key runs it again.
 */
export class S3ObjectWaiter extends Construct {
  /** The `null_resource`; depend on it to use the artifacts. */
  public readonly resource: Resource;

  constructor(scope: Construct, id: string, props: S3ObjectWaiterProps) {
    super(scope, id);
    const script = new TerraformAsset(this, "Script", { path: WAITER_SCRIPT, type: AssetType.FILE });
    this.resource = nameElement(
      new Resource(this, "Resource", {
        triggers: {
          bucket: props.bucket,
          prefix: props.prefix,
          launch_template_id: props.launchTemplateId,
          launch_template_version: props.launchTemplateVersion,
        },
        dependsOn: props.dependsOn,
        lifecycle: props.preconditions?.length
          ? { precondition: props.preconditions.map((p) => ({ condition: p.condition, errorMessage: p.errorMessage })) }
          : undefined,
        provisioners: [
          {
            type: "local-exec",
            interpreter: ["/bin/sh"],
            command: script.path,
            environment: {
              NEURONX_BUCKET: props.bucket,
              NEURONX_PREFIX: props.prefix,
              NEURONX_LAUNCH_TEMPLATE_ID: props.launchTemplateId,
              NEURONX_LAUNCH_TEMPLATE_VERSION: props.launchTemplateVersion,
              NEURONX_SUBNET_IDS: props.subnetIds,
              NEURONX_SPOT: String(props.spot),
              NEURONX_DEADLINE_SECONDS: String(props.deadlineMinutes * 60),
              NEURONX_POLL_SECONDS: String(props.pollIntervalSeconds),
              NEURONX_REGION: props.region,
            },
          },
        ],
      }),
      scope,
      "waiter",
    );
  }

  /** `s3://<bucket>/<prefix>` read through the waiter, so whoever uses it waits for the artifacts. */
  public get artifactS3Url(): string {
    const bucket = this.resource.interpolationForAttribute("triggers.bucket");
    const prefix = this.resource.interpolationForAttribute("triggers.prefix");
    return `s3://${bucket}/${prefix}`;
  }
}

import { AssetType, ITerraformDependable, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { packageAsset } from "./private/assets";
import { TerraformData } from "./private/terraform-data";
import { nameElement } from "./private/naming";

/** The waiter script, run by the `null_resource`'s local-exec provisioner (and on destroy). */
export const WAITER_SCRIPT = packageAsset("scripts/wait-for-compile.sh");

/** What the waiter does on `terraform destroy`. */
export interface S3ObjectWaiterDestroyProps {
  /** Whether the bucket was created by this stack (then its destroy is checked). */
  readonly bucketCreated: boolean;
  /** Whether Terraform empties that bucket on destroy. */
  readonly bucketForceDestroy: boolean;
  /** The Terraform address of the bucket, for the message that refuses a destroy. */
  readonly bucketAddress: string;
  /** How the user sets force destroy, for the same message (`bucketForceDestroy: true`). */
  readonly forceDestroySetting: string;
  /** Everything that must outlive the check: it runs before any of them is destroyed. */
  readonly before: ITerraformDependable[];
}

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
  /** Minutes without a renewal of its lease after which the instance stops itself. */
  readonly abandonAfterMinutes: number;
  /** The region of the stack. */
  readonly region: string;
  /** The account of the stack (the AWS provider's); the waiter refuses a CLI in another. */
  readonly accountId: string;
  /** Conditions checked at plan time, before anything is launched. */
  readonly preconditions?: { readonly condition: unknown; readonly errorMessage: string }[];
  /** What must exist before the waiter runs (instance profile, code objects). */
  readonly dependsOn?: ITerraformDependable[];
  /** The destroy-time check: terminate the prefix's instances, guard a bucket of artifacts. */
  readonly onDestroy: S3ObjectWaiterDestroyProps;
}

/**
 * Holds `terraform apply` until the compiled artifacts are complete.
 *
 * A `null_resource` whose local-exec provisioner runs `wait-for-compile.sh` with
 * the AWS CLI: on a cache hit (`<prefix>_SUCCESS` present and matching) it returns
 * at once; otherwise it takes the prefix's lock, runs an instance from the launch
 * template (or adopts the one another apply runs) and polls the markers and the
 * instance until success, failure, instance death or the deadline, renewing the
 * instance's lease. Its triggers are the cache key and the launch template version,
 * so a second plan after success is empty and a new key runs it again.
 *
 * On destroy a `terraform_data` that every resource of the compile outlives runs
 * the same script first: it terminates the instances tagged with the prefix and
 * refuses (before anything is destroyed) to go on while a bucket this stack created
 * without force destroy holds artifacts.
 */
export class S3ObjectWaiter extends Construct {
  /** The `null_resource`; depend on it to use the artifacts. */
  public readonly resource: Resource;
  /** The `terraform_data` whose destroy-time provisioner runs first on destroy. */
  public readonly onDestroy: TerraformData;

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
              NEURONX_ABANDON_SECONDS: String(props.abandonAfterMinutes * 60),
              NEURONX_REGION: props.region,
              NEURONX_ACCOUNT_ID: props.accountId,
            },
          },
        ],
      }),
      scope,
      "waiter",
    );

    const destroy = props.onDestroy;
    const onDestroy = new TerraformData(this, "OnDestroy", {
      input: {
        bucket: props.bucket,
        prefix: props.prefix,
        region: props.region,
        account_id: props.accountId,
        bucket_created: String(destroy.bucketCreated),
        bucket_force_destroy: String(destroy.bucketForceDestroy),
      },
      // Destroyed before everything it depends on: the check runs while they all still exist.
      dependsOn: [...destroy.before, this.resource],
    });
    this.onDestroy = nameElement(onDestroy, scope, "on_destroy");
    const self = (key: string) => `\${self.input.${key}}`;
    onDestroy.addOverride("provisioner", [
      {
        "local-exec": {
          when: "destroy",
          interpreter: ["/bin/sh"],
          command: script.path,
          environment: {
            NEURONX_ACTION: "destroy",
            NEURONX_BUCKET: self("bucket"),
            NEURONX_PREFIX: self("prefix"),
            NEURONX_REGION: self("region"),
            NEURONX_ACCOUNT_ID: self("account_id"),
            NEURONX_BUCKET_CREATED: self("bucket_created"),
            NEURONX_BUCKET_FORCE_DESTROY: self("bucket_force_destroy"),
            NEURONX_BUCKET_ADDRESS: destroy.bucketAddress,
            NEURONX_SELF_ADDRESS: `terraform_data.${onDestroy.friendlyUniqueId}`,
            NEURONX_FORCE_DESTROY_SETTING: destroy.forceDestroySetting,
          },
        },
      },
    ]);
  }

  /** `s3://<bucket>/<prefix>` read through the waiter, so whoever uses it waits for the artifacts. */
  public get artifactS3Url(): string {
    const bucket = this.resource.interpolationForAttribute("triggers.bucket");
    const prefix = this.resource.interpolationForAttribute("triggers.prefix");
    return `s3://${bucket}/${prefix}`;
  }
}

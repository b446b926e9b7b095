import { Annotations, Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CloudformationStack } from "@cdktf/provider-aws/lib/cloudformation-stack";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsS3Objects } from "@cdktf/provider-aws/lib/data-aws-s3-objects";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { justifyCheckovSkip } from "./private/checkov";
import { nameElement } from "./private/naming";
import { TerraformData } from "./private/terraform-data";
import { Validator } from "./private/validation";
import { S3ObjectWaiter, S3ObjectWaiterProps } from "./s3-object-waiter";

/** What a compile waiter gives the construct: what to depend on, and the artifacts' URL read through it. */
export interface ICompileWaiter {
  /** The resource that completes when the artifacts do; depend on it to use them. */
  readonly resource: ITerraformDependable;
  /** `s3://<bucket>/<prefix>`, read through the waiter. */
  readonly artifactS3Url: string;
}

/** What {@link NeuronxCompile} hands its waiter: the local-exec waiter's props, and the compile's role and tags. */
export interface CompileWaiterBindProps extends S3ObjectWaiterProps {
  /** The compile instance's role name: the cloudFormation waiter lets it find and signal its stack. */
  readonly roleName: string;
  /** The ARN partition of the stack. */
  readonly partition: string;
  /** Tags for the stack (CloudFormation passes them on to the instance as well). */
  readonly tags: Record<string, string>;
  /** The construct path, for the stack's description. */
  readonly constructPath: string;
}

/** The props of NeuronxCompile the waiter choice constrains. */
export interface CompileWaiterCheckedProps {
  readonly spot?: boolean;
  readonly deadlineMinutes?: number;
  readonly abandonAfterMinutes?: number;
}

/** The stack's logical ids: the instance looks the signal handle up by its id. */
export const CFN_SIGNAL_HANDLE = "CompileSignal";
/** The wait condition whose failure reason reaches `terraform apply`. */
export const CFN_WAIT_CONDITION = "CompileDone";
/** Stacks of the cloudFormation waiter are named `neuronx-compile-<uuid>`: the instance role may signal only those. */
export const CFN_STACK_NAME_PREFIX = "neuronx-compile-";
/**
 * A wait condition's Timeout is at most 43200 seconds (12 hours)
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-waitcondition.html).
 */
export const CFN_MAX_DEADLINE_MINUTES = 720;
/** Why the waiter's stack sends no SNS notifications (checkov CKV_AWS_124); the HCL module carries the same. */
export const CFN_SNS_SKIP_REASON =
  "terraform apply reads the stack's events itself and prints a failure's reason; the stack lives as long as one compile.";

/** What the apply's credentials do with the waiter's stacks (waiterPolicyJson's WaiterStacks). */
export const CFN_WAITER_ACTIONS = [
  "cloudformation:CreateStack",
  "cloudformation:DeleteStack",
  "cloudformation:UpdateStack",
  "cloudformation:DescribeStacks",
  "cloudformation:DescribeStackEvents",
  "cloudformation:GetTemplate",
];

/** Terraform waits this much longer than CloudFormation's own timeout, so that CloudFormation's rollback reason is what it reports. */
export const CFN_ROLLBACK_ALLOWANCE_MINUTES = 20;

/**
 * How `terraform apply` waits for the compile.
 *
 * - {@link CompileWaiter.localExec} (the default): a `null_resource` whose local-exec provisioner runs
 *   `wait-for-compile.sh` with the AWS CLI on the machine that runs `terraform apply`. It holds the prefix's
 *   lock, renews the instance's lease, falls back from spot to on-demand and tries each subnet in turn.
 * - {@link CompileWaiter.cloudFormation}: an `aws_cloudformation_stack` that owns the compile instance (from
 *   the same launch template) and a wait condition the instance signals when `_SUCCESS` is written and verified,
 *   or with the failure's reason. The instance takes the prefix's lock itself (one writer per prefix, with either
 *   waiter), renews it every pollIntervalSeconds, and another compile takes it over after abandonAfterMinutes
 *   without a renewal, or at once when EC2 reports its instance gone. It runs entirely inside the AWS provider, with the provider's credentials:
 *   for Terraform Cloud's hosted runners, which have no AWS CLI.
 */
export abstract class CompileWaiter {
  /** Today's waiter: the AWS CLI on the machine that runs `terraform apply`. */
  public static localExec(): CompileWaiter {
    return new LocalExecCompileWaiter();
  }

  /** A CloudFormation stack owns the instance and waits for its signal: no AWS CLI needed. */
  public static cloudFormation(): CompileWaiter {
    return new CloudFormationCompileWaiter();
  }

  /** `localExec` or `cloudFormation`. */
  public abstract readonly kind: "localExec" | "cloudFormation";

  /**
   * Adds the problems of props this waiter cannot honour. (abandonAfterMinutes applies to both: with the
   * cloudFormation waiter it is how long the prefix lock, renewed by its instance, may go unrenewed before another
   * compile takes the prefix over.)
   */
  public abstract check(v: Validator, props: CompileWaiterCheckedProps): void;

  /** What the credentials of `terraform apply` need for this waiter besides the launch, tags and role (IAM statements). */
  public policyStatements(_stackArnPrefix: string): { sid: string; actions: string[]; resources: string[] }[] {
    return [];
  }

  /** Creates the waiter in the compile construct. */
  public abstract bind(scope: Construct, props: CompileWaiterBindProps): ICompileWaiter;
}

class LocalExecCompileWaiter extends CompileWaiter {
  public readonly kind = "localExec" as const;

  public check(): void {}

  public bind(scope: Construct, props: CompileWaiterBindProps): ICompileWaiter {
    return new S3ObjectWaiter(scope, "Waiter", props);
  }
}

class CloudFormationCompileWaiter extends CompileWaiter {
  public readonly kind = "cloudFormation" as const;

  public check(v: Validator, props: CompileWaiterCheckedProps): void {
    const p = v.problems;
    p.when(
      props.spot === true,
      "spot must be false with waiter CompileWaiter.cloudFormation(): an AWS::EC2::Instance cannot fall back to on-demand " +
        "when spot capacity is refused (the stack would fail instead); use CompileWaiter.localExec() for spot",
    );
    p.when(
      typeof props.deadlineMinutes === "number" && props.deadlineMinutes > CFN_MAX_DEADLINE_MINUTES,
      () =>
        `deadlineMinutes must be at most ${CFN_MAX_DEADLINE_MINUTES} with waiter CompileWaiter.cloudFormation() (a CloudFormation ` +
        `wait condition waits at most 12 hours), got ${props.deadlineMinutes}; lower it, or use CompileWaiter.localExec()`,
    );
  }

  public policyStatements(stackArnPrefix: string) {
    return [
      {
        // The provider creates, reads, replaces and deletes the waiter's stacks; CloudFormation runs the instance with
        // these same credentials (no service role), so RunFromLaunchTemplate, TagOnLaunch, PassCompileRole and
        // EndOwnInstances apply as for the localExec waiter.
        sid: "WaiterStacks",
        actions: CFN_WAITER_ACTIONS,
        resources: [`${stackArnPrefix}${CFN_STACK_NAME_PREFIX}*/*`],
      },
    ];
  }

  public bind(scope: Construct, props: CompileWaiterBindProps): ICompileWaiter {
    return new CloudFormationWaiter(scope, "Waiter", props);
  }
}

/**
 * The CloudFormation compile waiter (see {@link CompileWaiter.cloudFormation}).
 *
 * - `terraform_data.<id>_waiter_key`: its `triggers_replace` is the cache key and the launch template version; a
 *   change gives it a new id, so a new stack name, so a new stack (the old one is deleted first).
 * - `data.aws_s3_objects.<id>_success`: whether `<prefix>_SUCCESS` exists, read when the stack is planned. On a
 *   cache hit the stack is created with `CacheHit=true`: its template then holds only the signal handle, and no
 *   instance is launched. The parameter is in `ignore_changes`: the `_SUCCESS` that the compile writes does not
 *   make a second plan replace the stack.
 * - `aws_cloudformation_stack.<id>_waiter`: the instance (the compile's launch template, the first subnet) and a
 *   wait condition that times out at the deadline; CloudFormation rolls back (terminates the instance) on a
 *   failure signal or the timeout, and the provider reports the wait condition's reason.
 */
export class CloudFormationWaiter extends Construct implements ICompileWaiter {
  public readonly resource: CloudformationStack;
  public readonly artifactS3Url: string;

  constructor(scope: Construct, id: string, props: CompileWaiterBindProps) {
    super(scope, id);
    const key = nameElement(
      new TerraformData(this, "Key", {
        input: {},
        triggersReplace: {
          bucket: props.bucket,
          prefix: props.prefix,
          launch_template_id: props.launchTemplateId,
          launch_template_version: props.launchTemplateVersion,
        },
      }),
      scope,
      "waiter_key",
    );
    const success = nameElement(
      new DataAwsS3Objects(this, "Success", { bucket: props.bucket, prefix: `${props.prefix}_SUCCESS`, maxKeys: 1 }),
      scope,
      "success",
    );
    // The instance finds its stack by the tag CloudFormation puts on it, and the handle's URL in the stack.
    const signalPolicy = nameElement(
      new DataAwsIamPolicyDocument(this, "SignalPolicy", {
        statement: [
          {
            sid: "FindOwnStack",
            actions: ["ec2:DescribeTags"], // no resource-level permissions
            resources: ["*"],
          },
          {
            // The prefix lock (python/neuronx_compile/lock.py): a holder that EC2 reports gone is taken over at once.
            // DescribeInstances has no resource-level permissions; the region is as far as it narrows.
            sid: "SeeLockHolder",
            actions: ["ec2:DescribeInstances"],
            resources: ["*"],
            condition: [{ test: "StringEquals", variable: "aws:RequestedRegion", values: [props.region] }],
          },
          {
            sid: "ReadSignalHandle",
            actions: ["cloudformation:DescribeStackResource"],
            resources: [`${stackArnPrefix(props.partition, props.region, props.accountId)}${CFN_STACK_NAME_PREFIX}*/*`],
          },
        ],
      }),
      scope,
      "signal",
    );
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "SignalRolePolicy", {
        namePrefix: "neuronx-compile-signal-",
        role: props.roleName,
        policy: signalPolicy.json,
      }),
      scope,
      "signal",
    );
    const artifactUrl = `s3://${props.bucket}/${props.prefix}`;
    this.resource = nameElement(
      new CloudformationStack(this, "Stack", {
        name: `${CFN_STACK_NAME_PREFIX}${key.id}`,
        templateBody: CLOUDFORMATION_WAITER_TEMPLATE,
        parameters: {
          LaunchTemplateId: props.launchTemplateId,
          LaunchTemplateVersion: props.launchTemplateVersion,
          // The first subnet that offers the instance type: a stack runs one instance in one subnet.
          SubnetId: Fn.element(Fn.split(" ", props.subnetIds), 0),
          ArtifactS3Url: artifactUrl,
          TimeoutSeconds: String(props.deadlineMinutes * 60),
          CacheHit: `\${length(${success.fqn}.keys) > 0 ? "true" : "false"}`,
        },
        // Rollback (the default) terminates the instance; the failed stack stays, tainted, for its events.
        onFailure: "ROLLBACK",
        timeoutInMinutes: props.deadlineMinutes,
        timeouts: { create: `${props.deadlineMinutes + CFN_ROLLBACK_ALLOWANCE_MINUTES}m` },
        tags: props.tags,
        dependsOn: [...(props.dependsOn ?? []), rolePolicy],
        lifecycle: {
          ignoreChanges: ['parameters["CacheHit"]'],
          ...(props.preconditions?.length
            ? { precondition: props.preconditions.map((p) => ({ condition: p.condition, errorMessage: p.errorMessage })) }
            : {}),
        },
      }),
      scope,
      "waiter",
    );
    justifyCheckovSkip(this.resource, "CKV_AWS_124", CFN_SNS_SKIP_REASON);
    this.artifactS3Url = this.resource.outputs.lookup("ArtifactS3Url");
    if (props.onDestroy.bucketCreated && !props.onDestroy.bucketForceDestroy) {
      // The localExec waiter's destroy-time check needs the AWS CLI; this waiter has none to run it.
      Annotations.of(scope).addWarning(
        `with waiter CompileWaiter.cloudFormation() nothing checks the created bucket before terraform destroy: the destroy ` +
          `removes the stack and the rest, then fails with BucketNotEmpty on the bucket that keeps the artifacts. Set ` +
          `${props.onDestroy.forceDestroySetting} to delete them with it, or give an existing bucket.`,
      );
    }
  }
}

/**
 * The stack's template: literal JSON, the same for every compile (the values are stack parameters), so that the
 * HCL module carries the same text. CacheHit=true leaves only the signal handle: nothing is launched.
 */
export const CLOUDFORMATION_WAITER_TEMPLATE = JSON.stringify(
  {
    AWSTemplateFormatVersion: "2010-09-09",
    Description:
      "NeuronxCompile (cdktf-neuronx-patterns): the compile instance, and the wait condition it signals once _SUCCESS is written and verified, or with the failure's reason",
    Parameters: {
      LaunchTemplateId: { Type: "String" },
      LaunchTemplateVersion: { Type: "String" },
      SubnetId: { Type: "String" },
      ArtifactS3Url: { Type: "String" },
      CacheHit: { Type: "String", AllowedValues: ["true", "false"] },
      // The deadline; a wait condition waits at most 43200 seconds.
      TimeoutSeconds: { Type: "Number", MinValue: 1, MaxValue: CFN_MAX_DEADLINE_MINUTES * 60 },
    },
    Conditions: { Compile: { "Fn::Equals": [{ Ref: "CacheHit" }, "false"] } },
    Resources: {
      // Free, and always there: a stack needs one resource, and a cache hit has nothing else.
      [CFN_SIGNAL_HANDLE]: { Type: "AWS::CloudFormation::WaitConditionHandle" },
      CompileInstance: {
        Type: "AWS::EC2::Instance",
        Condition: "Compile",
        DependsOn: CFN_SIGNAL_HANDLE,
        Properties: {
          LaunchTemplate: { LaunchTemplateId: { Ref: "LaunchTemplateId" }, Version: { Ref: "LaunchTemplateVersion" } },
          SubnetId: { Ref: "SubnetId" },
        },
      },
      [CFN_WAIT_CONDITION]: {
        Type: "AWS::CloudFormation::WaitCondition",
        Condition: "Compile",
        DependsOn: "CompileInstance",
        Properties: { Handle: { Ref: CFN_SIGNAL_HANDLE }, Timeout: { Ref: "TimeoutSeconds" }, Count: 1 },
      },
    },
    Outputs: { ArtifactS3Url: { Value: { Ref: "ArtifactS3Url" } } },
  },
  null,
  2,
);

/** `arn:<partition>:cloudformation:<region>:<account>:stack/`: the stacks' ARNs begin so. */
export function stackArnPrefix(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:cloudformation:${region}:${accountId}:stack/`;
}

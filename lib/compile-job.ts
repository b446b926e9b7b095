import { Annotations, Fn, TerraformLocal, TerraformResource, Token } from "cdktf";
import { Construct } from "constructs";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { DataAwsEc2InstanceTypeOfferings } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type-offerings";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { isCommitSha } from "./compile-settings";
import { ContainerImageConfig } from "./container-images";
import { ValidationError } from "./errors";
import { Model } from "./model";
import { RULES } from "./patterns";
import { ArtifactBucket } from "./private/artifact-bucket";
import { packageAsset } from "./private/assets";
import { nameElement } from "./private/naming";
import { hashDirectory, uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { Validator, checkImageConfig, descriptionText, show } from "./private/validation";
import { CompileWaiter, ICompileWaiter, stackArnPrefix } from "./compile-waiter";
import { USER_DATA_LIMIT_BYTES, renderCompileUserData } from "./user-data";

/**
 * The props every compile job of this library takes, whatever its backend: the model, where the artifacts go, the
 * instance's network, spot, AMI, token, deadline, lease, waiter and tags. Each backend adds its options, instance
 * types and image ({@link NeuronxCompileProps}, {@link OptimumNeuronCompileProps}).
 */
export interface NeuronCompileJobProps {
  /** The model to compile, e.g. `Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct")`. */
  readonly model: Model;
  /**
   * The bucket for the artifacts: a bucket of this stack, or the name of an existing one.
   * @default - a private, encrypted, versioned, TLS-only bucket is created
   */
  readonly bucket?: S3Bucket | string;
  /**
   * Delete every object of the created bucket on `terraform destroy`. Only for the bucket this construct creates.
   * @default false
   */
  readonly bucketForceDestroy?: boolean;
  /**
   * The subnet of the compile instance. It needs a route to the Hugging Face Hub, ECR and S3.
   * @default - the default VPC's subnets in the Availability Zones that offer the compile instance type, tried in turn
   */
  readonly subnetId?: string;
  /**
   * Ask for spot capacity first, and fall back to on-demand when spot capacity is refused.
   * @default false
   */
  readonly spot?: boolean;
  /**
   * The AMI of the compile instance. It needs the Neuron driver; Docker is installed if missing.
   * @default - the AMI named by amiSsmParameter
   */
  readonly amiId?: string;
  /**
   * The SSM parameter that holds the AMI id, resolved at plan time.
   * @default "/aws/service/neuron/dlami/base/ubuntu-22.04/latest/image_id" (the Neuron base DLAMI)
   */
  readonly amiSsmParameter?: string;
  /**
   * A Secrets Manager secret holding a Hugging Face token (the secret string), for gated or private models.
   * The instance reads it at run time; it never enters user data, Terraform state or logs.
   * @default - no token: public models only
   */
  readonly huggingFaceTokenSecretArn?: string;
  /**
   * The customer managed KMS key that encrypts the token's secret. The instance role may decrypt with it
   * only through Secrets Manager (`kms:ViaService`). Not needed for a secret under the AWS managed key.
   * @default - the secret is encrypted with the AWS managed key `aws/secretsmanager`
   */
  readonly huggingFaceTokenKmsKeyArn?: string;
  /**
   * Minutes after which the compile instance is terminated and the apply fails.
   * @default 180
   */
  readonly deadlineMinutes?: number;
  /**
   * Seconds between the waiter's polls of the markers and the instance.
   * @default 30
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Minutes the compile instance goes on without an apply renewing its lease (the apply was cancelled, killed, or
   * lost its credentials) before it stops itself: what a killed apply costs at most. A re-apply within it adopts
   * the running compile. With `CompileWaiter.cloudFormation()` no apply renews a lease (the deadline bounds the
   * instance); it is how long the prefix lock, which that instance renews, may go unrenewed before another compile
   * takes the prefix over.
   * @default 15, or deadlineMinutes when that is less
   */
  readonly abandonAfterMinutes?: number;
  /**
   * Size of the compile instance's root volume in GiB.
   * @default - the DLAMI, the container image and three copies of the checkpoint, rounded up to 10 GiB
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * How `terraform apply` waits for the compile: `CompileWaiter.localExec()` (the AWS CLI on the machine that runs
   * apply) or `CompileWaiter.cloudFormation()` (a CloudFormation stack, inside the AWS provider: Terraform Cloud's
   * hosted runners). See the README's "Terraform Cloud" section.
   * @default CompileWaiter.localExec()
   */
  readonly waiter?: CompileWaiter;
  /**
   * Tags for every resource, the instance and its volume.
   * @default - only the construct's own tags (`neuronx:model`, `neuronx:revision`, `ManagedBy`)
   */
  readonly tags?: Record<string, string>;
}

/** Defaults of {@link NeuronCompileJobProps}, for every backend. */
export const NEURON_COMPILE_JOB_DEFAULTS = {
  amiSsmParameter: "/aws/service/neuron/dlami/base/ubuntu-22.04/latest/image_id",
  deadlineMinutes: 180,
  pollIntervalSeconds: 30,
  abandonAfterMinutes: 15,
  spot: false,
  bucketForceDestroy: false,
} as const;

/** Bounds of the numeric props. */
export const NEURON_COMPILE_JOB_LIMITS = {
  deadlineMinutes: { min: 10, max: 2880 },
  pollIntervalSeconds: { min: 5, max: 600 },
  abandonAfterMinutes: { min: 1, max: 1440 },
  rootVolumeSizeGiB: { min: 100, max: 16384 },
} as const;

/** The tags every compile instance carries, so that an apply, a destroy and the waiter's policy find it. */
export const INSTANCE_TAGS = { bucket: "neuronx:bucket", prefix: "neuronx:prefix" } as const;

/** What RunInstances creates or uses for a compile instance besides its launch template and AMI (spot included). */
export const RUN_INSTANCES_RESOURCES = [
  "instance",
  "volume",
  "network-interface",
  "subnet",
  "security-group",
  "spot-instances-request",
] as const;

/** EC2's limit on a tag value: the prefix is one. */
export const TAG_VALUE_LIMIT = 256;

/** Set to "true" in the compile's environment when the model allows pickled weights. */
export const ALLOW_PICKLE_WEIGHTS_ENV = "NEURONX_ALLOW_PICKLE_WEIGHTS";

/** Where the endpoint's inference code goes below the artifacts' prefix; the compile role may not write it. */
export const CODE_FOLDER = "code/";

/** Where the compile script is shipped, beside the artifacts: `_neuronx/bootstrap/<content hash>/`. */
export const BOOTSTRAP_KEY_ROOT = "_neuronx/bootstrap/";

/** The compile script's package, shipped to S3 and run inside the container. */
export const COMPILE_PACKAGE_DIR = packageAsset("python/neuronx_compile");

/** The image a compile job runs in: one of this library's Neuron image classes, or any with these two members. */
export interface CompileJobImage {
  /** The Neuron SDK release inside the image; part of the cache key. */
  readonly neuronSdkVersion: string;
  /** Resolves the image for a stack. */
  bind(scope: Construct): ContainerImageConfig;
}

/** What a backend's recipe decided once its props are valid: what the job runs, where, and under which cache key. */
export interface CompileJobPlan {
  /** The artifacts' cache-key prefix, ending in `/`: a backend's prefixes never equal another's. */
  readonly cacheKeyPrefix: string;
  /** The backend's environment of the compile (its settings), exported by the user data beside the job's own. */
  readonly environment: Readonly<Record<string, string>>;
  /** The Neuron SDK release that compiles, for the launch template's description. */
  readonly neuronSdkVersion: string;
  /** The image the job runs in. */
  readonly image: CompileJobImage;
  /** The prop that names the image, for messages. */
  readonly imageProp: string;
  /** The EC2 instance type that compiles. */
  readonly compileInstanceType: string;
  /** The root volume the job needs, in GiB (the default of rootVolumeSizeGiB, and its least value). */
  readonly rootVolumeGiB: number;
}

/**
 * What one backend compiles, and how: its options, instance types, image and settings. The compile job
 * ({@link NeuronCompileJob}) owns everything else (bucket, network, roles, launch template, waiter, lease, markers)
 * and asks the recipe, in the order of the props, so that every problem is reported at once: `checkOptions` after
 * the model, `checkImage` where the image prop is, `checkInstanceTypes` after the timing props, then `plan`.
 */
export interface CompileJobRecipe {
  /** The construct's name, for messages, e.g. "NeuronxCompile". */
  readonly kind: string;
  /** What the props must be, for the message when they are not an object. */
  readonly propsDescription: string;
  /** Checks the backend's options; true when they are valid. */
  checkOptions(v: Validator): boolean;
  /** Checks the image prop. */
  checkImage(v: Validator): void;
  /** Checks the instance type props; true when they are valid. */
  checkInstanceTypes(v: Validator): boolean;
  /**
   * Sizes the model and settles the plan, adding problems instead when it cannot (a model that does not fit);
   * asked only when the model, the options and the instance types are valid.
   */
  plan(v: Validator): CompileJobPlan | undefined;
}

/**
 * The compile job every backend shares: a temporary EC2 instance, described by a launch template and run by the
 * waiter as a job, compiles the model in the backend's image and uploads the artifacts to S3 under the cache-key
 * prefix; `terraform apply` waits until they are complete. A second plan after success is empty and a cache hit
 * (same model, options and SDK) launches nothing. The backends ({@link NeuronxCompile}, {@link OptimumNeuronCompile})
 * differ only in their recipe.
 */
export abstract class NeuronCompileJob extends Construct {
  /** `s3://<bucket>/<prefix>`: the artifacts. Read through the waiter, so users of it wait for the compile. */
  public readonly compiledArtifactS3Url: string;
  /** The bucket name. */
  public readonly bucketName: string;
  /** The bucket ARN. */
  public readonly bucketArn: string;
  /** The cache-key prefix of the artifacts in the bucket, ending in `/`. */
  public readonly artifactPrefix: string;
  /** The waiter; depend on its resource to use the artifacts. */
  public readonly waiter: ICompileWaiter;
  /** The launch template of the compile instance. */
  public readonly launchTemplate: LaunchTemplate;
  /** The compile instance's role. */
  public readonly role: IamRole;
  /** The most bytes the user data can take once Terraform resolves it (EC2 allows 16 KiB). */
  public readonly userDataMaxBytes: number;
  /**
   * An IAM policy document (JSON) with what the machine that runs `terraform apply` needs for the waiter: the
   * prefix's objects, runs from this launch template (with the compile role and tags), and terminating only the
   * compile instances of this prefix. Attach it to the role your applies run with, besides what the rest of the
   * stack needs.
   */
  public readonly waiterPolicyJson: string;

  /** The instance type that compiles (EC2 name). */
  public readonly compileInstanceType: string;

  protected constructor(scope: Construct, id: string, props: NeuronCompileJobProps, recipe: CompileJobRecipe) {
    super(scope, id);
    const { plan, checks } = validate(this, props, recipe);
    this.compileInstanceType = plan.compileInstanceType;
    this.artifactPrefix = plan.cacheKeyPrefix;

    const tags: Record<string, string> = {
      "neuronx:model": props.model.modelId,
      "neuronx:revision": props.model.revision,
      ManagedBy: "cdktf-neuronx-patterns",
      ...props.tags,
    };
    const region = currentRegion(this).region;
    const partition = currentPartition(this).partition;
    const accountId = currentAccount(this).accountId;
    if (!isCommitSha(props.model.revision)) {
      Annotations.of(this).addWarning(
        `revision ${JSON.stringify(props.model.revision)} is not a commit sha: the artifacts are cached by that name, so a newer ` +
          `commit on the Hub is not compiled until the cache key changes. Pin a 40-hex commit for reproducible builds; ` +
          `manifest.json records the commit each compile resolved.`,
      );
    }

    // S3 objects take at most 10 tags: the code objects carry the construct's own only.
    const ownTags = { "neuronx:model": props.model.modelId, "neuronx:revision": props.model.revision, ManagedBy: "cdktf-neuronx-patterns" };

    // Bucket: given, or created the way a platform team would.
    let createdBucket: S3Bucket | undefined;
    if (props.bucket === undefined) {
      createdBucket = new ArtifactBucket(this, "Bucket", {
        forceDestroy: props.bucketForceDestroy ?? NEURON_COMPILE_JOB_DEFAULTS.bucketForceDestroy,
        tags,
      }).bucket;
      this.bucketName = createdBucket.bucket;
      this.bucketArn = createdBucket.arn;
    } else if (typeof props.bucket === "string") {
      this.bucketName = props.bucket;
      this.bucketArn = `arn:${partition}:s3:::${props.bucket}`;
    } else {
      this.bucketName = props.bucket.bucket;
      this.bucketArn = props.bucket.arn;
    }

    const image = plan.image.bind(this);
    const imageCheck = new Validator(this);
    checkImageConfig(imageCheck, plan.imageProp, plan.image, image);
    imageCheck.problems.throwIfAny(this.node.path);
    const code = this.shipCompileScript(ownTags);
    const network = this.network(props, tags, recipe.kind);
    const instanceRole = this.instanceRole(
      props,
      image,
      code.prefix,
      tags,
      checks.preconditionsFor("bucket", "huggingFaceTokenSecretArn", "huggingFaceTokenKmsKeyArn"),
    );
    this.role = instanceRole.role;
    const profile = nameElement(
      new IamInstanceProfile(this, "InstanceProfile", { namePrefix: "neuronx-compile-", role: this.role.name, tags }),
      this,
    );

    // AMI: the Neuron DLAMI of the region (resolved at plan time) unless one is given.
    const imageId =
      props.amiId ??
      nameElement(
        new DataAwsSsmParameter(this, "AmiParameter", {
          name: props.amiSsmParameter ?? NEURON_COMPILE_JOB_DEFAULTS.amiSsmParameter,
        }),
        this,
      ).insecureValue; // an AMI id is not a secret; `value` would mark every plan line that uses it sensitive
    const ami = nameElement(new DataAwsAmi(this, "Ami", { filter: [{ name: "image-id", values: [imageId] }] }), this);

    const deadlineMinutes = props.deadlineMinutes ?? NEURON_COMPILE_JOB_DEFAULTS.deadlineMinutes;
    const pollIntervalSeconds = props.pollIntervalSeconds ?? NEURON_COMPILE_JOB_DEFAULTS.pollIntervalSeconds;
    const abandonAfterMinutes = abandonAfter(props);
    const userData = renderCompileUserData({
      constructPath: this.node.path,
      kind: recipe.kind,
      deadlineMinutes,
      environment: {
        ...plan.environment,
        NEURONX_BUCKET: this.bucketName,
        NEURONX_PREFIX: this.artifactPrefix,
        NEURONX_REGION: region,
        AWS_DEFAULT_REGION: region,
        NEURONX_IMAGE: image.imageUri,
        NEURONX_REGISTRY: image.registry,
        NEURONX_CODE_PREFIX: code.prefix,
        // The lease watchdog: checked every poll interval, given up after abandonAfterMinutes.
        NEURONX_LEASE_CHECK_SECONDS: String(pollIntervalSeconds),
        NEURONX_ABANDON_AFTER_SECONDS: String(abandonAfterMinutes * 60),
        ...(props.huggingFaceTokenSecretArn ? { NEURONX_HF_TOKEN_SECRET_ARN: props.huggingFaceTokenSecretArn } : {}),
        ...(props.model.allowPickleWeights ? { [ALLOW_PICKLE_WEIGHTS_ENV]: "true" } : {}),
      },
    });
    this.userDataMaxBytes = userData.maxBytes;
    if (userData.maxBytes > USER_DATA_LIMIT_BYTES) {
      // The body is fixed and the environment small; reaching this means the script grew past EC2's limit.
      throw new ValidationError(this.node.path, [
        `the rendered user data can reach ${userData.maxBytes} bytes, over EC2's limit of ${USER_DATA_LIMIT_BYTES}; ship more of it as S3 objects`,
      ]);
    }

    // The bucket and prefix tags find the instance again: a later apply adopts it, destroy terminates it, and the
    // waiter's policy lets it terminate only these.
    const instanceTags = {
      ...tags,
      Name: `neuronx-compile ${props.model.modelId}`,
      [INSTANCE_TAGS.bucket]: this.bucketName,
      [INSTANCE_TAGS.prefix]: this.artifactPrefix,
    };
    this.launchTemplate = nameElement(
      new LaunchTemplate(this, "LaunchTemplate", {
        namePrefix: "neuronx-compile-",
        // EC2 takes at most 255 characters; the construct path is the user's text.
        description: descriptionText(
          `Compiles ${props.model.modelId}@${props.model.revision} with the Neuron SDK ${plan.neuronSdkVersion} (${this.node.path})`,
          255,
        ),
        imageId: ami.id,
        instanceType: this.compileInstanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [network.securityGroupId],
        // The user data ends with `shutdown -h now`: the instance goes away by itself.
        instanceInitiatedShutdownBehavior: "terminate",
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // The container runs with host networking, so one hop reaches IMDS.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: ami.rootDeviceName,
            ebs: {
              volumeSize: props.rootVolumeSizeGiB ?? plan.rootVolumeGiB,
              volumeType: "gp3",
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        // In a local, so the script reads as a script in the generated Terraform.
        userData: Fn.base64encode(nameElement(new TerraformLocal(this, "UserData", userData.script), this, "user_data").asString),
        updateDefaultVersion: true,
        tagSpecifications: [
          { resourceType: "instance", tags: instanceTags },
          { resourceType: "volume", tags: instanceTags },
        ],
        tags,
        // References that reach the user data are checked before it is written.
        lifecycle: launchTemplatePreconditions(checks),
      }),
      this,
    );

    const preconditions = [...network.preconditions, ...checks.preconditionsFor("bucket", "subnetId")];
    if (image.regionCheck) preconditions.push(image.regionCheck);
    const waiter = props.waiter ?? CompileWaiter.localExec();
    this.waiterPolicyJson = this.waiterPolicy(partition, region, accountId, createdBucket !== undefined, waiter).json;
    // Every resource of the compile so far: on destroy, the waiter's check runs before any of them goes.
    const resources = this.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
    this.waiter = waiter.bind(this, {
      roleName: this.role.name,
      partition,
      tags,
      constructPath: this.node.path,
      bucket: this.bucketName,
      prefix: this.artifactPrefix,
      launchTemplateId: this.launchTemplate.id,
      launchTemplateVersion: Token.asString(this.launchTemplate.latestVersion),
      subnetIds: network.subnetIds,
      spot: props.spot ?? NEURON_COMPILE_JOB_DEFAULTS.spot,
      deadlineMinutes,
      pollIntervalSeconds,
      abandonAfterMinutes,
      region,
      accountId,
      preconditions,
      dependsOn: [code.objects, instanceRole.policy],
      onDestroy: {
        bucketCreated: createdBucket !== undefined,
        bucketForceDestroy: props.bucketForceDestroy ?? NEURON_COMPILE_JOB_DEFAULTS.bucketForceDestroy,
        bucketAddress: createdBucket ? `aws_s3_bucket.${createdBucket.friendlyUniqueId}` : "",
        forceDestroySetting: "bucketForceDestroy: true",
        before: resources,
      },
    });
    this.compiledArtifactS3Url = this.waiter.artifactS3Url;
  }

  /**
   * The least the waiter needs: the prefix's objects (markers, lock); runs from this launch template only, with the
   * compile role passed to EC2 and the template's tags; the instances of this prefix only to terminate and read.
   */
  private waiterPolicy(
    partition: string,
    region: string,
    accountId: string,
    bucketCreated: boolean,
    waiter: CompileWaiter,
  ): DataAwsIamPolicyDocument {
    const ec2Arn = (resource: string) => `arn:${partition}:ec2:${region}:${accountId}:${resource}`;
    return nameElement(
      new DataAwsIamPolicyDocument(this, "WaiterPolicy", {
        statement: [
          {
            sid: "ReadWriteMarkersAndLock",
            actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources: [`${this.bucketArn}/${this.artifactPrefix}*`],
          },
          {
            sid: "ListPrefix",
            actions: ["s3:ListBucket"],
            resources: [this.bucketArn],
            condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${this.artifactPrefix}*`] }],
          },
          // On destroy, a bucket this stack created is checked for artifacts, every version of them.
          ...(bucketCreated ? [{ sid: "ListVersionsOnDestroy", actions: ["s3:ListBucketVersions"], resources: [this.bucketArn] }] : []),
          {
            // RunInstances touches each of these; all of it only for a request that names this launch template
            // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/use-launch-templates-to-control-launching-instances.html).
            // AMIs have no account in their ARN.
            sid: "RunFromLaunchTemplate",
            actions: ["ec2:RunInstances"],
            resources: [
              ec2Arn(`launch-template/${this.launchTemplate.id}`),
              ...RUN_INSTANCES_RESOURCES.map((r) => ec2Arn(`${r}/*`)),
              `arn:${partition}:ec2:${region}::image/*`,
            ],
            condition: [
              { test: "ArnEquals", variable: "ec2:LaunchTemplate", values: [ec2Arn(`launch-template/${this.launchTemplate.id}`)] },
            ],
          },
          {
            // The template's tag specifications are applied by RunInstances, which needs CreateTags for them.
            sid: "TagOnLaunch",
            actions: ["ec2:CreateTags"],
            resources: [ec2Arn("instance/*"), ec2Arn("volume/*")],
            condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: ["RunInstances"] }],
          },
          {
            sid: "PassCompileRole",
            actions: ["iam:PassRole"],
            resources: [this.role.arn],
            condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: ["ec2.amazonaws.com"] }],
          },
          {
            sid: "EndOwnInstances",
            actions: ["ec2:TerminateInstances", "ec2:GetConsoleOutput"],
            resources: [ec2Arn("instance/*")],
            condition: [
              { test: "StringEquals", variable: `aws:ResourceTag/${INSTANCE_TAGS.bucket}`, values: [this.bucketName] },
              { test: "StringEquals", variable: `aws:ResourceTag/${INSTANCE_TAGS.prefix}`, values: [this.artifactPrefix] },
            ],
          },
          {
            // Describe actions have no resource-level permissions.
            sid: "DescribeInstances",
            actions: ["ec2:DescribeInstances"],
            resources: ["*"],
          },
          ...waiter.policyStatements(stackArnPrefix(partition, region, accountId)),
        ],
      }),
      this,
      "waiter",
    );
  }

  /** Uploads the compile script's package next to the artifacts, keyed by its content. */
  private shipCompileScript(tags: Record<string, string>): { prefix: string; objects: S3Object } {
    const prefix = `${BOOTSTRAP_KEY_ROOT}${hashDirectory(COMPILE_PACKAGE_DIR)}/`;
    const objects = uploadDirectory(this, "CompileScript", {
      dir: COMPILE_PACKAGE_DIR,
      bucket: this.bucketName,
      keyPrefix: `${prefix}neuronx_compile/`,
      pattern: "**/*.py",
      contentType: "text/x-python",
      tags,
      owner: this,
      suffix: "script",
    });
    return { prefix, objects };
  }

  /** The subnets to try and the security group, with plan-time checks that the instance type is offered there. */
  private network(props: NeuronCompileJobProps, tags: Record<string, string>, kind: string) {
    const offerings = nameElement(
      new DataAwsEc2InstanceTypeOfferings(this, "Offerings", {
        locationType: "availability-zone",
        filter: [{ name: "instance-type", values: [this.compileInstanceType] }],
      }),
      this,
    );
    let vpcId: string;
    let subnetIds: string;
    let preconditions: { condition: unknown; errorMessage: string }[];
    if (props.subnetId !== undefined) {
      const subnet = nameElement(new DataAwsSubnet(this, "Subnet", { id: props.subnetId }), this);
      vpcId = subnet.vpcId;
      subnetIds = props.subnetId;
      preconditions = [
        {
          condition: Fn.contains(offerings.locations, subnet.availabilityZone),
          errorMessage: `The subnet given as subnetId is in an Availability Zone that does not offer ${this.compileInstanceType}. Choose a subnet in a zone that offers it.`,
        },
      ];
    } else {
      const vpc = nameElement(new DataAwsVpc(this, "DefaultVpc", { default: true }), this, "default");
      vpcId = vpc.id;
      const subnets = nameElement(
        new DataAwsSubnets(this, "Subnets", {
          filter: [
            { name: "vpc-id", values: [vpc.id] },
            { name: "default-for-az", values: ["true"] },
            { name: "availability-zone", values: offerings.locations },
          ],
        }),
        this,
      );
      subnetIds = Fn.join(" ", Fn.sort(subnets.ids));
      preconditions = [
        {
          condition: `\${length(${subnets.fqn}.ids) > 0}`,
          errorMessage: `The default VPC has no default subnet in an Availability Zone that offers ${this.compileInstanceType}. Set subnetId to a subnet in a zone that offers it.`,
        },
      ];
    }
    const securityGroup = nameElement(
      new SecurityGroup(this, "SecurityGroup", {
        namePrefix: "neuronx-compile-",
        description: `${kind} instance: no ingress; egress to the Hugging Face Hub, ECR, S3 and OS packages`,
        vpcId,
        tags,
        lifecycle: { createBeforeDestroy: true },
      }),
      this,
    );
    for (const [name, port, why] of [
      ["https", 443, "HTTPS to the Hugging Face Hub, ECR and S3"],
      ["http", 80, "HTTP to the OS package mirrors, used only if Docker must be installed"],
    ] as const) {
      nameElement(
        new VpcSecurityGroupEgressRule(this, `Egress-${name}`, {
          securityGroupId: securityGroup.id,
          description: why,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: "0.0.0.0/0",
          tags,
        }),
        this,
        name,
      );
    }
    return { securityGroupId: securityGroup.id, subnetIds, preconditions };
  }

  /** The instance role: S3 rights on its own prefix only, pull of its image, and the token secret if any. */
  private instanceRole(
    props: NeuronCompileJobProps,
    image: ContainerImageConfig,
    codePrefix: string,
    tags: Record<string, string>,
    preconditions: { condition: unknown; errorMessage: string }[],
  ): { role: IamRole; policy: IamRolePolicy } {
    const assume = nameElement(
      new DataAwsIamPolicyDocument(this, "AssumeRole", {
        statement: [
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
          },
        ],
      }),
      this,
      "assume_role",
    );
    const role = nameElement(
      new IamRole(this, "Role", {
        namePrefix: "neuronx-compile-",
        description: descriptionText(
          `Compile instance of ${this.node.path}: writes ${this.artifactPrefix} only, never its ${CODE_FOLDER}`,
          1000,
        ),
        assumeRolePolicy: assume.json,
        tags,
      }),
      this,
    );
    const statements = [
      {
        sid: "ReadWriteOwnArtifacts",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        resources: [`${this.bucketArn}/${this.artifactPrefix}*`],
      },
      {
        sid: "ReadCompileScript",
        actions: ["s3:GetObject"],
        resources: [`${this.bucketArn}/${codePrefix}*`],
      },
      {
        sid: "ListOwnPrefixes",
        actions: ["s3:ListBucket"],
        resources: [this.bucketArn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${this.artifactPrefix}*`, `${codePrefix}*`] }],
      },
      {
        sid: "PullServingImage",
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        resources: [image.repositoryArn],
      },
      {
        // GetAuthorizationToken has no resource-level permissions.
        sid: "LogInToEcr",
        actions: ["ecr:GetAuthorizationToken"],
        resources: ["*"],
      },
      {
        // The endpoint runs what is under <prefix>code/: the compile (which runs the model repository's
        // code paths and holds the Hugging Face token) must not be able to change it.
        sid: "DenyEndpointCode",
        effect: "Deny",
        actions: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        resources: [`${this.bucketArn}/${this.artifactPrefix}${CODE_FOLDER}*`],
      },
      ...(props.huggingFaceTokenSecretArn
        ? [{ sid: "ReadHuggingFaceToken", actions: ["secretsmanager:GetSecretValue"], resources: [props.huggingFaceTokenSecretArn] }]
        : []),
      ...(props.huggingFaceTokenKmsKeyArn
        ? [
            {
              // Secrets Manager decrypts the secret with the caller's rights; only through it.
              sid: "DecryptHuggingFaceToken",
              actions: ["kms:Decrypt"],
              resources: [props.huggingFaceTokenKmsKeyArn],
              condition: [
                {
                  test: "StringEquals",
                  variable: "kms:ViaService",
                  values: [`secretsmanager.${currentRegion(this).region}.${currentPartition(this).dnsSuffix}`],
                },
              ],
            },
          ]
        : []),
    ];
    const policy = nameElement(
      new DataAwsIamPolicyDocument(this, "Policy", {
        statement: statements,
        lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
      }),
      this,
    );
    const rolePolicy = nameElement(
      new IamRolePolicy(this, "RolePolicy", { namePrefix: "neuronx-compile-", role: role.id, policy: policy.json }),
      this,
    );
    return { role, policy: rolePolicy };
  }
}

/** The launch template's preconditions: the references that reach its user data or its other settings. */
function launchTemplatePreconditions(checks: Validator) {
  const precondition = checks.preconditionsFor("bucket", "huggingFaceTokenSecretArn", "amiId", "amiSsmParameter", "tags");
  return precondition.length > 0 ? { precondition } : undefined;
}

/** Checks every prop, collects every problem, sizes the model, and throws once. */
function validate(
  construct: Construct,
  props: NeuronCompileJobProps,
  recipe: CompileJobRecipe,
): { plan: CompileJobPlan; checks: Validator } {
  const v = new Validator(construct);
  const problems = v.problems;
  if (!v.record("props", props, { optional: false, what: recipe.propsDescription })) {
    problems.throwIfAny(construct.node.path);
  }
  const modelOk = Model.check(v, "model", props.model);
  const optionsValid = recipe.checkOptions(v);
  const limits = NEURON_COMPILE_JOB_LIMITS;
  const intIn = (prop: keyof typeof limits, value: unknown, unit: string) =>
    v.integer(prop, value, limits[prop].min, limits[prop].max, { unit });

  if (typeof props.bucket === "string") {
    v.string("bucket", props.bucket, RULES.bucketName);
  } else if (props.bucket !== undefined && !(props.bucket instanceof S3Bucket)) {
    problems.add(`bucket must be an S3Bucket of this stack or an existing bucket's name, got ${show(props.bucket)}`);
  }
  v.boolean("bucketForceDestroy", props.bucketForceDestroy);
  problems.when(
    props.bucket !== undefined && props.bucketForceDestroy !== undefined,
    "bucketForceDestroy applies only to the bucket this construct creates, but bucket is given; manage force_destroy where that bucket is defined",
  );
  v.string("subnetId", props.subnetId, RULES.subnetId);
  v.boolean("spot", props.spot);
  if (props.waiter !== undefined && !(props.waiter instanceof CompileWaiter)) {
    problems.add(`waiter must be CompileWaiter.localExec() or CompileWaiter.cloudFormation(), got ${show(props.waiter)}`);
  } else {
    props.waiter?.check(v, props);
  }
  v.string("amiId", props.amiId, RULES.amiId);
  v.string("amiSsmParameter", props.amiSsmParameter, RULES.ssmParameterName);
  problems.when(
    props.amiId !== undefined && props.amiSsmParameter !== undefined,
    "amiId and amiSsmParameter both name the AMI; set only one",
  );
  recipe.checkImage(v);
  v.string("huggingFaceTokenSecretArn", props.huggingFaceTokenSecretArn, RULES.secretArn);
  v.string("huggingFaceTokenKmsKeyArn", props.huggingFaceTokenKmsKeyArn, RULES.kmsKeyArn);
  problems.when(
    props.huggingFaceTokenKmsKeyArn !== undefined && props.huggingFaceTokenSecretArn === undefined,
    "huggingFaceTokenKmsKeyArn is the key of the token's secret, but huggingFaceTokenSecretArn is not set; set both, or neither",
  );
  // Valid: given and within its limits, or not given (then its default is).
  const deadlineValid = intIn("deadlineMinutes", props.deadlineMinutes, "minutes") || props.deadlineMinutes === undefined;
  const pollValid = intIn("pollIntervalSeconds", props.pollIntervalSeconds, "seconds") || props.pollIntervalSeconds === undefined;
  const abandonGiven = intIn("abandonAfterMinutes", props.abandonAfterMinutes, "minutes");
  const abandonValid = abandonGiven || props.abandonAfterMinutes === undefined;
  intIn("rootVolumeSizeGiB", props.rootVolumeSizeGiB, "GiB");
  const deadline = props.deadlineMinutes ?? NEURON_COMPILE_JOB_DEFAULTS.deadlineMinutes;
  const poll = props.pollIntervalSeconds ?? NEURON_COMPILE_JOB_DEFAULTS.pollIntervalSeconds;
  problems.when(
    deadlineValid && pollValid && poll * 4 > deadline * 60,
    () => `pollIntervalSeconds must be at most a quarter of deadlineMinutes (${(deadline * 60) / 4} seconds), got ${poll}`,
  );
  const abandon = deadlineValid ? abandonAfter(props) : NEURON_COMPILE_JOB_DEFAULTS.abandonAfterMinutes;
  problems.when(
    abandonGiven && deadlineValid && abandon > deadline,
    () => `abandonAfterMinutes must be at most deadlineMinutes (${deadline}), got ${abandon}; lower it, or raise deadlineMinutes`,
  );
  problems.when(
    abandonValid && deadlineValid && pollValid && poll * 4 > abandon * 60,
    () =>
      `pollIntervalSeconds must be at most a quarter of abandonAfterMinutes (${(abandon * 60) / 4} seconds), so that a lost poll or two ` +
      `do not stop the compile, got ${poll}; lower pollIntervalSeconds or raise abandonAfterMinutes`,
  );
  const typesOk = recipe.checkInstanceTypes(v);
  if (modelOk) {
    v.tags("tags", props.tags, {
      "neuronx:model": props.model.modelId,
      "neuronx:revision": props.model.revision,
      ManagedBy: "cdktf-neuronx-patterns",
      Name: "",
      [INSTANCE_TAGS.bucket]: "",
      [INSTANCE_TAGS.prefix]: "",
    });
  }

  // Sizing needs a valid model, options and instance types; with them it runs even when other props have
  // problems, so all are reported at once.
  const plan = modelOk && optionsValid && typesOk ? recipe.plan(v) : undefined;
  if (plan && typeof props.rootVolumeSizeGiB === "number" && props.rootVolumeSizeGiB < plan.rootVolumeGiB) {
    problems.add(
      `rootVolumeSizeGiB must hold the DLAMI, the container image and the checkpoint, about ${plan.rootVolumeGiB} GiB for ${props.model.modelId}, got ${props.rootVolumeSizeGiB}; raise it or leave it unset`,
    );
  }
  problems.throwIfAny(construct.node.path);
  if (plan === undefined) throw new Error("unreachable: a recipe without a plan and without problems");
  if (plan.cacheKeyPrefix.length > TAG_VALUE_LIMIT) {
    throw new ValidationError(construct.node.path, [
      `the cache key ${JSON.stringify(plan.cacheKeyPrefix)} is ${plan.cacheKeyPrefix.length} characters, more than the ` +
        `${TAG_VALUE_LIMIT} of the instance tag that carries it; use a shorter revision (a commit sha is 40)`,
    ]);
  }
  return { plan, checks: v };
}

/** abandonAfterMinutes as given, else 15 minutes or the deadline when that is shorter. */
function abandonAfter(props: NeuronCompileJobProps): number {
  return (
    props.abandonAfterMinutes ??
    Math.min(NEURON_COMPILE_JOB_DEFAULTS.abandonAfterMinutes, props.deadlineMinutes ?? NEURON_COMPILE_JOB_DEFAULTS.deadlineMinutes)
  );
}

import * as fs from "fs";
import * as path from "path";
import { ITerraformDependable, Op, Token } from "cdktf";
import { Construct } from "constructs";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { PATTERNS, RULES } from "./patterns";
import { nameElement } from "./private/naming";
import { shippedFiles, uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { Validator, preconditions, show } from "./private/validation";

const MiB = 2 ** 20;

/**
 * What the function reads and how: names shared with python/lambda_inference/constants.py (a test
 * checks that both sides agree).
 */
export const LAMBDA_INFERENCE_MODEL = {
  /** Environment variables the function reads. */
  env: {
    source: "LAMBDA_INFERENCE_MODEL_SOURCE",
    bucket: "LAMBDA_INFERENCE_MODEL_BUCKET",
    prefix: "LAMBDA_INFERENCE_MODEL_PREFIX",
    directory: "LAMBDA_INFERENCE_MODEL_DIR",
  },
  /** Files a model directory must hold: an ONNX causal LM (no past key values), its config and tokenizer. */
  requiredFiles: ["model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json"],
  /** Where an EFS access point is mounted (Lambda requires a path under /mnt/). */
  efsMountPath: "/mnt/model",
  /** Where the documented container image (docker/lambda-inference) keeps the model. */
  imageModelDir: "/opt/ml/model",
} as const;

/** Where the model is, as the function needs it. */
export interface LambdaModelConfig {
  /** `s3`, `efs` or `image`: LAMBDA_INFERENCE_MODEL_SOURCE. */
  readonly source: "s3" | "efs" | "image";
  /** The model directory's size in bytes: it sizes memory and ephemeral storage. */
  readonly sizeBytes: number;
  /** Environment variables that tell the function where the model is. */
  readonly environment: Record<string, string>;
  /** What the function's role needs to read the model. */
  readonly statements: DataAwsIamPolicyDocumentStatement[];
  /** What must exist before the function (uploads, the NFS rule). */
  readonly dependsOn: ITerraformDependable[];
  /** The container image holding code, dependencies and model. */
  readonly imageUri?: string;
  /** The EFS access point to mount. */
  readonly fileSystem?: { readonly accessPointArn: string; readonly localMountPath: string };
  /** Subnets and security groups (EFS). */
  readonly vpc?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  /** Plan-time checks. */
  readonly preconditions: { readonly condition: unknown; readonly errorMessage: string }[];
}

/** Props of {@link LambdaInferenceModel.fromLocalDirectory}. */
export interface LocalDirectoryModelProps {
  /** The bucket to upload to: a bucket of this stack, or a name. */
  readonly bucket: S3Bucket | string;
  /**
   * Key prefix of the model files, ending in `/`.
   * @default "lambda-inference/<directory name>/"
   */
  readonly keyPrefix?: string;
}

/** Props of {@link LambdaInferenceModel.fromS3}. */
export interface S3LambdaModelProps {
  /** The bucket of the model files: a bucket of this stack, or a name. */
  readonly bucket: S3Bucket | string;
  /** The key prefix of the model files (model.onnx, config.json, tokenizer files), ending in `/`. */
  readonly prefix: string;
  /** The size of the model directory in MiB; it sizes memory and ephemeral storage. */
  readonly sizeMiB: number;
}

/** Props of {@link LambdaInferenceModel.fromEfs}. */
export interface EfsLambdaModelProps {
  /** The file system that holds the model, e.g. `fs-0123456789abcdef0`. */
  readonly fileSystemId: string;
  /** The model directory on the file system, e.g. `/models/tiny-chat`; it becomes the access point's root. */
  readonly path: string;
  /** The size of the model directory in MiB; it sizes memory. */
  readonly sizeMiB: number;
  /** Subnets of the function, in Availability Zones where the file system has mount targets. */
  readonly subnetIds: string[];
  /** The security group of the file system's mount targets; it gets an NFS rule from the function. */
  readonly mountTargetSecurityGroupId: string;
  /**
   * POSIX user and group the function reads the files as (they must be readable by it).
   * @default - uid 1000, gid 1000
   */
  readonly posixUser?: { readonly uid: number; readonly gid: number };
}

/** Props of {@link LambdaInferenceModel.fromContainerImage}. */
export interface ImageLambdaModelProps {
  /** The image, in a private ECR repository of the function's region: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`. */
  readonly imageUri: string;
  /** The size of the model directory in the image, in MiB; it sizes memory. */
  readonly sizeMiB: number;
  /**
   * The model directory in the image.
   * @default "/opt/ml/model"
   */
  readonly modelDir?: string;
}

/** The documented Dockerfile of the container image option. */
export const LAMBDA_INFERENCE_DOCKERFILE = "docker/lambda-inference/Dockerfile";

/** An EFS file system id. */
export const EFS_FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,40}$/;

/** The model directory's size: it sizes memory and ephemeral storage, so it is known at synth. */
function checkSize(v: Validator, sizeMiB: unknown): void {
  v.number("sizeMiB", sizeMiB, { greaterThan: 0, max: 10 * 1024 * 1024, what: "the model directory's size in MiB" }, { optional: false });
}

/** A bucket given by name (an S3Bucket resource needs no check): its name reaches the role's policy. */
function checkBucket(v: Validator, bucket: unknown): void {
  if (!(bucket instanceof S3Bucket)) v.string("bucket", bucket, RULES.bucketName, { optional: false });
}

/** A literal the Validator passed, or a reference it will check at plan time. */
const isLiteral = (value: unknown): value is string => typeof value === "string" && !Token.isUnresolved(value);

/**
 * The checks of the props that may be Terraform references, run again in the function's stack: a
 * reference to a secret's value is refused there (it would reach the state and the role's policy or
 * the environment), and every other reference becomes a precondition on the function.
 */
function referenceChecks(scope: Construct, method: string, check: (v: Validator) => void) {
  const v = new Validator(scope);
  check(v);
  v.problems.throwIfAny(method);
  return preconditions(scope, v.planChecks);
}

function bucketOf(scope: Construct, bucket: S3Bucket | string): { name: string; arn: string } {
  if (typeof bucket !== "string") return { name: bucket.bucket, arn: bucket.arn };
  return { name: bucket, arn: `arn:${currentPartition(scope).partition}:s3:::${bucket}` };
}

function readStatements(bucketArn: string, prefix: string): DataAwsIamPolicyDocumentStatement[] {
  return [
    { sid: "ReadModel", actions: ["s3:GetObject"], resources: [`${bucketArn}/${prefix}*`] },
    {
      sid: "ListModel",
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${prefix}*`] }],
    },
  ];
}

function s3Config(
  scope: Construct,
  bucket: S3Bucket | string,
  prefix: string,
  sizeBytes: number,
  dependsOn: ITerraformDependable[],
  planChecks: { readonly condition: unknown; readonly errorMessage: string }[],
) {
  const { name, arn } = bucketOf(scope, bucket);
  const env = LAMBDA_INFERENCE_MODEL.env;
  return {
    source: "s3" as const,
    sizeBytes,
    environment: { [env.source]: "s3", [env.bucket]: name, [env.prefix]: prefix },
    statements: readStatements(arn, prefix),
    dependsOn,
    preconditions: planChecks,
  };
}

/**
 * Where the Lambda function's model is, one recipe each: objects in S3 copied to ephemeral storage
 * at start, a directory on EFS, or a directory in a container image.
 */
export abstract class LambdaInferenceModel {
  /**
   * A model directory on this machine, uploaded to S3 by Terraform (one object a file) and copied to
   * the function's ephemeral storage at start. Its size and files are checked at synth.
   * @param directory a directory with model.onnx, config.json, tokenizer.json and tokenizer_config.json
   */
  public static fromLocalDirectory(directory: string, props: LocalDirectoryModelProps): LambdaInferenceModel {
    const v = new Validator();
    const method = "LambdaInferenceModel.fromLocalDirectory";
    const resolved = path.resolve(directory);
    let files: string[] = [];
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
      v.problems.add(`directory must be a directory, got ${JSON.stringify(directory)} (${resolved} does not exist or is not one)`);
    } else {
      files = shippedFiles(resolved);
      const missing = LAMBDA_INFERENCE_MODEL.requiredFiles.filter((f) => !files.includes(f));
      v.problems.when(
        missing.length > 0,
        () =>
          `directory ${resolved} lacks ${missing.join(", ")}; the function loads an ONNX causal LM exported without past key values ` +
          `(optimum-cli export onnx --task text-generation) with its config and tokenizer`,
      );
    }
    const keyPrefix = props.keyPrefix ?? `lambda-inference/${path.basename(resolved)}/`;
    const references = (rv: Validator) => {
      rv.string("keyPrefix", keyPrefix, RULES.keyPrefix, { optional: false });
      checkBucket(rv, props.bucket);
    };
    references(v);
    v.problems.throwIfAny(method);
    const sizeBytes = files.reduce((sum, f) => sum + fs.statSync(path.join(resolved, f)).size, 0);
    return new (class extends LambdaInferenceModel {
      public readonly sizeBytes = sizeBytes;
      public readonly source = "s3" as const;
      public bind(scope: Construct): LambdaModelConfig {
        const upload = uploadDirectory(scope, "ModelFiles", {
          dir: resolved,
          bucket: bucketOf(scope, props.bucket).name,
          keyPrefix,
          pattern: "**",
          owner: scope,
          suffix: "model",
        });
        return s3Config(scope, props.bucket, keyPrefix, sizeBytes, [upload], referenceChecks(scope, method, references));
      }
    })();
  }

  /** Model files already in S3, copied to the function's ephemeral storage at start. */
  public static fromS3(props: S3LambdaModelProps): LambdaInferenceModel {
    const v = new Validator();
    const method = "LambdaInferenceModel.fromS3";
    const references = (rv: Validator) => {
      checkBucket(rv, props.bucket);
      rv.string("prefix", props.prefix, RULES.keyPrefix, { optional: false });
    };
    references(v);
    checkSize(v, props.sizeMiB);
    v.problems.throwIfAny(method);
    return new (class extends LambdaInferenceModel {
      public readonly sizeBytes = props.sizeMiB * MiB;
      public readonly source = "s3" as const;
      public bind(scope: Construct): LambdaModelConfig {
        return s3Config(scope, props.bucket, props.prefix, this.sizeBytes, [], referenceChecks(scope, method, references));
      }
    })();
  }

  /**
   * A model directory on an EFS file system, mounted read-only through an access point whose root is
   * that directory. The function runs in the given subnets with a security group of its own, allowed
   * NFS to the mount targets' security group (and the rule that admits it is created there).
   */
  public static fromEfs(props: EfsLambdaModelProps): LambdaInferenceModel {
    const v = new Validator();
    const method = "LambdaInferenceModel.fromEfs";
    v.problems.when(
      isLiteral(props.fileSystemId) && !EFS_FILE_SYSTEM_ID.test(props.fileSystemId),
      () => `fileSystemId must be an EFS file system id such as "fs-0123456789abcdef0", got ${JSON.stringify(props.fileSystemId)}`,
    );
    v.problems.when(
      isLiteral(props.path) && (!/^\/[A-Za-z0-9._\-/]{0,99}$/.test(props.path) || props.path.split("/").includes("..")),
      () => `path must be an absolute directory on the file system (at most 100 characters), got ${JSON.stringify(props.path)}`,
    );
    checkSize(v, props.sizeMiB);
    // One subnet at least: Lambda places the function's network interfaces there, next to a mount target.
    const references = (rv: Validator) => {
      rv.stringList("subnetIds", props.subnetIds, RULES.subnetId, { min: 1, max: 16 });
      rv.problems.when(props.subnetIds === undefined, "subnetIds must name at least one subnet with a mount target in its zone");
      rv.string("mountTargetSecurityGroupId", props.mountTargetSecurityGroupId, RULES.securityGroupId, { optional: false });
    };
    references(v);
    const user = props.posixUser ?? { uid: 1000, gid: 1000 };
    for (const key of ["uid", "gid"] as const) v.integer(`posixUser.${key}`, user[key], 0, 4294967295, { optional: false });
    v.problems.throwIfAny(method);
    return new (class extends LambdaInferenceModel {
      public readonly sizeBytes = props.sizeMiB * MiB;
      public readonly source = "efs" as const;
      public bind(scope: Construct, tags: Record<string, string>): LambdaModelConfig {
        const partition = currentPartition(scope).partition;
        const region = currentRegion(scope).region;
        const account = currentAccount(scope).accountId;
        const fileSystemArn = `arn:${partition}:elasticfilesystem:${region}:${account}:file-system/${props.fileSystemId}`;
        const accessPoint = nameElement(
          new EfsAccessPoint(scope, "ModelAccessPoint", {
            fileSystemId: props.fileSystemId,
            // No creation_info: a path that does not exist fails the mount instead of serving an empty directory.
            rootDirectory: { path: props.path },
            posixUser: { uid: user.uid, gid: user.gid },
            tags,
          }),
          scope,
          "model",
        );
        const subnet = nameElement(new DataAwsSubnet(scope, "Subnet", { id: props.subnetIds[0] }), scope);
        const group = nameElement(
          new SecurityGroup(scope, "SecurityGroup", {
            namePrefix: "lambda-inference-",
            description: "Lambda inference function: NFS to the model's EFS mount targets only",
            vpcId: subnet.vpcId,
            tags,
            lifecycle: { createBeforeDestroy: true },
          }),
          scope,
        );
        nameElement(
          new VpcSecurityGroupEgressRule(scope, "NfsEgress", {
            securityGroupId: group.id,
            description: "NFS to the EFS mount targets that hold the model",
            ipProtocol: "tcp",
            fromPort: 2049,
            toPort: 2049,
            referencedSecurityGroupId: props.mountTargetSecurityGroupId,
            tags,
          }),
          scope,
          "nfs",
        );
        const ingress = nameElement(
          new VpcSecurityGroupIngressRule(scope, "NfsIngress", {
            securityGroupId: props.mountTargetSecurityGroupId,
            description: "NFS from the Lambda inference function",
            ipProtocol: "tcp",
            fromPort: 2049,
            toPort: 2049,
            referencedSecurityGroupId: group.id,
            tags,
          }),
          scope,
          "nfs",
        );
        const subnetArns = props.subnetIds.map((id) => `arn:${partition}:ec2:${region}:${account}:subnet/${id}`);
        const interfaces = `arn:${partition}:ec2:${region}:${account}:network-interface/*`;
        return {
          source: "efs",
          sizeBytes: this.sizeBytes,
          environment: {
            [LAMBDA_INFERENCE_MODEL.env.source]: "efs",
            [LAMBDA_INFERENCE_MODEL.env.directory]: LAMBDA_INFERENCE_MODEL.efsMountPath,
          },
          statements: [
            {
              sid: "MountModelReadOnly",
              actions: ["elasticfilesystem:ClientMount"],
              resources: [fileSystemArn],
              condition: [{ test: "StringEquals", variable: "elasticfilesystem:AccessPointArn", values: [accessPoint.arn] }],
            },
            // Lambda creates and deletes the function's network interfaces with its role
            // (the actions of AWSLambdaVPCAccessExecutionRole, scoped where EC2 allows it).
            {
              sid: "CreateNetworkInterfaces",
              actions: ["ec2:CreateNetworkInterface"],
              resources: [interfaces, ...subnetArns, `arn:${partition}:ec2:${region}:${account}:security-group/${group.id}`],
            },
            {
              sid: "ManageNetworkInterfaces",
              actions: ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
              resources: [interfaces],
            },
            // Describe actions take no resource-level permissions.
            { sid: "DescribeNetwork", actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources: ["*"] },
          ],
          dependsOn: [ingress],
          fileSystem: { accessPointArn: accessPoint.arn, localMountPath: LAMBDA_INFERENCE_MODEL.efsMountPath },
          vpc: { subnetIds: props.subnetIds, securityGroupIds: [group.id] },
          preconditions: referenceChecks(scope, method, references),
        };
      }
    })();
  }

  /**
   * A container image that holds the code, its dependencies and the model (see docker/lambda-inference).
   * Lambda pulls it from ECR in the function's region; images are at most 10 GB unzipped.
   */
  public static fromContainerImage(props: ImageLambdaModelProps): LambdaInferenceModel {
    const v = new Validator();
    const method = "LambdaInferenceModel.fromContainerImage";
    // Lambda pulls only from ECR (a private repository of the function's region).
    const references = (rv: Validator) => rv.string("imageUri", props.imageUri, RULES.ecrImageUri, { optional: false });
    const parts = references(v) ? PATTERNS.ecrImageUri.exec(props.imageUri) : null;
    checkSize(v, props.sizeMiB);
    const modelDir = props.modelDir ?? LAMBDA_INFERENCE_MODEL.imageModelDir;
    v.problems.when(
      typeof modelDir !== "string" || !modelDir.startsWith("/"),
      () => `modelDir must be an absolute path in the image, got ${show(modelDir)}`,
    );
    v.problems.throwIfAny(method);
    return new (class extends LambdaInferenceModel {
      public readonly sizeBytes = props.sizeMiB * MiB;
      public readonly source = "image" as const;
      public bind(scope: Construct): LambdaModelConfig {
        const region = parts?.[2];
        return {
          source: "image",
          sizeBytes: this.sizeBytes,
          environment: { [LAMBDA_INFERENCE_MODEL.env.source]: "image", [LAMBDA_INFERENCE_MODEL.env.directory]: modelDir },
          statements: [],
          dependsOn: [],
          imageUri: props.imageUri,
          preconditions: [
            ...referenceChecks(scope, method, references),
            ...(region
              ? [
                  {
                    condition: Op.eq(currentRegion(scope).region, region),
                    errorMessage: `The function's image is in ${region}, but Lambda pulls images only from ECR in the function's own region. Copy the image to this region's ECR.`,
                  },
                ]
              : []),
          ],
        };
      }
    })();
  }

  /** The model directory's size in bytes. */
  public abstract readonly sizeBytes: number;

  /** Where the function reads it from: `s3` (copied to ephemeral storage), `efs` or `image`. */
  public abstract readonly source: "s3" | "efs" | "image";

  /** Creates what the model needs (uploads, access point, network) and says how the function reads it. */
  public abstract bind(scope: Construct, tags: Record<string, string>): LambdaModelConfig;
}

import * as fs from "fs";
import * as path from "path";
import { ITerraformDependable, Op } from "cdktf";
import { Construct } from "constructs";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Problems } from "./errors";
import { PATTERNS } from "./patterns";
import { nameElement } from "./private/naming";
import { shippedFiles, uploadDirectory } from "./private/s3-directory";
import { currentAccount, currentPartition, currentRegion } from "./private/stack-singletons";
import { literal } from "./private/prop-checks";

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

const { bucketName: BUCKET, ecrImageUri: ECR_URI, subnetId: SUBNET } = PATTERNS;
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,40}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

function sizeProblem(problems: Problems, method: string, sizeMiB: number): void {
  problems.when(
    literal(sizeMiB) && !(Number.isFinite(sizeMiB) && sizeMiB > 0),
    () => `${method}: sizeMiB must be the model directory's size in MiB, a positive number, got ${sizeMiB}`,
  );
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

function s3Config(scope: Construct, bucket: S3Bucket | string, prefix: string, sizeBytes: number, dependsOn: ITerraformDependable[]) {
  const { name, arn } = bucketOf(scope, bucket);
  const env = LAMBDA_INFERENCE_MODEL.env;
  return {
    source: "s3" as const,
    sizeBytes,
    environment: { [env.source]: "s3", [env.bucket]: name, [env.prefix]: prefix },
    statements: readStatements(arn, prefix),
    dependsOn,
    preconditions: [],
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
    const problems = new Problems();
    const method = "LambdaInferenceModel.fromLocalDirectory";
    const resolved = path.resolve(directory);
    let files: string[] = [];
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
      problems.add(`${method}: directory must be a directory, got ${JSON.stringify(directory)} (${resolved} does not exist or is not one)`);
    } else {
      files = shippedFiles(resolved);
      const missing = LAMBDA_INFERENCE_MODEL.requiredFiles.filter((f) => !files.includes(f));
      problems.when(
        missing.length > 0,
        () =>
          `${method}: ${resolved} lacks ${missing.join(", ")}; the function loads an ONNX causal LM exported without past key values ` +
          `(optimum-cli export onnx --task text-generation) with its config and tokenizer`,
      );
    }
    const keyPrefix = props.keyPrefix ?? `lambda-inference/${path.basename(resolved)}/`;
    problems.when(
      literal(keyPrefix) && !/^[^/].*\/$/.test(keyPrefix),
      `${method}: keyPrefix must not start with "/" and must end with "/", got ${JSON.stringify(keyPrefix)}`,
    );
    problems.when(
      typeof props.bucket === "string" && literal(props.bucket) && !BUCKET.test(props.bucket),
      () => `${method}: bucket must be an S3 bucket name, got ${JSON.stringify(props.bucket)}`,
    );
    problems.throwIfAny(method);
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
        return s3Config(scope, props.bucket, keyPrefix, sizeBytes, [upload]);
      }
    })();
  }

  /** Model files already in S3, copied to the function's ephemeral storage at start. */
  public static fromS3(props: S3LambdaModelProps): LambdaInferenceModel {
    const problems = new Problems();
    const method = "LambdaInferenceModel.fromS3";
    problems.when(
      literal(props.prefix) && !/^[^/].*\/$/.test(props.prefix),
      `${method}: prefix must be the key prefix of the model files, not starting with "/" and ending with "/", got ${JSON.stringify(props.prefix)}`,
    );
    problems.when(
      typeof props.bucket === "string" && literal(props.bucket) && !BUCKET.test(props.bucket),
      () => `${method}: bucket must be an S3 bucket name, got ${JSON.stringify(props.bucket)}`,
    );
    sizeProblem(problems, method, props.sizeMiB);
    problems.throwIfAny(method);
    return new (class extends LambdaInferenceModel {
      public readonly sizeBytes = props.sizeMiB * MiB;
      public readonly source = "s3" as const;
      public bind(scope: Construct): LambdaModelConfig {
        return s3Config(scope, props.bucket, props.prefix, this.sizeBytes, []);
      }
    })();
  }

  /**
   * A model directory on an EFS file system, mounted read-only through an access point whose root is
   * that directory. The function runs in the given subnets with a security group of its own, allowed
   * NFS to the mount targets' security group (and the rule that admits it is created there).
   */
  public static fromEfs(props: EfsLambdaModelProps): LambdaInferenceModel {
    const problems = new Problems();
    const method = "LambdaInferenceModel.fromEfs";
    problems.when(
      literal(props.fileSystemId) && !FILE_SYSTEM_ID.test(props.fileSystemId),
      () =>
        `${method}: fileSystemId must be an EFS file system id such as "fs-0123456789abcdef0", got ${JSON.stringify(props.fileSystemId)}`,
    );
    problems.when(
      literal(props.path) && !/^\/[A-Za-z0-9._\-/]{0,99}$/.test(props.path),
      () => `${method}: path must be an absolute directory on the file system (at most 100 characters), got ${JSON.stringify(props.path)}`,
    );
    sizeProblem(problems, method, props.sizeMiB);
    problems.when(props.subnetIds.length === 0, `${method}: subnetIds must name at least one subnet with a mount target in its zone`);
    for (const id of props.subnetIds.filter(literal)) {
      problems.when(!SUBNET.test(id), `${method}: subnetIds must be subnet ids such as "subnet-0123abcd", got ${JSON.stringify(id)}`);
    }
    problems.when(
      literal(props.mountTargetSecurityGroupId) && !SECURITY_GROUP_ID.test(props.mountTargetSecurityGroupId),
      () =>
        `${method}: mountTargetSecurityGroupId must be a security group id such as "sg-0123abcd", got ${JSON.stringify(props.mountTargetSecurityGroupId)}`,
    );
    const user = props.posixUser ?? { uid: 1000, gid: 1000 };
    for (const key of ["uid", "gid"] as const) {
      problems.when(
        !(Number.isInteger(user[key]) && user[key] >= 0 && user[key] <= 4294967295),
        `${method}: posixUser.${key} must be a whole number from 0 to 4294967295, got ${user[key]}`,
      );
    }
    problems.throwIfAny(method);
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
          preconditions: [],
        };
      }
    })();
  }

  /**
   * A container image that holds the code, its dependencies and the model (see docker/lambda-inference).
   * Lambda pulls it from ECR in the function's region; images are at most 10 GB unzipped.
   */
  public static fromContainerImage(props: ImageLambdaModelProps): LambdaInferenceModel {
    const problems = new Problems();
    const method = "LambdaInferenceModel.fromContainerImage";
    const parts = literal(props.imageUri) ? ECR_URI.exec(props.imageUri) : null;
    problems.when(
      literal(props.imageUri) && !parts,
      () =>
        `${method}: imageUri must be a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>, ` +
        `because Lambda pulls only from ECR; got ${JSON.stringify(props.imageUri)}`,
    );
    sizeProblem(problems, method, props.sizeMiB);
    const modelDir = props.modelDir ?? LAMBDA_INFERENCE_MODEL.imageModelDir;
    problems.when(!modelDir.startsWith("/"), `${method}: modelDir must be an absolute path in the image, got ${JSON.stringify(modelDir)}`);
    problems.throwIfAny(method);
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
          preconditions: region
            ? [
                {
                  condition: Op.eq(currentRegion(scope).region, region),
                  errorMessage: `The function's image is in ${region}, but Lambda pulls images only from ECR in the function's own region. Copy the image to this region's ECR.`,
                },
              ]
            : [],
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

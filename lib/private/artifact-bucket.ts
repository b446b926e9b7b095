import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { justifyCheckovSkip } from "./checkov";
import { nameElement } from "./naming";

/** Props of {@link ArtifactBucket}. */
export interface ArtifactBucketProps {
  /** Delete the objects (every version) on destroy. */
  readonly forceDestroy: boolean;
  /** Tags. */
  readonly tags: Record<string, string>;
  /** The Terraform name suffix of its resources. @default "artifacts" */
  readonly name?: string;
  /** The bucket name's prefix. @default "neuronx-artifacts-" */
  readonly bucketPrefix?: string;
  /** Encrypt with this KMS key (SSE-KMS, with an S3 bucket key) instead of SSE-S3. @default - SSE-S3 */
  readonly kmsKeyArn?: string;
  /** What the bucket holds, for the checkov skips' reasons. @default - compiled artifacts, a rebuildable cache */
  readonly purpose?: string;
}

/**
 * A bucket for compiled artifacts (or, with its options, another purpose), as a platform team would write it: private
 * (public access blocked, ACLs disabled), encrypted (SSE-S3, or SSE-KMS with a given key), versioned,
 * TLS-only, with incomplete uploads and old versions cleaned up.
 */
export class ArtifactBucket extends Construct {
  /** The bucket. */
  public readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps) {
    super(scope, id);
    const owner = scope;
    const name = props.name ?? "artifacts";
    this.bucket = nameElement(
      new S3Bucket(this, "Bucket", {
        bucketPrefix: props.bucketPrefix ?? "neuronx-artifacts-",
        forceDestroy: props.forceDestroy,
        tags: props.tags,
      }),
      owner,
      name,
    );
    const purpose = props.purpose;
    const reasons: [string, string][] = purpose
      ? [
          ["CKV_AWS_18", `Access logs need a log bucket the platform team owns; this bucket holds ${purpose}, private and TLS-only.`],
          ["CKV_AWS_144", `The bucket holds ${purpose}, transient by nature: replication adds cost, not safety.`],
          ["CKV2_AWS_62", "Nothing consumes object events: SageMaker's SNS notifications, when configured, announce the results."],
        ]
      : [
          [
            "CKV_AWS_18",
            "Access logs need a log bucket the platform team owns; this bucket holds a rebuildable cache, private and TLS-only.",
          ],
          [
            "CKV_AWS_144",
            "The artifacts are a cache keyed by model and options; a lost region recompiles them, so replication adds cost, not safety.",
          ],
          [
            "CKV_AWS_145",
            "SSE-S3 encrypts every object; the readers (compile instance, SageMaker) would need grants on a customer managed key for no gain in this default.",
          ],
          ["CKV2_AWS_62", "Nothing consumes object events: the waiter polls the markers."],
        ];
    for (const [id, reason] of reasons) justifyCheckovSkip(this.bucket, id, reason);
    const bucket = this.bucket.id;
    const publicAccessBlock = nameElement(
      new S3BucketPublicAccessBlock(this, "PublicAccessBlock", {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      owner,
      name,
    );
    nameElement(
      new S3BucketOwnershipControls(this, "OwnershipControls", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }),
      owner,
      name,
    );
    nameElement(
      new S3BucketServerSideEncryptionConfigurationA(this, "Encryption", {
        bucket,
        rule: [
          props.kmsKeyArn
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      }),
      owner,
      name,
    );
    nameElement(new S3BucketVersioningA(this, "Versioning", { bucket, versioningConfiguration: { status: "Enabled" } }), owner, name);
    nameElement(
      new S3BucketLifecycleConfiguration(this, "Lifecycle", {
        bucket,
        rule: [
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: [{}],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          },
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: [{}],
            noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          },
        ],
      }),
      owner,
      name,
    );
    const tlsOnly = nameElement(
      new DataAwsIamPolicyDocument(this, "TlsOnly", {
        statement: [
          {
            sid: "DenyInsecureTransport",
            effect: "Deny",
            actions: ["s3:*"],
            resources: [this.bucket.arn, `${this.bucket.arn}/*`],
            principals: [{ type: "*", identifiers: ["*"] }],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          },
        ],
      }),
      owner,
      `${name}_tls_only`,
    );
    // After the public access block: S3 evaluates a new policy against it, and the two race otherwise.
    nameElement(new S3BucketPolicy(this, "Policy", { bucket, policy: tlsOnly.json, dependsOn: [publicAccessBlock] }), owner, name);
  }
}

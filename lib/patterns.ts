/**
 * The patterns the constructs validate values against. The generated HCL modules' `validation`
 * blocks use the same ones (Terraform's RE2 accepts them as they are), so the rules cannot drift.
 */
export const PATTERNS = {
  /** A Hugging Face repository id: `name` or `namespace/name`. */
  huggingFaceModelId: /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/,
  /** A Hugging Face revision: a branch, tag or commit. */
  huggingFaceRevision: /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/,
  /** An S3 bucket name. */
  bucketName: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  /** A subnet id. */
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  /** An AMI id. */
  amiId: /^ami-[0-9a-f]{8,17}$/,
  /** A Secrets Manager secret ARN. */
  secretArn: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
  /** A SageMaker endpoint name. */
  endpointName: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
  /** A KMS key ARN. */
  kmsKeyArn: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
  /** An S3 URI. */
  s3Uri: /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
  /** A private ECR image URI, with a tag or a digest. */
  ecrImageUri:
    /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9][a-z0-9._/-]*)(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/,
} as const;

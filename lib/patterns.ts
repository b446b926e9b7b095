/**
 * The rules the constructs validate strings against. The generated HCL modules' `validation` blocks
 * and the constructs' plan-time preconditions (for Terraform references) render the same rules as
 * Terraform conditions with {@link ruleCondition}, so the rules cannot drift: every pattern is
 * written for both JavaScript and RE2 (Terraform's `regex`), which agree on the syntax used here.
 */

/** An AWS region name, e.g. `us-east-1`, `us-gov-west-1`, `ap-southeast-7`. */
const REGION = "[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}";
/** An S3 bucket name's characters and shape (the further rules are in {@link RULES}.bucketName). */
const BUCKET = "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";
/**
 * One segment of an S3 key prefix that reaches an IAM policy: no "*" or "?" (IAM wildcards), no "$"
 * (IAM policy variables), no "." or ".." segment, no whitespace or control characters.
 */
const SEGMENT = "[A-Za-z0-9_=+@,-][A-Za-z0-9._=+@,-]*";

/** The patterns the constructs validate values against (one pattern, the whole rule being in {@link RULES}). */
export const PATTERNS = {
  /** A Hugging Face repository id: `name` or `namespace/name` (huggingface_hub `validate_repo_id`). */
  huggingFaceModelId: /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\/)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/,
  /** A Hugging Face revision: a branch, tag or commit. */
  huggingFaceRevision: /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/,
  /** An S3 bucket name. */
  bucketName: new RegExp(`^${BUCKET}$`),
  /** An S3 key prefix ending in "/", whose segments are safe in an IAM resource. */
  keyPrefix: new RegExp(`^(?:${SEGMENT}/)+$`),
  /** A subnet id. */
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  /** A security group id. */
  securityGroupId: /^sg-[0-9a-f]{8,17}$/,
  /** An AMI id. */
  amiId: /^ami-[0-9a-f]{8,17}$/,
  /** An SSM parameter name, fully qualified. */
  ssmParameterName: /^\/[A-Za-z0-9_.\-/]+$/,
  /** A Secrets Manager secret ARN. */
  secretArn: new RegExp(`^arn:aws[a-z-]*:secretsmanager:${REGION}:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`),
  /** A SageMaker endpoint name. */
  endpointName: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
  /** A standard SNS topic ARN (CloudWatch alarm actions take no FIFO topic). */
  snsTopicArn: new RegExp(`^arn:aws[a-z-]*:sns:${REGION}:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`),
  /** A KMS key ARN (a key id or a multi-Region key id; IAM grants need the key, not an alias). */
  kmsKeyArn: new RegExp(
    `^arn:aws[a-z-]*:kms:${REGION}:[0-9]{12}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
  ),
  /** An S3 URI, `s3://bucket` or `s3://bucket/prefix`, whose prefix is safe in an IAM resource. */
  s3Uri: new RegExp(`^s3://${BUCKET}(?:/(?:${SEGMENT}/)*(?:${SEGMENT})?)?$`),
  /** The S3 URL of compiled artifacts: `s3://bucket/prefix/`. */
  artifactS3Url: new RegExp(`^s3://${BUCKET}/(?:${SEGMENT}/)+$`),
  /** An S3 bucket ARN. */
  bucketArn: new RegExp(`^arn:aws[a-z-]*:s3:::${BUCKET}$`),
  /** A private ECR image URI, with a tag or a digest: account, region, China suffix, repository. */
  ecrImageUri: new RegExp(
    `^([0-9]{12})\\.dkr\\.ecr\\.(${REGION})\\.amazonaws\\.com(\\.cn)?/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$`,
  ),
  /** An ECR repository ARN. */
  ecrRepositoryArn: new RegExp(
    `^arn:aws[a-z-]*:ecr:${REGION}:[0-9]{12}:repository/(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`,
  ),
  /** An ECR registry host. */
  ecrRegistry: new RegExp(`^[0-9]{12}\\.dkr\\.ecr\\.${REGION}\\.amazonaws\\.com(?:\\.cn)?$`),
  /** A Neuron SDK release, e.g. `2.21.0`. */
  neuronSdkVersion: /^2\.[0-9]{1,3}(?:\.[0-9]{1,3})?$/,
  /** A tag key or value: the characters EC2, S3, IAM and SageMaker all accept (their API models' TagKey pattern). */
  tagText: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  /** A container environment variable name (SageMaker's EnvironmentKey pattern). */
  environmentKey: /^[a-zA-Z_][a-zA-Z0-9_]*$/,
} as const;

/** Something a value must not match, and how to say it. */
export interface ForbiddenForm {
  /** The form (JavaScript and RE2). */
  readonly pattern: RegExp;
  /** Completes "got "...", which ...": e.g. `contains ".."`. */
  readonly reason: string;
}

/** A rule for a string: a pattern it must match, a length, and forms it must not have. */
export interface StringRule {
  /** Names the kind of value in messages, e.g. "an S3 bucket name". */
  readonly what: string;
  /** What is allowed, in words. */
  readonly allowed: string;
  /** A valid example. */
  readonly example: string;
  /** The pattern the whole value must match. */
  readonly pattern: RegExp;
  /** The characters the pattern allows, one at a time, to name the first one that is not. */
  readonly chars?: RegExp;
  /** Most characters. */
  readonly maxLength: number;
  /** Least characters. @default 1 */
  readonly minLength?: number;
  /** Forms that match the pattern but are still refused. */
  readonly forbidden?: readonly ForbiddenForm[];
  /** Forms that explain why a value does not match the pattern, for messages only. */
  readonly hints?: readonly ForbiddenForm[];
  /** The value may be a secret: messages never show it. */
  readonly secret?: boolean;
}

const contains = (text: string): ForbiddenForm => ({
  pattern: new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
  reason: `contains "${text}"`,
});
const awsPrefix: ForbiddenForm = { pattern: /^[aA][wW][sS]:/, reason: 'starts with "aws:" (reserved by AWS)' };

// S3's bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The bucket rules, for a bucket name found after `lead` and before `tail` (for URIs and ARNs). */
function bucketForms(lead: string, tail: string): ForbiddenForm[] {
  return [
    ...["..", ".-", "-."].map((s) => ({ pattern: new RegExp(`${lead}[^/]*${escapeRe(s)}`), reason: `has a bucket name with "${s}"` })),
    { pattern: new RegExp(`${lead}[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+${tail}`), reason: "has a bucket name formatted as an IP address" },
    ...BUCKET_PREFIXES.map((p) => ({ pattern: new RegExp(`${lead}${escapeRe(p)}`), reason: `has a bucket name starting with "${p}"` })),
    ...BUCKET_SUFFIXES.map((s) => ({
      pattern: new RegExp(`${lead}[^/]*${escapeRe(s)}${tail}`),
      reason: `has a bucket name ending with "${s}" (reserved by S3)`,
    })),
  ];
}
/** Why a key prefix does not match. */
const PREFIX_HINTS: ForbiddenForm[] = [
  { pattern: /^\//, reason: 'starts with "/"' },
  { pattern: /[^/]$/, reason: 'does not end with "/"' },
  { pattern: /\/\//, reason: 'has an empty segment ("//")' },
  { pattern: /(?:^|\/)\./, reason: 'has a segment starting with "." (such as ".." or ".")' },
];
/** Why an S3 URI's path does not match. */
const URI_HINTS: ForbiddenForm[] = [
  { pattern: /^(?!s3:\/\/)/, reason: 'does not start with "s3://"' },
  { pattern: /^s3:\/\/[^/]*\/.*\/\//, reason: 'has an empty segment ("//")' },
  { pattern: /^s3:\/\/[^/]*\/(?:.*\/)?\./, reason: 'has a segment starting with "." (such as "..")' },
];
const BUCKET_WORDS =
  '3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, without "..", ".-" or "-.", ' +
  `not formatted as an IP address, not starting with ${BUCKET_PREFIXES.join(", ")} and not ending with ${BUCKET_SUFFIXES.join(", ")}`;
const SEGMENT_WORDS =
  'letters, digits and "." "_" "-" "=" "+" "@" ",", no segment starting with "." (no ".." traversal), no "*" or "?" (IAM wildcards), no "$", spaces or control characters';

/** Every string rule of the constructs, by name. */
export const RULES = {
  huggingFaceModelId: {
    what: "a Hugging Face repository id",
    allowed:
      'a Hugging Face repository id: "name" or "namespace/name", letters, digits, "-", "_" and ".", each part starting and ending with a letter, digit or "_", without "--" or "..", not ending with ".git", 96 characters at most',
    example: "meta-llama/Meta-Llama-3-8B-Instruct",
    pattern: PATTERNS.huggingFaceModelId,
    chars: /[A-Za-z0-9_./-]/,
    maxLength: 96,
    forbidden: [contains("--"), contains(".."), { pattern: /\.git$/, reason: 'ends with ".git"' }],
  },
  huggingFaceRevision: {
    what: "a Hugging Face revision",
    allowed:
      'a branch, tag or commit hash: letters, digits, "-", "_", "." and "/", starting with a letter or digit, 128 characters at most, and a valid git ref (no "..", "//", "/." or "@{", not ending with "/", "." or ".lock")',
    example: "main",
    pattern: PATTERNS.huggingFaceRevision,
    chars: /[A-Za-z0-9._/-]/,
    maxLength: 128,
    forbidden: [
      contains(".."),
      contains("//"),
      { pattern: /\/\./, reason: 'has a part starting with "."' },
      { pattern: /[/.]$/, reason: 'ends with "/" or "."' },
      { pattern: /\.lock(?:\/|$)/, reason: 'has a part ending with ".lock"' },
    ],
  },
  bucketName: {
    what: "an S3 bucket name",
    allowed: `an S3 bucket name: ${BUCKET_WORDS}`,
    example: "my-model-artifacts",
    pattern: PATTERNS.bucketName,
    chars: /[a-z0-9.-]/,
    maxLength: 63,
    minLength: 3,
    forbidden: bucketForms("^", "$"),
  },
  keyPrefix: {
    what: "an S3 key prefix",
    allowed: `an S3 key prefix ending with "/", not starting with "/", with segments of ${SEGMENT_WORDS}; 512 characters at most`,
    example: "llama/8b/",
    pattern: PATTERNS.keyPrefix,
    chars: /[A-Za-z0-9._=+@,/-]/,
    maxLength: 512,
    forbidden: [contains("..")],
    hints: PREFIX_HINTS,
  },
  subnetId: {
    what: "a subnet id",
    allowed: 'a subnet id, "subnet-" and 8 or 17 hexadecimal digits',
    example: "subnet-0123456789abcdef0",
    pattern: PATTERNS.subnetId,
    chars: /[a-z0-9-]/,
    maxLength: 24,
  },
  securityGroupId: {
    what: "a security group id",
    allowed: 'a security group id, "sg-" and 8 or 17 hexadecimal digits',
    example: "sg-0123456789abcdef0",
    pattern: PATTERNS.securityGroupId,
    chars: /[a-z0-9-]/,
    maxLength: 20,
  },
  amiId: {
    what: "an AMI id",
    allowed: 'an AMI id, "ami-" and 8 or 17 hexadecimal digits',
    example: "ami-0123456789abcdef0",
    pattern: PATTERNS.amiId,
    chars: /[a-z0-9-]/,
    maxLength: 21,
  },
  ssmParameterName: {
    what: "an SSM parameter name",
    allowed:
      'an SSM parameter name starting with "/": letters, digits, "_", ".", "-" and "/", without "//" or "..", 2048 characters at most',
    example: "/aws/service/neuron/dlami/base/ubuntu-22.04/latest/image_id",
    pattern: PATTERNS.ssmParameterName,
    chars: /[A-Za-z0-9_./-]/,
    maxLength: 2048,
    forbidden: [contains("//"), contains(".."), { pattern: /\/$/, reason: 'ends with "/"' }],
  },
  secretArn: {
    what: "a Secrets Manager secret ARN",
    allowed:
      "a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name> (the ARN, never the secret's value)",
    example: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf",
    pattern: PATTERNS.secretArn,
    maxLength: 2048,
    secret: true,
  },
  kmsKeyArn: {
    what: "a KMS key ARN",
    allowed: "a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> (a key, not an alias: IAM grants name keys)",
    example: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    pattern: PATTERNS.kmsKeyArn,
    maxLength: 2048,
  },
  snsTopicArn: {
    what: "an SNS topic ARN",
    allowed: "a standard SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name> (CloudWatch alarms cannot notify FIFO topics)",
    example: "arn:aws:sns:us-east-1:123456789012:endpoint-alarms",
    pattern: PATTERNS.snsTopicArn,
    maxLength: 1024,
  },
  endpointName: {
    what: "a SageMaker endpoint name",
    allowed: "1 to 63 letters, digits and hyphens, starting and ending with a letter or digit",
    example: "llama3-chat",
    pattern: PATTERNS.endpointName,
    chars: /[A-Za-z0-9-]/,
    maxLength: 63,
  },
  s3Uri: {
    what: "an S3 URI",
    allowed: `an S3 URI, s3://<bucket>[/<prefix>], where the bucket follows S3's naming rules and the prefix has segments of ${SEGMENT_WORDS}; 512 characters at most`,
    example: "s3://my-bucket/capture",
    pattern: PATTERNS.s3Uri,
    chars: /[A-Za-z0-9._=+@,:/-]/,
    maxLength: 512,
    forbidden: [contains(".."), ...bucketForms("^s3://", "(?:/|$)")],
    hints: URI_HINTS,
  },
  artifactS3Url: {
    what: "the S3 URL of compiled artifacts",
    allowed: `s3://<bucket>/<prefix>/, where the bucket follows S3's naming rules and the prefix has segments of ${SEGMENT_WORDS}`,
    example: "s3://my-model-artifacts/meta-llama/Meta-Llama-3-8B-Instruct/main/neuronx-2.21.0/tp2-np4096-bs1-bf16-opt2/",
    pattern: PATTERNS.artifactS3Url,
    chars: /[A-Za-z0-9._=+@,:/-]/,
    maxLength: 1024,
    forbidden: [contains(".."), ...bucketForms("^s3://", "(?:/|$)")],
    hints: URI_HINTS,
  },
  bucketArn: {
    what: "an S3 bucket ARN",
    allowed: `an S3 bucket ARN, arn:<partition>:s3:::<bucket>, whose bucket name has ${BUCKET_WORDS}`,
    example: "arn:aws:s3:::my-model-artifacts",
    pattern: PATTERNS.bucketArn,
    maxLength: 100,
    forbidden: bucketForms(":::", "$"),
  },
  ecrImageUri: {
    what: "a private ECR image URI",
    allowed:
      "a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>, because SageMaker and Lambda pull images only from ECR; 255 characters at most",
    example: "123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron/serving:2.21.0",
    pattern: PATTERNS.ecrImageUri,
    maxLength: 255,
  },
  ecrRepositoryArn: {
    what: "an ECR repository ARN",
    allowed: "an ECR repository ARN, arn:<partition>:ecr:<region>:<account>:repository/<name>",
    example: "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference-neuronx",
    pattern: PATTERNS.ecrRepositoryArn,
    maxLength: 400,
  },
  ecrRegistry: {
    what: "an ECR registry",
    allowed: "an ECR registry host, <account>.dkr.ecr.<region>.amazonaws.com",
    example: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    pattern: PATTERNS.ecrRegistry,
    maxLength: 100,
  },
  neuronSdkVersion: {
    what: "a Neuron SDK release",
    allowed:
      'a Neuron SDK 2.x release such as "2.21.0", since 2.18 (transformers-neuronx reads Hugging Face checkpoints directly from then on)',
    example: "2.21.0",
    pattern: PATTERNS.neuronSdkVersion,
    maxLength: 11,
  },
  tagKey: {
    what: "a tag key",
    allowed:
      'a tag key of 1 to 128 letters, digits, spaces and "_" "." ":" "/" "=" "+" "-" "@" (the characters EC2, S3, IAM and SageMaker all accept), not starting with "aws:"',
    example: "CostCenter",
    pattern: PATTERNS.tagText,
    chars: /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u,
    maxLength: 128,
    forbidden: [awsPrefix],
  },
  tagValue: {
    what: "a tag value",
    allowed:
      'a tag value of at most 256 letters, digits, spaces and "_" "." ":" "/" "=" "+" "-" "@" (the characters EC2, S3, IAM and SageMaker all accept), not starting with "aws:"',
    example: "ml-platform",
    pattern: PATTERNS.tagText,
    chars: /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u,
    maxLength: 256,
    minLength: 0,
    forbidden: [awsPrefix],
  },
  environmentValue: {
    what: "an environment variable's value",
    allowed: "a value of at most 1024 characters (SageMaker's limit)",
    example: "debug",
    pattern: /^[\s\S]*$/,
    maxLength: 1024,
    minLength: 0,
  },
  environmentKey: {
    what: "an environment variable name",
    allowed: 'a variable name: letters, digits and "_", not starting with a digit, 1024 characters at most',
    example: "LOG_LEVEL",
    pattern: PATTERNS.environmentKey,
    chars: /[A-Za-z0-9_]/,
    maxLength: 1024,
  },
} satisfies Record<string, StringRule>;

/** The name of a rule of {@link RULES}. */
export type RuleName = keyof typeof RULES;

/** A character as a message shows it: printable ones quoted, others as U+XXXX. */
export function showChar(c: string): string {
  const code = c.codePointAt(0) as number;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || /\s/u.test(c)
    ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
    : JSON.stringify(c);
}

/**
 * Why a string breaks a rule ("contains \"*\"", "is 70 characters long", ...), or undefined when it
 * keeps it. Length counts Unicode characters, as AWS and Terraform's `length` do.
 */
export function ruleViolation(rule: StringRule, value: string): string | undefined {
  const length = [...value].length;
  if (length < (rule.minLength ?? 1)) return length === 0 ? "is empty" : `is ${length} characters long`;
  if (length > rule.maxLength) return `is ${length} characters long`;
  if (!rule.pattern.test(value)) {
    const control = [...value].find((c) => /[\p{Cc}\p{Cf}]/u.test(c));
    if (control !== undefined) return `contains the control character ${showChar(control)}`;
    if (value !== value.trim()) return "starts or ends with whitespace";
    const bad = rule.chars ? [...value].find((c) => !rule.chars?.test(c)) : undefined;
    if (bad !== undefined) return `contains ${showChar(bad)}`;
    return rule.hints?.find((h) => h.pattern.test(value))?.reason ?? "does not have that form";
  }
  return rule.forbidden?.find((f) => f.pattern.test(value))?.reason;
}

/** A string as an HCL quoted string literal (no template sequences survive). */
export function hclString(text: string): string {
  // Replacer functions: in a replacement string, "$$" would mean one "$".
  return JSON.stringify(text)
    .replace(/\$\{/g, () => "$${")
    .replace(/%\{/g, () => "%%{");
}

/**
 * The rule as a Terraform condition on an HCL expression, e.g. `var.bucket_name`: true when the value
 * keeps the rule. The modules' validation blocks and the constructs' preconditions use it.
 */
export function ruleCondition(rule: StringRule, expression: string): string {
  const parts = [
    `can(regex(${hclString(rule.pattern.source)}, ${expression}))`,
    `length(${expression}) <= ${rule.maxLength}`,
    ...(rule.minLength === 0 ? [] : [`length(${expression}) >= ${rule.minLength ?? 1}`]),
    ...(rule.forbidden ?? []).map((f) => `!can(regex(${hclString(f.pattern.source)}, ${expression}))`),
  ];
  return parts.join(" && ");
}

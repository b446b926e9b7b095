// The string rules (lib/patterns.ts) by class: what each accepts, what it refuses and why.
import { RULES, RuleName, hclString, ruleCondition, ruleViolation } from "../lib/patterns";

const accepts = (rule: RuleName, values: string[]) =>
  test.each(values)(`${rule} accepts %j`, (value) => expect(ruleViolation(RULES[rule], value)).toBeUndefined());
const refuses = (rule: RuleName, cases: [string, RegExp][]) =>
  test.each(cases)(`${rule} refuses %j: %s`, (value, why) => expect(ruleViolation(RULES[rule], value)).toMatch(why));

describe("S3 bucket names (S3's naming rules)", () => {
  accepts("bucketName", ["my-models", "a.b.c", "abc", "m".repeat(63), "models-2024.eu"]);
  refuses("bucketName", [
    ["ab", /is 2 characters long/],
    ["m".repeat(64), /is 64 characters long/],
    ["", /is empty/],
    ["My-Models", /contains "M"/],
    ["models_x", /contains "_"/],
    ["*", /is 1 characters long|contains "\*"/],
    ["mоdels", /contains "о"/],
    ["models\n", /control character U\+000A/],
    [" models", /starts or ends with whitespace/],
    ["-models", /does not have that form/],
    ["my..models", /".."/],
    ["my.-models", /".-"/],
    ["my-.models", /"-\."/],
    ["192.168.5.4", /IP address/],
    ["xn--models", /starting with "xn--"/],
    ["sthree-models", /starting with "sthree-"/],
    ["sthree-configurator-x", /starting with "sthree-"/],
    ["amzn-s3-demo-bucket", /starting with "amzn-s3-demo-"/],
    ["models-s3alias", /ending with "-s3alias"/],
    ["models--ol-s3", /ending with "--ol-s3"/],
    ["models.mrap", /ending with ".mrap"/],
    ["models--x-s3", /ending with "--x-s3"/],
    ["models--table-s3", /ending with "--table-s3"/],
  ]);
});

describe("S3 key prefixes that reach IAM", () => {
  accepts("keyPrefix", ["llama/8b/", "TinyLlama/TinyLlama-1.1B-Chat-v1.0/refs--pr--3/neuronx-2.21.0/tp2-np4096-bs1-bf16-opt2/", "a/"]);
  refuses("keyPrefix", [
    ["*/", /contains "\*"/],
    ["a/?/", /contains "\?"/],
    ["${aws:username}/", /contains "\$"/],
    ["../x/", /starting with "\."|".."/],
    ["a/./", /segment starting with "\."/],
    ["/abs/", /starts with "\/"/],
    ["a//b/", /empty segment/],
    ["a", /does not end with "\/"/],
    ["a b/", /contains U\+0020/],
    ["x".repeat(513) + "/", /characters long/],
  ]);
});

describe("Hugging Face ids and revisions (huggingface_hub's validate_repo_id, git's ref rules)", () => {
  accepts("huggingFaceModelId", ["gpt2", "meta-llama/Meta-Llama-3-8B-Instruct", "_org/x_", "a/b"]);
  refuses("huggingFaceModelId", [
    ["org/name.", /does not have that form/],
    ["org/-name", /does not have that form/],
    ["a/b/c", /does not have that form/],
    ["org--x/name", /"--"/],
    ["org/a..b", /".."/],
    ["org/name.git", /\.git/],
    ["org/name'; id", /contains "'"/],
    ["meta-llamа/x", /contains "а"/],
    ["x".repeat(97), /97 characters/],
  ]);
  accepts("huggingFaceRevision", ["main", "v1.0", "refs/pr/3", "607a30d783dfa663caf39e06633721c8d4cfcd7e", "release/2024-01"]);
  refuses("huggingFaceRevision", [
    ["main/", /ends with "\/"/],
    ["v1.", /ends with "\/" or "\."/],
    ["v1.lock", /\.lock/],
    ["a.lock/b", /\.lock/],
    ["a/.b", /starting with "\."/],
    ["a//b", /"\/\/"/],
    ["a..b", /".."/],
    ["@{-1}", /contains "@"/],
    ["main\u0000", /control character U\+0000/],
    ["-main", /does not have that form/],
    ["r".repeat(129), /129 characters/],
  ]);
});

describe("tags (the characters EC2, S3, IAM and SageMaker all accept)", () => {
  accepts("tagKey", ["CostCenter", "team:ml", "a b", "Größe", "x".repeat(128)]);
  accepts("tagValue", ["", "ml-platform", "a/b=c+d@e", "日本"]);
  refuses("tagKey", [
    ["", /is empty/],
    ["aws:owner", /starts with "aws:"/],
    ["AWS:x", /starts with "aws:"/],
    ["a\tb", /control character U\+0009/],
    ["a$b", /contains "\$"/],
    ["x".repeat(129), /129 characters/],
  ]);
  refuses("tagValue", [
    ['${file("x")}', /contains "\$"/],
    ["%{if true}x%{endif}", /contains "%"/],
    ["a;b", /contains ";"/],
    ["aws:x", /starts with "aws:"/],
    ["x".repeat(257), /257 characters/],
  ]);
});

describe("ARNs and ids", () => {
  accepts("secretArn", [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf",
    "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b",
  ]);
  refuses("secretArn", [
    ["arn:aws:secretsmanager:us-east-1:123456789012:secret:*", /does not have that form/],
    ["hf_abcdefghijklmnopqrstuvwxyz", /does not have that form/],
    ["arn:aws:secretsmanager:us-east-1:123456789012:secret:x\n", /control character/],
  ]);
  accepts("kmsKeyArn", [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    `arn:aws:kms:eu-west-1:123456789012:key/mrk-${"a".repeat(32)}`,
  ]);
  refuses("kmsKeyArn", [
    ["arn:aws:kms:us-east-1:123456789012:key/*", /does not have that form/],
    ["arn:aws:kms:us-east-1:123456789012:alias/x", /does not have that form/],
  ]);
  accepts("ecrImageUri", [
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron/serving:2.21.0",
    `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a@sha256:${"a".repeat(64)}`,
  ]);
  refuses("ecrImageUri", [
    ["public.ecr.aws/neuron/x:1", /does not have that form/],
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com/*:1", /does not have that form/],
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com/a//b:1", /does not have that form/],
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1;id", /does not have that form/],
  ]);
  accepts("s3Uri", ["s3://captures", "s3://captures/", "s3://captures/chat", "s3://captures/chat/"]);
  refuses("s3Uri", [
    ["s3://*/x", /contains "\*"/],
    ["s3://captures/../x", /segment starting with "\."/],
    ["s3://xn--c/x", /starting with "xn--"/],
    ["s3://c-s3alias/x", /ending with "-s3alias"/],
    ["s3://10.0.0.1/x", /IP address/],
    ["https://c.s3.amazonaws.com/x", /does not start with "s3:\/\/"/],
  ]);
  accepts("environmentKey", ["LOG_LEVEL", "_X", "a1"]);
  refuses("environmentKey", [
    ["1A", /does not have that form/],
    ["A-B", /contains "-"/],
    ["A B", /contains U\+0020/],
  ]);
});

describe("secret values", () => {
  test("a secret's rule says so, so that messages never show the value", () => {
    expect(RULES.secretArn.secret).toBe(true);
  });
});

describe("ruleCondition", () => {
  test("renders the rule as a Terraform condition: the pattern, the length, and each forbidden form", () => {
    const condition = ruleCondition(RULES.bucketName, "var.bucket");
    expect(condition).toContain(`can(regex(${hclString(RULES.bucketName.pattern.source)}, var.bucket))`);
    expect(condition).toContain("length(var.bucket) <= 63 && length(var.bucket) >= 3");
    expect(condition.match(/!can\(regex\(/g)).toHaveLength(RULES.bucketName.forbidden.length);
  });

  test("escapes Terraform's template sequences and HCL's string escapes in the patterns", () => {
    expect(hclString('a\\d"${x}%{y}')).toBe('"a\\\\d\\"$${x}%%{y}"');
  });
});

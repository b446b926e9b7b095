import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { RULES } from "../patterns";
import { currentPartition } from "./stack-singletons";
import { Validator, show } from "./validation";

/**
 * Checks the bucket and prefix of model data given by its S3 location (`fromS3`): the same rules as the compile
 * side, since they reach the IAM policy and the S3 keys.
 */
export function checkS3Location(v: Validator, bucket: unknown, prefix: unknown): void {
  if (typeof bucket === "string") v.string("bucket", bucket, RULES.bucketName);
  else if (!(bucket instanceof S3Bucket)) v.problems.add(`bucket must be an S3Bucket of this stack or a bucket name, got ${show(bucket)}`);
  v.string("prefix", prefix, RULES.keyPrefix, { optional: false });
}

/** The bucket name and ARN, the prefix and its `s3://` URL of model data given by its S3 location (checked by {@link checkS3Location}). */
export function s3Location(
  scope: Construct,
  bucket: S3Bucket | string,
  prefix: string,
): { bucketName: string; bucketArn: string; prefix: string; s3Uri: string } {
  const bucketName = typeof bucket === "string" ? bucket : bucket.bucket;
  const bucketArn = typeof bucket === "string" ? `arn:${currentPartition(scope).partition}:s3:::${bucket}` : bucket.arn;
  return { bucketName, bucketArn, prefix, s3Uri: `s3://${bucketName}/${prefix}` };
}

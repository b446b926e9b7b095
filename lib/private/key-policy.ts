import { Construct } from "constructs";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { justifyCheckovSkip } from "./checkov";
import { currentAccount, currentPartition } from "./stack-singletons";

/** KMS's default key policy statement: the account administers the key, and IAM policies grant its use. */
export function accountAdministersKey(scope: Construct): DataAwsIamPolicyDocumentStatement {
  const partition = currentPartition(scope).partition;
  const account = currentAccount(scope).accountId;
  return {
    sid: "AccountAdministersTheKey",
    actions: ["kms:*"],
    principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] }],
    resources: ["*"],
  };
}

/** The checkov checks a key policy's `Resource *` trips, each skipped with why. */
export function justifyKeyPolicy(policy: DataAwsIamPolicyDocument): void {
  const reason =
    "A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow " +
    "(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).";
  for (const check of ["CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"]) justifyCheckovSkip(policy, check, reason);
}

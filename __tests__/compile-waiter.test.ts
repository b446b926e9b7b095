import { TerraformOutput } from "cdktf";
import { CFN_MAX_DEADLINE_MINUTES, CFN_ROLLBACK_ALLOWANCE_MINUTES, CompileWaiter } from "../lib/compile-waiter";
import { ValidationError } from "../lib/errors";
import { Model } from "../lib/model";
import { NeuronxCompile, NeuronxCompileProps } from "../lib/neuronx-compile";
import { Synthesized, only, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
const PREFIX = "TinyLlama/TinyLlama-1.1B-Chat-v1.0/main/neuronx-2.25.0/tp2-np4096-bs1-bf16-opt2/";

function compile(props: Partial<NeuronxCompileProps> = {}) {
  let construct: NeuronxCompile | undefined;
  const out = synth((stack) => {
    construct = new NeuronxCompile(stack, "Compile", { model: TINY(), waiter: CompileWaiter.cloudFormation(), ...props });
  });
  return { ...out, construct: construct as NeuronxCompile };
}

const stack = (json: Synthesized) => only(json, "aws_cloudformation_stack");
const template = (json: Synthesized) => JSON.parse(stack(json).template_body);

describe("CompileWaiter", () => {
  test("localExec is the default: the null_resource and its destroy-time check, no stack", () => {
    const { json } = synth((s) => new NeuronxCompile(s, "Compile", { model: TINY() }));
    expect(Object.keys(json.resource.null_resource)).toEqual(["compile_waiter"]);
    expect(json.resource.aws_cloudformation_stack).toBeUndefined();
    expect(json.data.aws_s3_objects).toBeUndefined();
  });

  describe("cloudFormation", () => {
    const { json, text, construct } = compile({ deadlineMinutes: 90 });

    test("runs nothing on the machine of terraform apply: no local-exec, no null_resource", () => {
      expect(text).not.toContain("local-exec");
      expect(json.resource.null_resource).toBeUndefined();
    });

    test("the stack runs the compile's launch template in the first offering subnet, and waits for its signal", () => {
      const t = template(json);
      expect(t.Resources.CompileInstance).toEqual({
        Type: "AWS::EC2::Instance",
        Condition: "Compile",
        DependsOn: "CompileSignal",
        Properties: {
          LaunchTemplate: { LaunchTemplateId: { Ref: "LaunchTemplateId" }, Version: { Ref: "LaunchTemplateVersion" } },
          SubnetId: { Ref: "SubnetId" },
        },
      });
      expect(t.Resources.CompileDone).toEqual({
        Type: "AWS::CloudFormation::WaitCondition",
        Condition: "Compile",
        DependsOn: "CompileInstance",
        Properties: { Handle: { Ref: "CompileSignal" }, Timeout: { Ref: "TimeoutSeconds" }, Count: 1 },
      });
      expect(stack(json).parameters).toEqual({
        LaunchTemplateId: "${aws_launch_template.compile.id}",
        LaunchTemplateVersion: "${aws_launch_template.compile.latest_version}",
        SubnetId: '${element(split(" ", join(" ", sort(data.aws_subnets.compile.ids))), 0)}',
        ArtifactS3Url: `s3://\${aws_s3_bucket.compile_artifacts.bucket}/${PREFIX}`,
        CacheHit: '${length(data.aws_s3_objects.compile_success.keys) > 0 ? "true" : "false"}',
        TimeoutSeconds: String(90 * 60),
      });
    });

    test("the deadline is CloudFormation's timeout; Terraform waits longer, so that the rollback's reason is what it reports", () => {
      expect(stack(json).timeout_in_minutes).toBe(90);
      expect(stack(json).on_failure).toBe("ROLLBACK");
      expect(stack(json).timeouts).toEqual({ create: `${90 + CFN_ROLLBACK_ALLOWANCE_MINUTES}m` });
    });

    test("a cache hit launches nothing: the template's instance and wait condition exist only when CacheHit is false", () => {
      const t = template(json);
      expect(t.Conditions).toEqual({ Compile: { "Fn::Equals": [{ Ref: "CacheHit" }, "false"] } });
      expect(
        Object.entries(t.Resources)
          .filter(([, r]: [string, any]) => r.Condition !== "Compile")
          .map(([k]) => k),
      ).toEqual(["CompileSignal"]);
      expect(only(json, "aws_s3_objects", "data")).toEqual({
        bucket: "${aws_s3_bucket.compile_artifacts.bucket}",
        prefix: `${PREFIX}_SUCCESS`,
        max_keys: 1,
      });
    });

    test("a second plan is empty: the _SUCCESS the compile writes is ignored; a new cache key or template version is a new stack", () => {
      expect(stack(json).lifecycle.ignore_changes).toEqual(['parameters["CacheHit"]']);
      expect(stack(json).name).toBe("neuronx-compile-${terraform_data.compile_waiter_key.id}");
      expect(json.resource.terraform_data.compile_waiter_key.triggers_replace).toEqual({
        bucket: "${aws_s3_bucket.compile_artifacts.bucket}",
        prefix: PREFIX,
        launch_template_id: "${aws_launch_template.compile.id}",
        launch_template_version: "${aws_launch_template.compile.latest_version}",
      });
    });

    test("the plan-time checks of the local-exec waiter guard the stack", () => {
      const messages = stack(json).lifecycle.precondition.map((p: any) => p.error_message);
      expect(messages).toEqual([
        expect.stringMatching(/^The default VPC has no default subnet in an Availability Zone that offers inf2.xlarge/),
        expect.stringMatching(/^The PyTorch inference Neuron DLC is not published in this region/),
      ]);
    });

    test("the artifacts' URL is read through the stack: users of it wait for the signal", () => {
      const { json: withOutput } = synth((s) => {
        const c = new NeuronxCompile(s, "Compile", { model: TINY(), waiter: CompileWaiter.cloudFormation() });
        new TerraformOutput(s, "url", { value: c.compiledArtifactS3Url });
      });
      expect(withOutput.output?.url.value).toBe('${aws_cloudformation_stack.compile_waiter.outputs["ArtifactS3Url"]}');
      expect(json.resource.aws_cloudformation_stack.compile_waiter.depends_on).toEqual([
        "aws_s3_object.compile_script",
        "aws_iam_role_policy.compile",
        "aws_iam_role_policy.compile_signal",
      ]);
    });

    test("the compile role may read its stack's signal handle, and only of the waiter's stacks", () => {
      const statements = json.data.aws_iam_policy_document.compile_signal.statement;
      expect(statements).toEqual([
        { sid: "FindOwnStack", actions: ["ec2:DescribeTags"], resources: ["*"] },
        {
          sid: "SeeLockHolder",
          actions: ["ec2:DescribeInstances"],
          resources: ["*"],
          condition: [{ test: "StringEquals", variable: "aws:RequestedRegion", values: ["${data.aws_region.current.region}"] }],
        },
        {
          sid: "ReadSignalHandle",
          actions: ["cloudformation:DescribeStackResource"],
          resources: [
            "arn:${data.aws_partition.current.partition}:cloudformation:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:stack/neuronx-compile-*/*",
          ],
        },
      ]);
      expect(json.resource.aws_iam_role_policy.compile_signal.role).toBe("${aws_iam_role.compile.name}");
    });

    test("the waiter policy adds the waiter's stacks, and only them", () => {
      const statements = json.data.aws_iam_policy_document.compile_waiter.statement;
      expect(statements[statements.length - 1]).toEqual({
        sid: "WaiterStacks",
        actions: [
          "cloudformation:CreateStack",
          "cloudformation:DeleteStack",
          "cloudformation:UpdateStack",
          "cloudformation:DescribeStacks",
          "cloudformation:DescribeStackEvents",
          "cloudformation:GetTemplate",
        ],
        resources: [
          "arn:${data.aws_partition.current.partition}:cloudformation:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:stack/neuronx-compile-*/*",
        ],
      });
    });

    test("warns that a destroy stops at a created bucket without force destroy", () => {
      const warnings = construct.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
      expect(warnings).toContainEqual(
        expect.stringMatching(/^with waiter CompileWaiter.cloudFormation\(\) nothing checks the created bucket/),
      );
      const forced = compile({ bucketForceDestroy: true }).construct;
      expect(forced.node.metadata.filter((m) => String(m.data).includes("BucketNotEmpty"))).toEqual([]);
    });
  });

  test("abandonAfterMinutes is accepted: the prefix lock's takeover window, which the instance reads", () => {
    const { json } = compile({ abandonAfterMinutes: 10 });
    expect(json.locals?.compile_user_data).toContain("export NEURONX_ABANDON_AFTER_SECONDS='600'");
  });

  describe("refusals", () => {
    const problems = (props: Partial<NeuronxCompileProps>) => {
      const error = thrown(() => compile(props));
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems;
    };

    test("spot: an AWS::EC2::Instance has no on-demand fallback", () => {
      expect(problems({ spot: true })).toEqual([
        expect.stringMatching(
          /^spot must be false with waiter CompileWaiter.cloudFormation\(\): .* use CompileWaiter.localExec\(\) for spot$/,
        ),
      ]);
    });

    test("a deadline over a wait condition's 12 hours", () => {
      expect(problems({ deadlineMinutes: CFN_MAX_DEADLINE_MINUTES + 1 })).toEqual([
        `deadlineMinutes must be at most 720 with waiter CompileWaiter.cloudFormation() (a CloudFormation wait condition waits at most 12 hours), got 721; lower it, or use CompileWaiter.localExec()`,
      ]);
      expect(() => compile({ deadlineMinutes: CFN_MAX_DEADLINE_MINUTES })).not.toThrow();
    });

    test("a waiter that is not a CompileWaiter", () => {
      expect(problems({ waiter: "cloudFormation" as unknown as CompileWaiter })).toEqual([
        'waiter must be CompileWaiter.localExec() or CompileWaiter.cloudFormation(), got "cloudFormation"',
      ]);
    });

    test("every problem at once", () => {
      expect(problems({ spot: true, abandonAfterMinutes: 10, deadlineMinutes: 800 })).toHaveLength(2);
    });
  });
});

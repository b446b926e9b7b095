import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { NeuronxContainerImage } from "../lib/container-images";
import { ValidationError } from "../lib/errors";
import { Model, OptLevel, Parameters, QuantDtype } from "../lib/model";
import { NEURONX_COMPILE_DEFAULTS, NeuronxCompile, NeuronxCompileProps } from "../lib/neuronx-compile";
import { USER_DATA_LIMIT_BYTES } from "../lib/user-data";
import { Synthesized, only, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf";

function compile(props: Partial<NeuronxCompileProps> = {}) {
  let construct: NeuronxCompile | undefined;
  const out = synth((stack) => {
    construct = new NeuronxCompile(stack, "Compile", { model: TINY(), ...props });
  });
  return { ...out, construct: construct as NeuronxCompile };
}

const waiter = (json: Synthesized) => json.resource.null_resource.compile_waiter;
const waiterEnv = (json: Synthesized) => waiter(json).provisioner[0]["local-exec"].environment;
const launchTemplate = (json: Synthesized) => json.resource.aws_launch_template.compile;
const userData = (json: Synthesized): string => json.locals?.compile_user_data;
const policyStatements = (json: Synthesized): any[] => json.data.aws_iam_policy_document.compile.statement;

describe("NeuronxCompile", () => {
  describe("with only a model", () => {
    const { json, text, construct } = compile();

    test("sizes the model: TP degree 2 on inf2.xlarge for TinyLlama", () => {
      expect([construct.tpDegree, construct.compileInstanceType, construct.servingInstanceType]).toEqual([2, "inf2.xlarge", "inf2.xlarge"]);
    });

    test("names the cache key from the model, the revision, the SDK and the default options", () => {
      expect(construct.artifactPrefix).toBe("TinyLlama/TinyLlama-1.1B-Chat-v1.0/main/neuronx-2.25.0/tp2-np4096-bs1-bf16-opt2/");
    });

    test("creates a private, encrypted, versioned, TLS-only bucket", () => {
      expect(text).toHaveResourceWithProperties(
        { tfResourceType: "aws_s3_bucket" },
        { bucket_prefix: "neuronx-artifacts-", force_destroy: false },
      );
      expect(text).toHaveResourceWithProperties(
        { tfResourceType: "aws_s3_bucket_public_access_block" },
        { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
      );
      expect(text).toHaveResourceWithProperties(
        { tfResourceType: "aws_s3_bucket_ownership_controls" },
        { rule: { object_ownership: "BucketOwnerEnforced" } },
      );
      expect(text).toHaveResourceWithProperties(
        { tfResourceType: "aws_s3_bucket_server_side_encryption_configuration" },
        { rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] },
      );
      expect(text).toHaveResourceWithProperties(
        { tfResourceType: "aws_s3_bucket_versioning" },
        { versioning_configuration: { status: "Enabled" } },
      );
      const tls = json.data.aws_iam_policy_document.compile_artifacts_tls_only.statement[0];
      expect(tls).toMatchObject({
        effect: "Deny",
        actions: ["s3:*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
      expect(json.resource.aws_s3_bucket_policy.compile_artifacts.depends_on).toEqual([
        "aws_s3_bucket_public_access_block.compile_artifacts",
      ]);
    });

    test("cleans up incomplete uploads and old versions", () => {
      const rules = json.resource.aws_s3_bucket_lifecycle_configuration.compile_artifacts.rule;
      expect(rules.map((r: any) => r.id)).toEqual(["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]);
    });

    test("launch template: inf2, IMDSv2 required, terminate on shutdown, encrypted gp3 root sized from the model", () => {
      const lt = launchTemplate(json);
      expect(lt).toMatchObject({
        instance_type: "inf2.xlarge",
        instance_initiated_shutdown_behavior: "terminate",
        metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
        block_device_mappings: [
          {
            device_name: "${data.aws_ami.compile.root_device_name}",
            ebs: { volume_size: construct.sizing.rootVolumeGiB, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" },
          },
        ],
        image_id: "${data.aws_ami.compile.id}",
        iam_instance_profile: { arn: "${aws_iam_instance_profile.compile.arn}" },
        vpc_security_group_ids: ["${aws_security_group.compile.id}"],
        user_data: "${base64encode(local.compile_user_data)}",
      });
    });

    test("takes the AMI from the Neuron DLAMI's SSM parameter, as a non-sensitive value", () => {
      expect(only(json, "aws_ssm_parameter", "data").name).toBe(NEURONX_COMPILE_DEFAULTS.amiSsmParameter);
      expect(only(json, "aws_ami", "data").filter).toEqual([
        { name: "image-id", values: ["${data.aws_ssm_parameter.compile.insecure_value}"] },
      ]);
    });

    test("tags the instance and its volume, with the bucket and prefix that find it again", () => {
      const specs = launchTemplate(json).tag_specifications;
      expect(specs.map((s: any) => s.resource_type)).toEqual(["instance", "volume"]);
      expect(specs[0].tags).toEqual({
        Name: "neuronx-compile TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        "neuronx:model": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        "neuronx:revision": "main",
        "neuronx:bucket": "${aws_s3_bucket.compile_artifacts.bucket}",
        "neuronx:prefix": construct.artifactPrefix,
        ManagedBy: "cdktf-neuronx-patterns",
      });
    });

    test("security group: no ingress, egress only to HTTPS and HTTP", () => {
      const sg = only(json, "aws_security_group");
      expect(sg.ingress).toBeUndefined();
      expect(sg.vpc_id).toBe("${data.aws_vpc.compile_default.id}");
      const egress = Object.values(json.resource.aws_vpc_security_group_egress_rule) as any[];
      expect(egress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4])).toEqual([
        ["tcp", 80, 80, "0.0.0.0/0"],
        ["tcp", 443, 443, "0.0.0.0/0"],
      ]);
      expect(json.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    });

    test("instance role: S3 rights limited to its cache-key prefix and its script, pull of its image", () => {
      const byId = Object.fromEntries(policyStatements(json).map((s) => [s.sid, s]));
      expect(byId.ReadWriteOwnArtifacts.resources).toEqual([`\${aws_s3_bucket.compile_artifacts.arn}/${construct.artifactPrefix}*`]);
      expect(byId.ReadCompileScript.resources[0]).toMatch(
        /^\$\{aws_s3_bucket\.compile_artifacts\.arn\}\/_neuronx\/bootstrap\/[0-9a-f]{16}\/\*$/,
      );
      expect(byId.ListOwnPrefixes.condition[0].values[0]).toBe(`${construct.artifactPrefix}*`);
      expect(byId.PullServingImage.resources[0]).toMatch(/:repository\/pytorch-inference-neuronx$/);
      expect(byId.LogInToEcr).toMatchObject({ actions: ["ecr:GetAuthorizationToken"], resources: ["*"] });
      expect(byId.ReadHuggingFaceToken).toBeUndefined();
      const actions = policyStatements(json).flatMap((s) => s.actions);
      expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
    });

    test("the role can be assumed by EC2 only", () => {
      expect(json.data.aws_iam_policy_document.compile_assume_role.statement).toEqual([
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] },
      ]);
    });

    test("ships the compile script as S3 objects keyed by its content", () => {
      const objects = json.resource.aws_s3_object.compile_script;
      expect(objects.for_each).toMatch(/fileset\("assets\/[^"]+", "\*\*\/\*\.py"\)/);
      expect(objects.key).toMatch(/^_neuronx\/bootstrap\/[0-9a-f]{16}\/neuronx_compile\/\$\{each\.value\}$/);
    });

    test("tries the default VPC's subnets in the zones that offer the compile instance type", () => {
      expect(only(json, "aws_vpc", "data")).toMatchObject({ default: true });
      expect(only(json, "aws_ec2_instance_type_offerings", "data")).toMatchObject({
        location_type: "availability-zone",
        filter: [{ name: "instance-type", values: ["inf2.xlarge"] }],
      });
      expect(only(json, "aws_subnets", "data").filter).toEqual([
        { name: "vpc-id", values: ["${data.aws_vpc.compile_default.id}"] },
        { name: "default-for-az", values: ["true"] },
        { name: "availability-zone", values: "${data.aws_ec2_instance_type_offerings.compile.locations}" },
      ]);
      expect(waiterEnv(json).NEURONX_SUBNET_IDS).toBe('${join(" ", sort(data.aws_subnets.compile.ids))}');
    });

    test("the waiter is triggered by the cache key and the launch template version only", () => {
      expect(waiter(json).triggers).toEqual({
        bucket: "${aws_s3_bucket.compile_artifacts.bucket}",
        prefix: construct.artifactPrefix,
        launch_template_id: "${aws_launch_template.compile.id}",
        launch_template_version: "${aws_launch_template.compile.latest_version}",
      });
    });

    test("the waiter runs the waiter script with /bin/sh and the documented defaults", () => {
      const exec = waiter(json).provisioner[0]["local-exec"];
      expect(exec.interpreter).toEqual(["/bin/sh"]);
      expect(exec.command).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/wait-for-compile\.sh$/);
      expect(exec.environment).toMatchObject({
        NEURONX_BUCKET: "${aws_s3_bucket.compile_artifacts.bucket}",
        NEURONX_PREFIX: construct.artifactPrefix,
        NEURONX_SPOT: "false",
        NEURONX_DEADLINE_SECONDS: String(180 * 60),
        NEURONX_POLL_SECONDS: "30",
        NEURONX_ABANDON_SECONDS: String(15 * 60),
        NEURONX_REGION: "${data.aws_region.current.region}",
        NEURONX_ACCOUNT_ID: "${data.aws_caller_identity.current.account_id}",
      });
    });

    test("the instance's lease watchdog checks every poll interval and gives up after 15 minutes", () => {
      expect(userData(json)).toContain("export NEURONX_LEASE_CHECK_SECONDS='30'");
      expect(userData(json)).toContain(`export NEURONX_ABANDON_AFTER_SECONDS='${15 * 60}'`);
    });

    test("waiterPolicyJson: the least the waiter needs, on this prefix, template, role and its instances", () => {
      const out = synth((stack) => {
        const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
        new TerraformOutput(stack, "waiter_policy_json", { value: c.waiterPolicyJson });
      });
      expect(out.json.output?.waiter_policy_json.value).toBe("${data.aws_iam_policy_document.compile_waiter.json}");
      const ec2 = (resource: string) =>
        `arn:\${data.aws_partition.current.partition}:ec2:\${data.aws_region.current.region}:\${data.aws_caller_identity.current.account_id}:${resource}`;
      const bucketArn = "${aws_s3_bucket.compile_artifacts.arn}";
      const prefix = construct.artifactPrefix;
      expect(json.data.aws_iam_policy_document.compile_waiter.statement).toEqual([
        {
          sid: "ReadWriteMarkersAndLock",
          actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
          resources: [`${bucketArn}/${prefix}*`],
        },
        {
          sid: "ListPrefix",
          actions: ["s3:ListBucket"],
          resources: [bucketArn],
          condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${prefix}*`] }],
        },
        { sid: "ListVersionsOnDestroy", actions: ["s3:ListBucketVersions"], resources: [bucketArn] },
        {
          sid: "RunFromLaunchTemplate",
          actions: ["ec2:RunInstances"],
          resources: [
            ec2("launch-template/${aws_launch_template.compile.id}"),
            ...["instance", "volume", "network-interface", "subnet", "security-group", "spot-instances-request"].map((r) => ec2(`${r}/*`)),
            "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}::image/*",
          ],
          condition: [
            { test: "ArnEquals", variable: "ec2:LaunchTemplate", values: [ec2("launch-template/${aws_launch_template.compile.id}")] },
          ],
        },
        {
          sid: "TagOnLaunch",
          actions: ["ec2:CreateTags"],
          resources: [ec2("instance/*"), ec2("volume/*")],
          condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: ["RunInstances"] }],
        },
        {
          sid: "PassCompileRole",
          actions: ["iam:PassRole"],
          resources: ["${aws_iam_role.compile.arn}"],
          condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: ["ec2.amazonaws.com"] }],
        },
        {
          sid: "EndOwnInstances",
          actions: ["ec2:TerminateInstances", "ec2:GetConsoleOutput"],
          resources: [ec2("instance/*")],
          condition: [
            { test: "StringEquals", variable: "aws:ResourceTag/neuronx:bucket", values: ["${aws_s3_bucket.compile_artifacts.bucket}"] },
            { test: "StringEquals", variable: "aws:ResourceTag/neuronx:prefix", values: [prefix] },
          ],
        },
        { sid: "DescribeInstances", actions: ["ec2:DescribeInstances"], resources: ["*"] },
      ]);
    });

    test("warns at synth that a branch revision is cached by its name", () => {
      const warnings = construct.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
      expect(warnings).toEqual([expect.stringMatching(/^revision "main" is not a commit sha: the artifacts are cached by that name/)]);
    });

    describe("on destroy", () => {
      const onDestroy = (j: Synthesized) => j.resource.terraform_data.compile_on_destroy;

      test("a terraform_data runs the waiter script first, before any resource of the compile is destroyed", () => {
        const resource = onDestroy(json);
        const compileResources = Object.entries(json.resource)
          .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
          .filter((address) => address !== "terraform_data.compile_on_destroy");
        expect([...resource.depends_on].sort()).toEqual(compileResources.sort());
        const exec = resource.provisioner[0]["local-exec"];
        expect(exec.when).toBe("destroy");
        expect(exec.command).toBe(waiter(json).provisioner[0]["local-exec"].command);
        expect(exec.environment).toEqual({
          NEURONX_ACTION: "destroy",
          NEURONX_BUCKET: "${self.input.bucket}",
          NEURONX_PREFIX: "${self.input.prefix}",
          NEURONX_REGION: "${self.input.region}",
          NEURONX_ACCOUNT_ID: "${self.input.account_id}",
          NEURONX_BUCKET_CREATED: "${self.input.bucket_created}",
          NEURONX_BUCKET_FORCE_DESTROY: "${self.input.bucket_force_destroy}",
          NEURONX_BUCKET_ADDRESS: "aws_s3_bucket.compile_artifacts",
          NEURONX_SELF_ADDRESS: "terraform_data.compile_on_destroy",
          NEURONX_FORCE_DESTROY_SETTING: "bucketForceDestroy: true",
        });
      });

      test("with the defaults, it guards the created bucket, which Terraform would not empty", () => {
        expect(onDestroy(json).input).toEqual({
          bucket: "${aws_s3_bucket.compile_artifacts.bucket}",
          prefix: construct.artifactPrefix,
          region: "${data.aws_region.current.region}",
          account_id: "${data.aws_caller_identity.current.account_id}",
          bucket_created: "true",
          bucket_force_destroy: "false",
        });
      });

      test.each([
        ["bucketForceDestroy", { bucketForceDestroy: true }, { bucket_created: "true", bucket_force_destroy: "true" }],
        ["a bucket of its own", { bucket: "models" }, { bucket_created: "false", bucket_force_destroy: "false" }],
      ])("with %s, it only ends the instances", (_what, props, input) => {
        expect(onDestroy(compile(props as Partial<NeuronxCompileProps>).json).input).toMatchObject(input);
      });
    });

    test("the waiter runs after the script and the role policy exist", () => {
      expect(waiter(json).depends_on).toEqual(["aws_s3_object.compile_script", "aws_iam_role_policy.compile"]);
    });

    test("the waiter checks at plan time that subnets exist and the region has the image", () => {
      const conditions = waiter(json).lifecycle.precondition;
      expect(conditions.map((c: any) => c.condition)).toEqual([
        "${length(data.aws_subnets.compile.ids) > 0}",
        "${contains(keys(local.neuronx_dlc_registry_accounts), data.aws_region.current.region)}",
      ]);
      expect(conditions[0].error_message).toMatch(/no default subnet in an Availability Zone that offers inf2\.xlarge\. Set subnetId/);
    });

    test("the artifact URL is read through the waiter, so its users wait for the compile", () => {
      expect(construct.compiledArtifactS3Url).toBeDefined();
      const out = synth((stack) => {
        const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
        new S3Bucket(stack, "Consumer", { bucket: "consumer", tags: { source: c.compiledArtifactS3Url } });
      });
      expect(out.json.resource.aws_s3_bucket.Consumer.tags.source).toBe(
        "s3://${null_resource.compile_waiter.triggers.bucket}/${null_resource.compile_waiter.triggers.prefix}",
      );
    });

    test("user data exports the compile settings and the job's environment, and no secret", () => {
      const script = userData(json);
      expect(script.startsWith("#!/bin/bash\n")).toBe(true);
      for (const line of [
        "export NEURONX_MODEL_ID='TinyLlama/TinyLlama-1.1B-Chat-v1.0'",
        "export NEURONX_REVISION='main'",
        "export NEURONX_TP_DEGREE='2'",
        "export NEURONX_N_POSITIONS='4096'",
        "export NEURONX_BATCH_SIZE='1'",
        "export NEURONX_AMP='bf16'",
        "export NEURONX_OPT_LEVEL='2'",
        "export NEURONX_SDK_VERSION='2.25.0'",
        "export NEURON_CC_FLAGS='--model-type=transformer -O2'",
        `export NEURONX_PREFIX='${construct.artifactPrefix}'`,
        // A reference is escaped by Terraform as it resolves.
        `export NEURONX_BUCKET='\${replace(aws_s3_bucket.compile_artifacts.bucket, "'", "'\\\\''")}'`,
        "export NEURONX_DEADLINE_MINUTES='180'",
      ]) {
        expect(script).toContain(line);
      }
      expect(script).not.toMatch(/NEURONX_QUANT_DTYPE|HF_TOKEN=|hf_[A-Za-z0-9]{20,}/);
    });

    test("user data stays under EC2's 16 KB limit with room for every reference", () => {
      expect(construct.userDataMaxBytes).toBeGreaterThan(Buffer.byteLength(userData(json)) - 1000);
      expect(construct.userDataMaxBytes).toBeLessThan(USER_DATA_LIMIT_BYTES / 2);
    });

    test("tags every taggable resource with the model", () => {
      for (const type of ["aws_s3_bucket", "aws_iam_role", "aws_iam_instance_profile", "aws_launch_template", "aws_security_group"]) {
        expect(only(json, type).tags).toMatchObject({ "neuronx:model": "TinyLlama/TinyLlama-1.1B-Chat-v1.0" });
      }
    });

    test("names resources as a person would: aws_launch_template.compile, null_resource.compile_waiter", () => {
      expect(Object.keys(json.resource.aws_launch_template)).toEqual(["compile"]);
      expect(Object.keys(json.resource.null_resource)).toEqual(["compile_waiter"]);
      expect(text).not.toMatch(/"[A-Za-z]+_[A-Za-z]+_[0-9A-F]{8}": \{/);
    });
  });

  describe("props", () => {
    test("compileOptions reach the cache key and the user data", () => {
      const { construct, json } = compile({
        compileOptions: {
          nPositions: 1024,
          batchSize: 2,
          amp: "f16",
          quantDtype: QuantDtype.S8,
          optLevel: OptLevel.MODEL_EXECUTION_PERFORMANCE,
        },
      });
      expect(construct.artifactPrefix).toBe("TinyLlama/TinyLlama-1.1B-Chat-v1.0/main/neuronx-2.25.0/tp2-np1024-bs2-f16-opt3-qs8/");
      expect(userData(json)).toContain("export NEURONX_QUANT_DTYPE='s8'");
      expect(userData(json)).toContain("export NEURON_CC_FLAGS='--model-type=transformer -O3'");
    });

    test("a pinned revision is part of the cache key", () => {
      const { construct } = compile({ model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0", { revision: "refs/pr/12" }) });
      expect(construct.artifactPrefix).toMatch(/^TinyLlama\/TinyLlama-1\.1B-Chat-v1\.0\/refs_2fpr_2f12\/neuronx-2\.25\.0\//);
    });

    test("bucket as a name: nothing is created and the ARNs name it", () => {
      const { json, construct } = compile({ bucket: "my-models" });
      expect(json.resource.aws_s3_bucket).toBeUndefined();
      expect(construct.bucketName).toBe("my-models");
      expect(policyStatements(json)[0].resources[0]).toBe(
        `arn:\${data.aws_partition.current.partition}:s3:::my-models/${construct.artifactPrefix}*`,
      );
      expect(waiter(json).triggers.bucket).toBe("my-models");
    });

    test("bucket as a construct: its name and ARN are used", () => {
      const out = synth((stack) => {
        const bucket = new S3Bucket(stack, "Models", { bucket: "models" });
        new NeuronxCompile(stack, "Compile", { model: TINY(), bucket });
      });
      expect(Object.keys(out.json.resource.aws_s3_bucket)).toEqual(["Models"]);
      expect(policyStatements(out.json)[0].resources[0]).toMatch(/^\$\{aws_s3_bucket\.Models\.arn\}\//);
    });

    test("bucketForceDestroy empties the created bucket on destroy", () => {
      expect(only(compile({ bucketForceDestroy: true }).json, "aws_s3_bucket").force_destroy).toBe(true);
    });

    test("subnetId: that subnet only, checked to offer the instance type", () => {
      const { json } = compile({ subnetId: "subnet-0123456789abcdef0" });
      expect(json.data.aws_vpc).toBeUndefined();
      expect(json.data.aws_subnets).toBeUndefined();
      expect(only(json, "aws_subnet", "data").id).toBe("subnet-0123456789abcdef0");
      expect(only(json, "aws_security_group").vpc_id).toBe("${data.aws_subnet.compile.vpc_id}");
      expect(waiterEnv(json).NEURONX_SUBNET_IDS).toBe("subnet-0123456789abcdef0");
      expect(waiter(json).lifecycle.precondition[0].condition).toBe(
        "${contains(data.aws_ec2_instance_type_offerings.compile.locations, data.aws_subnet.compile.availability_zone)}",
      );
    });

    test("spot asks the waiter for spot first", () => {
      expect(waiterEnv(compile({ spot: true }).json).NEURONX_SPOT).toBe("true");
    });

    test("instanceType sets the compile instance", () => {
      const { json, construct } = compile({ instanceType: "inf2.8xlarge" });
      expect(launchTemplate(json).instance_type).toBe("inf2.8xlarge");
      expect(construct.servingInstanceType).toBe("inf2.xlarge");
    });

    test("servingInstanceType sets the TP degree to use its cores", () => {
      const { construct } = compile({ servingInstanceType: "inf2.24xlarge" });
      expect([construct.tpDegree, construct.compileInstanceType]).toEqual([8, "inf2.24xlarge"]);
    });

    test("amiId replaces the SSM parameter", () => {
      const { json } = compile({ amiId: "ami-0123456789abcdef0" });
      expect(json.data.aws_ssm_parameter).toBeUndefined();
      expect(only(json, "aws_ami", "data").filter[0].values).toEqual(["ami-0123456789abcdef0"]);
    });

    test("amiSsmParameter names another parameter", () => {
      const name = "/aws/service/neuron/dlami/multi-framework/ubuntu-22.04/latest/image_id";
      expect(only(compile({ amiSsmParameter: name }).json, "aws_ssm_parameter", "data").name).toBe(name);
    });

    test("containerImage from ECR: its URI, repository and registry, and its SDK in the cache key", () => {
      const uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/neuron/serving:2.20.2";
      const { json, construct } = compile({ containerImage: NeuronxContainerImage.fromEcrUri(uri, "2.20.2") });
      expect(construct.artifactPrefix).toContain("/neuronx-2.20.2/");
      expect(userData(json)).toContain(`export NEURONX_IMAGE='${uri}'`);
      expect(userData(json)).toContain("export NEURONX_REGISTRY='123456789012.dkr.ecr.eu-west-1.amazonaws.com'");
      expect(json.locals?.neuronx_dlc_registry_accounts).toBeUndefined();
      expect(policyStatements(json).find((s) => s.sid === "PullServingImage").resources).toEqual([
        "arn:${data.aws_partition.current.partition}:ecr:eu-west-1:123456789012:repository/neuron/serving",
      ]);
      expect(waiter(json).lifecycle.precondition).toHaveLength(1);
    });

    test("huggingFaceTokenSecretArn: the role may read that secret, the user data carries only its ARN", () => {
      const { json } = compile({ huggingFaceTokenSecretArn: SECRET });
      expect(policyStatements(json).find((s) => s.sid === "ReadHuggingFaceToken")).toEqual({
        sid: "ReadHuggingFaceToken",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [SECRET],
      });
      expect(userData(json)).toContain(`export NEURONX_HF_TOKEN_SECRET_ARN='${SECRET}'`);
    });

    test("abandonAfterMinutes reaches the waiter and the instance's lease watchdog", () => {
      const { json } = compile({ abandonAfterMinutes: 5, pollIntervalSeconds: 10 });
      expect(waiterEnv(json)).toMatchObject({ NEURONX_ABANDON_SECONDS: "300" });
      expect(userData(json)).toContain("export NEURONX_ABANDON_AFTER_SECONDS='300'");
      expect(userData(json)).toContain("export NEURONX_LEASE_CHECK_SECONDS='10'");
    });

    test("abandonAfterMinutes defaults to the deadline when that is under 15 minutes", () => {
      expect(waiterEnv(compile({ deadlineMinutes: 10 }).json)).toMatchObject({ NEURONX_ABANDON_SECONDS: "600" });
    });

    test("a pinned commit is cached by it without a warning", () => {
      const sha = "fe8a4ea1ffedaf415f4da2f062534de366a451e6";
      const { construct } = compile({ model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0", { revision: sha }) });
      expect(construct.artifactPrefix).toContain(`/${sha}/`);
      expect(construct.node.metadata.filter((m) => m.type === "@cdktf/warn")).toEqual([]);
    });

    test("deadlineMinutes and pollIntervalSeconds reach the waiter and the instance's watchdog", () => {
      const { json } = compile({ deadlineMinutes: 60, pollIntervalSeconds: 10 });
      expect(waiterEnv(json)).toMatchObject({ NEURONX_DEADLINE_SECONDS: "3600", NEURONX_POLL_SECONDS: "10" });
      expect(userData(json)).toContain("export NEURONX_DEADLINE_MINUTES='60'");
    });

    test("rootVolumeSizeGiB sets the root volume", () => {
      expect(launchTemplate(compile({ rootVolumeSizeGiB: 500 }).json).block_device_mappings[0].ebs.volume_size).toBe(500);
    });

    test("tags are added to the construct's own", () => {
      const { json } = compile({ tags: { CostCenter: "ml" } });
      expect(launchTemplate(json).tag_specifications[0].tags).toMatchObject({ CostCenter: "ml", ManagedBy: "cdktf-neuronx-patterns" });
      expect(only(json, "aws_iam_role").tags).toMatchObject({ CostCenter: "ml" });
    });

    test("two compiles in one stack get their own names", () => {
      const out = synth((stack) => {
        new NeuronxCompile(stack, "Small", { model: TINY() });
        new NeuronxCompile(stack, "Large", { model: Model.fromHuggingFace("meta-llama/Llama-2-7b-hf") });
      });
      expect(Object.keys(out.json.resource.aws_launch_template).sort()).toEqual(["large", "small"]);
      expect(Object.keys(out.json.resource.null_resource).sort()).toEqual(["large_waiter", "small_waiter"]);
    });
  });

  describe("validation", () => {
    const problems = (props: Partial<NeuronxCompileProps>) => {
      const error = thrown(() => compile(props));
      if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${error}`);
      return error;
    };

    test.each([
      [{ bucket: "My_Bucket" }, /bucket must be an S3 bucket name: .* got "My_Bucket", which contains "M"/],
      [{ bucket: "models", bucketForceDestroy: true }, /bucketForceDestroy applies only to the bucket this construct creates/],
      [{ subnetId: "sn-1" }, /subnetId must be a subnet id, .* e\.g\. "subnet-0123456789abcdef0"; got "sn-1"/],
      [{ amiId: "ubuntu" }, /amiId must be an AMI id, .* e\.g\. "ami-0123456789abcdef0"; got "ubuntu"/],
      [{ amiId: "ami-0123456789abcdef0", amiSsmParameter: "/x" }, /amiId and amiSsmParameter both name the AMI; set only one/],
      [{ amiSsmParameter: "image_id" }, /amiSsmParameter must be an SSM parameter name starting with "\/".* got "image_id"/],
      [
        { huggingFaceTokenSecretArn: "hf_abc" },
        /huggingFaceTokenSecretArn must be a Secrets Manager secret ARN, .* got a value of 6 characters \(not shown: it may be the secret itself\)/,
      ],
      [{ deadlineMinutes: 5 }, /deadlineMinutes must be a whole number of minutes from 10 to 2880, got 5/],
      [{ pollIntervalSeconds: 1 }, /pollIntervalSeconds must be a whole number of seconds from 5 to 600, got 1/],
      [
        { deadlineMinutes: 10, pollIntervalSeconds: 300 },
        /pollIntervalSeconds must be at most a quarter of deadlineMinutes \(150 seconds\), got 300/,
      ],
      [{ abandonAfterMinutes: 0 }, /abandonAfterMinutes must be a whole number of minutes from 1 to 1440, got 0/],
      [{ abandonAfterMinutes: 2.5 }, /abandonAfterMinutes must be a whole number of minutes from 1 to 1440, got 2.5/],
      [{ abandonAfterMinutes: 60, deadlineMinutes: 30 }, /abandonAfterMinutes must be at most deadlineMinutes \(30\), got 60/],
      [
        { abandonAfterMinutes: 1 },
        /pollIntervalSeconds must be at most a quarter of abandonAfterMinutes \(15 seconds\), so that a lost poll or two do not stop the compile, got 30/,
      ],
      [
        { model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0", { revision: "a/".repeat(63) + "a" }), bucket: "models" },
        /the cache key ".*" is \d+ characters, more than the 256 of the instance tag that carries it; use a shorter revision/,
      ],
      [{ rootVolumeSizeGiB: 50 }, /rootVolumeSizeGiB must be a whole number of GiB from 100 to 16384, got 50/],
      [
        { rootVolumeSizeGiB: 100 },
        /rootVolumeSizeGiB must hold the DLAMI, the container image and the checkpoint, about 140 GiB .* got 100/,
      ],
      [{ tags: { "aws:owner": "x" } }, /tags key "aws:owner" must be a tag key of 1 to 128 .* got "aws:owner", which starts with "aws:"/],
      [
        { tags: { Note: "x".repeat(257) } },
        /tags\["Note"\] must be a tag value of at most 256 .* \(257 characters\), which is 257 characters long/,
      ],
      [{ instanceType: "inf2.large" }, /instanceType must be one of inf2\.xlarge, .* got "inf2\.large"/],
      [
        { compileOptions: { tpDegree: 8 }, instanceType: "inf2.8xlarge" },
        /at most the 2 NeuronCores of inf2\.8xlarge, got 8; lower tpDegree or set instanceType to inf2\.24xlarge/,
      ],
      [{ compileOptions: { nPositions: 64 } }, /compileOptions\.nPositions must be a whole number from 128 to 131072, got 64/],
      [{ model: Model.fromHuggingFace("meta-llama/Llama-3.1-405B") }, /is too large for Inferentia2/],
    ])("throws for %j", (props, message) => {
      expect(problems(props as Partial<NeuronxCompileProps>).message).toMatch(message);
    });

    test("names the construct and collects every problem in one error", () => {
      const error = problems({ subnetId: "x", amiId: "y", deadlineMinutes: 1, compileOptions: { batchSize: 0 } });
      expect(error.message).toMatch(/^test\/Compile: 4 problems:\n {2}- /);
      expect(error.problems).toHaveLength(4);
    });

    test("reports sizing problems together with the other props' problems", () => {
      const error = problems({ subnetId: "x", model: Model.fromHuggingFace("meta-llama/Llama-3.1-405B") });
      expect(error.problems).toHaveLength(2);
    });

    test("skips Terraform references, which are checked by AWS at apply", () => {
      expect(() =>
        synth((stack) => {
          const bucket = new S3Bucket(stack, "B", {});
          new NeuronxCompile(stack, "Compile", { model: TINY(), bucket: bucket.bucket, subnetId: bucket.id });
        }),
      ).not.toThrow();
    });

    test("throws when two compiles would share Terraform names", () => {
      expect(() =>
        synth((stack) => {
          new NeuronxCompile(stack, "Compile", { model: TINY() });
          new NeuronxCompile(new Construct(stack, "Team"), "Compile", { model: TINY() });
        }),
      ).toThrow(/the Terraform name aws_.*\.compile.* is taken by test\/Compile\/.*; give one of the constructs another id/);
    });

    test("works with only the model and a parameter count", () => {
      expect(() => compile({ model: Model.fromHuggingFace("gpt2", { parameters: Parameters.million(124) }) })).not.toThrow();
    });
  });
});

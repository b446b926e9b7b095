import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, Testing, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { NeuronxContainerImage } from "../lib/container-images";
import { ValidationError } from "../lib/errors";
import { Model, QuantDtype } from "../lib/model";
import { DEFAULT_INFERENCE_CODE_DIR, TransformersNeuronxSageMakerInferenceModelData } from "../lib/model-data";
import { NeuronxCompile } from "../lib/neuronx-compile";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps as EndpointProps,
  defaultEndpointName,
  scaledDefaults,
} from "../lib/realtime-endpoint";
import { Synthesized, only, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");

function endpoint(props: Partial<EndpointProps> = {}, model = TINY()) {
  let construct: Endpoint | undefined;
  let compile: NeuronxCompile | undefined;
  const out = synth((stack) => {
    compile = new NeuronxCompile(stack, "Compile", { model });
    construct = new Endpoint(stack, "Inference", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
      ...props,
    });
  });
  return { ...out, construct: construct as Endpoint, compile: compile as NeuronxCompile };
}

const model = (json: Synthesized) => json.resource.aws_sagemaker_model.inference;
const config = (json: Synthesized) => json.resource.aws_sagemaker_endpoint_configuration.inference;
const variant = (json: Synthesized) => config(json).production_variants[0];
const statements = (json: Synthesized): any[] => json.data.aws_iam_policy_document.inference.statement;

describe("TransformersNeuronxSageMakerRealtimeInferenceEndpoint", () => {
  describe("with only model data from a NeuronxCompile in the same stack", () => {
    const { json, construct, compile } = endpoint();

    test("serves the artifacts' prefix as an uncompressed S3Prefix, read through the waiter", () => {
      expect(model(json).primary_container.model_data_source.s3_data_source).toEqual([
        {
          s3_uri: "s3://${null_resource.compile_waiter.triggers.bucket}/${null_resource.compile_waiter.triggers.prefix}",
          s3_data_type: "S3Prefix",
          compression_type: "None",
        },
      ]);
    });

    test("the model waits for the compile, its role policy and its code", () => {
      expect(model(json).depends_on).toEqual([
        "aws_iam_role_policy.inference",
        "aws_s3_object.inference_code",
        "null_resource.compile_waiter",
      ]);
    });

    test("the container's environment is the compile settings, plus SageMaker's", () => {
      expect(model(json).primary_container.environment).toEqual({
        ...compile.settings.environment,
        SAGEMAKER_PROGRAM: "inference.py",
        SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
        SAGEMAKER_MODEL_SERVER_WORKERS: "1",
        SAGEMAKER_MODEL_SERVER_TIMEOUT: String(variant(json).container_startup_health_check_timeout_in_seconds),
        NEURON_RT_NUM_CORES: "2",
        PYTHONPATH: "/opt/ml/model/code/test-inference",
        NEURONX_MAX_NEW_TOKENS: "512",
      });
      // Read by the toolkit only on its non-TorchServe path (sagemaker-pytorch-inference 2.0.25).
      expect(model(json).primary_container.environment.SAGEMAKER_STARTUP_TIMEOUT).toBeUndefined();
    });

    test("the image is the one that compiled, the region's DLC", () => {
      expect(model(json).primary_container.image).toMatch(
        /\.dkr\.ecr\..*\/pytorch-inference-neuronx:2\.7\.0-neuronx-py310-sdk2\.25\.0-ubuntu22\.04$/,
      );
      expect(model(json).primary_container.mode).toBe("SingleModel");
    });

    test("network isolation is on", () => {
      expect(model(json).enable_network_isolation).toBe(true);
    });

    test("execution role: reads its prefix, pulls its image, writes its logs; no wildcard actions, no managed policies", () => {
      const byId = Object.fromEntries(statements(json).map((s) => [s.sid, s]));
      expect(Object.keys(byId)).toEqual([
        "ReadModelArtifacts",
        "ListModelArtifacts",
        "PullServingImage",
        "LogInToEcr",
        "WriteEndpointLogs",
      ]);
      expect(byId.ReadModelArtifacts).toEqual({
        sid: "ReadModelArtifacts",
        actions: ["s3:GetObject"],
        resources: [`\${aws_s3_bucket.compile_artifacts.arn}/${compile.artifactPrefix}*`],
      });
      expect(byId.ListModelArtifacts.condition[0].values).toEqual([`${compile.artifactPrefix}*`]);
      expect(byId.WriteEndpointLogs.resources[0]).toMatch(/:log-group:\/aws\/sagemaker\/Endpoints\/test-inference$/);
      expect(
        statements(json)
          .flatMap((s) => s.actions)
          .filter((a: string) => a.includes("*")),
      ).toEqual([]);
      expect(json.resource.aws_iam_role_policy_attachment).toBeUndefined();
      expect(json.data.aws_iam_policy_document.inference_assume_role.statement[0].principals).toEqual([
        { type: "Service", identifiers: ["sagemaker.amazonaws.com"] },
      ]);
    });

    test("uploads the default inference code to its own folder, <prefix>code/<endpoint name>/, which PYTHONPATH names", () => {
      const code = json.resource.aws_s3_object.inference_code;
      expect(code.key).toBe(`${compile.artifactPrefix}code/test-inference/\${each.value}`);
      expect(model(json).primary_container.environment.PYTHONPATH).toBe("/opt/ml/model/code/test-inference");
      expect(code.for_each).toMatch(/fileset\("assets\/[^"]+", "\*\*"\)/);
      expect(fs.existsSync(path.join(DEFAULT_INFERENCE_CODE_DIR, "inference.py"))).toBe(true);
    });

    test("endpoint configuration: sizing's instance type, one instance, volume and timeouts scaled from the model", () => {
      const scaled = scaledDefaults(compile.sizing.checkpointBytes);
      expect(variant(json)).toEqual({
        variant_name: "AllTraffic",
        model_name: "${aws_sagemaker_model.inference.name}",
        instance_type: "ml.inf2.xlarge",
        initial_instance_count: 1,
        volume_size_in_gb: scaled.volumeSizeGiB,
        model_data_download_timeout_in_seconds: scaled.downloadTimeout,
        container_startup_health_check_timeout_in_seconds: scaled.startupTimeout,
        inference_ami_version: "al2-ami-sagemaker-inference-neuron-2",
      });
      expect(config(json).kms_key_arn).toBeUndefined();
      expect(config(json).data_capture_config).toBeUndefined();
    });

    test("model and configuration are replaced before they are destroyed, under generated names", () => {
      expect(model(json).lifecycle).toEqual({ create_before_destroy: true });
      expect(model(json).name).toBeUndefined();
      expect(config(json).lifecycle).toEqual({ create_before_destroy: true });
      expect(config(json).name_prefix).toBe("test-inference-");
    });

    test("the endpoint is named from the stack and the construct", () => {
      expect(json.resource.aws_sagemaker_endpoint.inference).toMatchObject({
        name: "test-inference",
        endpoint_config_name: "${aws_sagemaker_endpoint_configuration.inference.name}",
      });
      expect(construct.endpointName).toBe("test-inference");
    });

    test("offers an IAM policy document that allows invoking the endpoint", () => {
      expect(json.data.aws_iam_policy_document.inference_invoke.statement).toEqual([
        { sid: "InvokeEndpoint", actions: ["sagemaker:InvokeEndpoint"], resources: ["${aws_sagemaker_endpoint.inference.arn}"] },
      ]);
      expect(construct.invokePolicyJson).toBeDefined();
    });

    test("no autoscaling, no VPC by default", () => {
      expect(json.resource.aws_appautoscaling_target).toBeUndefined();
      expect(model(json).vpc_config).toBeUndefined();
    });
  });

  describe("scaled defaults", () => {
    test.each([
      ["1.1B", 1.1e9 * 2, 30, 631, 641],
      ["7B", 14e9, 30, 796, 861],
      ["70B", 140e9, 141, 2556, 3208],
      ["180B", 360e9, 346, 3600, 3600],
    ])("for %s of artifacts: volume, download and startup timeouts within SageMaker's limits", (_n, bytes, volume, download, startup) => {
      expect(scaledDefaults(bytes)).toEqual({ volumeSizeGiB: volume, downloadTimeout: download, startupTimeout: startup });
    });
  });

  describe("props", () => {
    test("instanceType and instanceCount", () => {
      const { json } = endpoint({ instanceType: "ml.inf2.8xlarge", instanceCount: 3 });
      expect(variant(json)).toMatchObject({ instance_type: "ml.inf2.8xlarge", initial_instance_count: 3 });
    });

    test("endpointName names the endpoint, its configuration and its log group", () => {
      const { json } = endpoint({ endpointName: "chat-prod" });
      expect(json.resource.aws_sagemaker_endpoint.inference.name).toBe("chat-prod");
      expect(config(json).name_prefix).toBe("chat-prod-");
      expect(statements(json).find((s) => s.sid === "WriteEndpointLogs").resources[0]).toMatch(/Endpoints\/chat-prod$/);
    });

    test("volume and timeouts can be set", () => {
      const { json } = endpoint({
        volumeSizeGiB: 100,
        modelDataDownloadTimeoutSeconds: 1200,
        containerStartupHealthCheckTimeoutSeconds: 1800,
      });
      expect(variant(json)).toMatchObject({
        volume_size_in_gb: 100,
        model_data_download_timeout_in_seconds: 1200,
        container_startup_health_check_timeout_in_seconds: 1800,
      });
      expect(model(json).primary_container.environment.SAGEMAKER_MODEL_SERVER_TIMEOUT).toBe("1800");
    });

    test("kmsKeyArn encrypts the volumes", () => {
      const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
      expect(config(endpoint({ kmsKeyArn: arn }).json).kms_key_arn).toBe(arn);
    });

    test("dataCapture captures requests and responses, and the role may write them", () => {
      const { json } = endpoint({ dataCapture: { destinationS3Uri: "s3://captures/chat", samplingPercentage: 20, captureOutput: false } });
      expect(config(json).data_capture_config).toEqual({
        enable_capture: true,
        destination_s3_uri: "s3://captures/chat",
        initial_sampling_percentage: 20,
        capture_options: [{ capture_mode: "Input" }],
        capture_content_type_header: { json_content_types: ["application/json"] },
      });
      expect(statements(json).find((s) => s.sid === "WriteDataCapture").resources).toEqual([
        // SageMaker writes <destination>/<endpoint name>/...: the role may write there only.
        "arn:${data.aws_partition.current.partition}:s3:::captures/chat/test-inference/*",
      ]);
    });

    test("vpcConfig places the containers in subnets, with the role's network interface rights", () => {
      const { json } = endpoint({ vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] } });
      expect(model(json).vpc_config).toEqual({ subnets: ["subnet-0123456789abcdef0"], security_group_ids: ["sg-0123456789abcdef0"] });
      expect(statements(json).find((s) => s.sid === "AttachToVpc").actions).toContain("ec2:CreateNetworkInterface");
    });

    test("networkIsolation can be turned off for custom code that calls out", () => {
      expect(model(endpoint({ networkIsolation: false }).json).enable_network_isolation).toBe(false);
    });

    test("autoScaling tracks invocations per instance", () => {
      const { json } = endpoint({ autoScaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 30 } });
      expect(only(json, "aws_appautoscaling_target")).toMatchObject({
        service_namespace: "sagemaker",
        resource_id: "endpoint/${aws_sagemaker_endpoint.inference.name}/variant/AllTraffic",
        scalable_dimension: "sagemaker:variant:DesiredInstanceCount",
        min_capacity: 1,
        max_capacity: 4,
      });
      expect(only(json, "aws_appautoscaling_policy")).toMatchObject({
        policy_type: "TargetTrackingScaling",
        target_tracking_scaling_policy_configuration: {
          target_value: 30,
          predefined_metric_specification: { predefined_metric_type: "SageMakerVariantInvocationsPerInstance" },
          scale_in_cooldown: 300,
          scale_out_cooldown: 60,
        },
      });
    });

    test("environment adds variables", () => {
      expect(model(endpoint({ environment: { LOG_LEVEL: "debug" } }).json).primary_container.environment.LOG_LEVEL).toBe("debug");
    });

    test("containerImage of the same SDK replaces the image", () => {
      const uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my/neuron:2.25.0";
      const { json } = endpoint({ containerImage: NeuronxContainerImage.fromEcrUri(uri, "2.25.0") });
      expect(model(json).primary_container.image).toBe(uri);
    });

    test("tags are added to the construct's own", () => {
      expect(json(endpoint({ tags: { Team: "ml" } })).resource.aws_sagemaker_endpoint.inference.tags).toEqual({
        "neuronx:model": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        ManagedBy: "cdktf-neuronx-patterns",
        Team: "ml",
      });
      function json(x: { json: Synthesized }) {
        return x.json;
      }
    });

    test("a custom code directory is checked and uploaded instead of the default", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-"));
      fs.writeFileSync(path.join(dir, "inference.py"), "def model_fn(d):\n    return d\n");
      fs.writeFileSync(path.join(dir, "requirements.txt"), "\n");
      const out = synth((stack) => {
        const compile = new NeuronxCompile(stack, "Compile", { model: TINY() });
        new Endpoint(stack, "Inference", { modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile, dir) });
      });
      const assetDir = out.json.resource.aws_s3_object.inference_code.source.split("/${each.value}")[0];
      expect(assetDir).toMatch(/^assets\//);
      expect(out.json.resource.aws_s3_object.inference_code.key).toMatch(/code\/test-inference\/\$\{each\.value\}$/);
    });

    test("inferenceAmiVersion sets the production variant's AMI", () => {
      expect(variant(endpoint({ inferenceAmiVersion: "al2-ami-sagemaker-inference-neuron-2" }).json).inference_ami_version).toBe(
        "al2-ami-sagemaker-inference-neuron-2",
      );
    });

    test("maxNewTokens caps what a request may ask for", () => {
      expect(model(endpoint({ maxNewTokens: 128 }).json).primary_container.environment.NEURONX_MAX_NEW_TOKENS).toBe("128");
    });
  });

  describe("two endpoints on one compile", () => {
    const dirs = ["a", "b"].map((name) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `code-${name}-`));
      fs.writeFileSync(path.join(dir, "inference.py"), `NAME = "${name}"\n`);
      return dir;
    });
    const out = synth((stack) => {
      const compile = new NeuronxCompile(stack, "Compile", { model: TINY() });
      dirs.forEach(
        (dir, i) =>
          new Endpoint(stack, `Chat${i}`, { modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile, dir) }),
      );
    });
    const objects = Object.values(out.json.resource.aws_s3_object as Record<string, { key: string }>).filter((o) =>
      o.key.includes("/code/"),
    );
    const models = Object.values(out.json.resource.aws_sagemaker_model as Record<string, any>);

    test("upload their code to different folders of the same model data", () => {
      expect(objects.map((o) => o.key.replace(/^.*\/code\//, "code/")).sort()).toEqual([
        "code/test-chat0/${each.value}",
        "code/test-chat1/${each.value}",
      ]);
    });

    test("each model reads the same prefix and points the toolkit at its own folder", () => {
      expect(new Set(models.map((m) => m.primary_container.model_data_source.s3_data_source[0].s3_uri)).size).toBe(1);
      expect(models.map((m) => m.primary_container.environment.PYTHONPATH).sort()).toEqual([
        "/opt/ml/model/code/test-chat0",
        "/opt/ml/model/code/test-chat1",
      ]);
    });
  });

  describe("across stacks", () => {
    test("serves a compile of another stack through its outputs, without depends_on across stacks", () => {
      const app = Testing.app();
      const compileStack = new TerraformStack(app, "compile");
      new AwsProvider(compileStack, "aws", { region: "us-east-1" });
      new NullProvider(compileStack, "null");
      const compile = new NeuronxCompile(compileStack, "Compile", { model: TINY() });
      const endpointStack = new TerraformStack(app, "endpoint");
      new AwsProvider(endpointStack, "aws", { region: "us-east-1" });
      new Endpoint(endpointStack, "Inference", { modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile) });
      app.synth();
      const json = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "endpoint", "cdk.tf.json"), "utf8"));
      expect(model(json).depends_on).toEqual(["aws_iam_role_policy.inference", "aws_s3_object.inference_code"]);
      expect(model(json).primary_container.model_data_source.s3_data_source[0].s3_uri).toMatch(/terraform_remote_state/);
    });
  });

  describe("fromS3: artifacts compiled elsewhere", () => {
    const fromS3 = (extra: object = {}) =>
      TransformersNeuronxSageMakerInferenceModelData.fromS3({
        bucket: "shared-models",
        prefix: "llama/8b/",
        model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct"),
        compileOptions: { tpDegree: 2, nPositions: 4096, quantDtype: QuantDtype.S8 },
        ...extra,
      });

    test("serves the given prefix with the settings it was compiled with", () => {
      const out = synth((stack) => new Endpoint(stack, "Inference", { modelData: fromS3() }));
      const m = model(out.json);
      expect(m.primary_container.model_data_source.s3_data_source[0].s3_uri).toBe("s3://shared-models/llama/8b/");
      expect(m.primary_container.environment).toMatchObject({
        NEURONX_TP_DEGREE: "2",
        NEURONX_QUANT_DTYPE: "s8",
        NEURONX_N_POSITIONS: "4096",
      });
      expect(m.depends_on).toEqual(["aws_iam_role_policy.inference", "aws_s3_object.inference_code"]);
      expect(variant(out.json).instance_type).toBe("ml.inf2.8xlarge");
    });

    test.each([
      [
        { prefix: "/llama/8b/" },
        /prefix must be an S3 key prefix ending with "\/", not starting with "\/", .* got "\/llama\/8b\/", which starts with "\/"/,
      ],
      [{ prefix: "llama/8b" }, /prefix must be an S3 key prefix .* got "llama\/8b", which does not end with "\/"/],
      [{ compileOptions: { nPositions: 4096 } }, /compileOptions\.tpDegree is required: the artifacts were compiled for one TP degree/],
      [{ customCodeDir: "/nonexistent/code" }, /customCodeDir must be a directory, got "\/nonexistent\/code"/],
    ])("throws for %j", (extra, message) => {
      expect(() => fromS3(extra)).toThrow(message);
    });
  });

  describe("validation", () => {
    const problems = (props: Partial<EndpointProps>, m = TINY()) => {
      const error = thrown(() => endpoint(props, m));
      if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${error}`);
      return error.message;
    };

    test.each([
      [
        { instanceType: "ml.g5.xlarge" },
        /instanceType must be one of ml\.inf2\.xlarge, ml\.inf2\.8xlarge, ml\.inf2\.24xlarge, ml\.inf2\.48xlarge, got "ml\.g5\.xlarge"/,
      ],
      [{ instanceType: "inf2.xlarge" }, /instanceType must be one of ml\.inf2\.xlarge, .* got "inf2\.xlarge"/],
      [
        { instanceType: "ml.inf1.xlarge" },
        /instanceType ml\.inf1\.xlarge is an Inf1 type\. Inf1 \(Inferentia1\) is not supported: transformers-neuronx runs only on Inf2 and Trn1, .*; use an Inf2 type \(ml\.inf2\.xlarge, /,
      ],
      [{ instanceCount: 0 }, /instanceCount must be a whole number from 1 to 100, got 0/],
      [{ endpointName: "my_endpoint" }, /endpointName must be 1 to 63 letters, digits and hyphens, .* got "my_endpoint"/],
      [{ endpointName: "x".repeat(64) }, /endpointName must be 1 to 63/],
      [{ endpointName: "ends-" }, /endpointName must be .* got "ends-"/],
      [{ volumeSizeGiB: 600 }, /volumeSizeGiB must be a whole number of GiB from 1 to 512, got 600/],
      [
        { modelDataDownloadTimeoutSeconds: 30 },
        /modelDataDownloadTimeoutSeconds must be a whole number of seconds from 60 to 3600, got 30/,
      ],
      [
        { containerStartupHealthCheckTimeoutSeconds: 4000 },
        /containerStartupHealthCheckTimeoutSeconds must be a whole number of seconds from 60 to 3600, got 4000/,
      ],
      [{ kmsKeyArn: "alias/mine" }, /kmsKeyArn must be a KMS key ARN, .* got "alias\/mine"/],
      [
        { dataCapture: { destinationS3Uri: "captures" } },
        /dataCapture\.destinationS3Uri must be an S3 URI, .* e\.g\. "s3:\/\/my-bucket\/capture"; got "captures"/,
      ],
      [
        { dataCapture: { destinationS3Uri: "s3://c/p", samplingPercentage: 101 } },
        /dataCapture\.samplingPercentage must be a whole number from 0 to 100, got 101/,
      ],
      [{ dataCapture: { destinationS3Uri: "s3://c/p", captureInput: false, captureOutput: false } }, /dataCapture captures nothing/],
      [
        { vpcConfig: { subnetIds: [], securityGroupIds: ["sg-0123456789abcdef0"] } },
        /vpcConfig\.subnetIds must name 1 to 16 subnet ids, got 0/,
      ],
      [
        { autoScaling: { minCapacity: 3, maxCapacity: 2, targetInvocationsPerInstance: 10 } },
        /autoScaling\.maxCapacity must be at least minCapacity \(3\), got 2/,
      ],
      [
        { autoScaling: { minCapacity: 0, maxCapacity: 2, targetInvocationsPerInstance: 10 } },
        /autoScaling\.minCapacity must be at least 1, got 0: a real-time endpoint keeps an instance; to scale to zero, make the endpoint asynchronous with asyncInference: \{ scaleToZero: true \}/,
      ],
      [
        { autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 0 } },
        /autoScaling\.targetInvocationsPerInstance must be a positive number/,
      ],
      [
        { instanceCount: 5, autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 5 } },
        /instanceCount 5 must be within autoScaling's minCapacity 1 and maxCapacity 2/,
      ],
      [
        { environment: { NEURONX_TP_DEGREE: "8" } },
        /environment\.NEURONX_TP_DEGREE is a compile setting, set from the artifacts so that compile and serving agree/,
      ],
      [{ environment: { NEURON_CC_FLAGS: "-O3" } }, /environment\.NEURON_CC_FLAGS is a compile setting/],
      [{ environment: { "bad-name": "x" } }, /environment key "bad-name" must be a variable name: .* got "bad-name", which contains "-"/],
      [{ tags: { "aws:x": "y" } }, /tags key "aws:x" must be a tag key of 1 to 128 .* which starts with "aws:"/],
      [
        { containerImage: NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/n:2.20.2", "2.20.2") },
        /containerImage carries the Neuron SDK 2\.20\.2, but the artifacts were compiled with 2\.25\.0; NEFFs load only in the runtime that compiled them/,
      ],
      [
        { inferenceAmiVersion: "al2-ami-sagemaker-inference-gpu-3-1" },
        /inferenceAmiVersion must be a SageMaker inference AMI with the Neuron driver \(al2-ami-sagemaker-inference-neuron-2\), got "al2-ami-sagemaker-inference-gpu-3-1"/,
      ],
      [{ maxNewTokens: 0 }, /maxNewTokens must be a whole number of tokens \(below the nPositions 4096 .*\) from 1 to 4095, got 0/],
      [{ maxNewTokens: 4096 }, /maxNewTokens must be a whole number of tokens .* from 1 to 4095, got 4096/],
      [
        { environment: { PYTHONPATH: "/opt/ml/model/code" } },
        /environment\.PYTHONPATH is set by the construct \(it points the toolkit at this endpoint's inference code\); remove it/,
      ],
      [{ environment: { NEURONX_MAX_NEW_TOKENS: "9" } }, /environment\.NEURONX_MAX_NEW_TOKENS is set by maxNewTokens; remove it/],
    ])("throws for %j", (props, message) => {
      expect(problems(props as Partial<EndpointProps>)).toMatch(message);
    });

    test("throws when the instance type has fewer NeuronCores than the TP degree", () => {
      const error = thrown(() =>
        synth((stack) => {
          const compile = new NeuronxCompile(stack, "Compile", { model: TINY(), compileOptions: { tpDegree: 8 } });
          new Endpoint(stack, "Inference", {
            modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
            instanceType: "ml.inf2.8xlarge",
          });
        }),
      ) as Error;
      expect(error.message).toMatch(
        /instanceType ml\.inf2\.8xlarge has 2 NeuronCores, fewer than the tensor parallel degree 8 the model was compiled for; use ml\.inf2\.24xlarge or larger/,
      );
    });

    test("throws when the instance type lacks the host memory to serve", () => {
      expect(problems({ instanceType: "ml.inf2.xlarge" }, Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct"))).toMatch(
        /instanceType ml\.inf2\.xlarge has 16 GiB of host memory, but serving meta-llama\/Meta-Llama-3-8B-Instruct needs about 17 GiB; use ml\.inf2\.8xlarge/,
      );
    });

    test("collects every problem at once", () => {
      const error = thrown(() => endpoint({ instanceCount: 0, endpointName: "_", volumeSizeGiB: 0 })) as ValidationError;
      expect(error.problems).toHaveLength(3);
    });

    test("throws for a custom code directory without inference.py", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-"));
      expect(() => TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile({} as NeuronxCompile, dir)).toThrow(
        /customCodeDir must hold inference\.py \(the SageMaker entry point, SAGEMAKER_PROGRAM\), but .* does not/,
      );
    });
  });
});

describe("defaultEndpointName", () => {
  test("is <stack>-<id> in kebab case", () => {
    const stack = new TerraformStack(new App(), "ChatStack");
    expect(defaultEndpointName(new Construct(stack, "RealtimeInference"))).toBe("chat-stack-realtime-inference");
  });

  test("is shortened with a hash past 63 characters", () => {
    const stack = new TerraformStack(new App(), "a-very-long-stack-name-for-the-production-environment");
    const name = defaultEndpointName(new Construct(stack, "TheRealtimeInferenceEndpointOfTheChatModel"));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(name).toMatch(/-[0-9a-f]{8}$/);
  });
});

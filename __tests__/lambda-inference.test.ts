import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ValidationError } from "../lib/errors";
import { LambdaInferenceFrontDoor } from "../lib/lambda-inference-front-door";
import { LAMBDA_INFERENCE_MODEL, LambdaInferenceModel } from "../lib/lambda-inference-model";
import {
  LAMBDA_INFERENCE_CODE,
  LAMBDA_PYTHON_RUNTIMES,
  LambdaInferenceDependencies,
  LambdaInferenceFunction,
  LambdaInferenceFunctionProps,
  sizeLambdaFunction,
} from "../lib/lambda-inference";
import { TerraformAsset, TerraformOutput } from "cdktf";
import { Synthesized, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const MiB = 2 ** 20;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-inference-test-"));

/** A model directory as the function loads it (small files: only names and sizes matter at synth). */
function modelDir(name = "tiny-chat", bytes = 1024): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of LAMBDA_INFERENCE_MODEL.requiredFiles) fs.writeFileSync(path.join(dir, file), "x".repeat(bytes));
  return dir;
}

/** A layer .zip as scripts/build-lambda-layer.sh writes it (python/ at the root), made with Python's zipfile. */
function layerZip(): string {
  const root = path.join(tmp, "layer");
  fs.mkdirSync(path.join(root, "python", "numpy"), { recursive: true });
  fs.writeFileSync(path.join(root, "python", "numpy", "__init__.py"), "# numpy\n".repeat(100));
  const zip = path.join(tmp, "layer.zip");
  if (!fs.existsSync(zip)) execFileSync("python3", ["-m", "zipfile", "-c", zip, "python/"], { cwd: root });
  return zip;
}

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-inference:1.0";
const LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:3";

function build(props: Partial<LambdaInferenceFunctionProps> = {}) {
  let construct: LambdaInferenceFunction | undefined;
  const out = synth((stack) => {
    construct = new LambdaInferenceFunction(stack, "Chat", {
      model: LambdaInferenceModel.fromLocalDirectory(modelDir(), { bucket: "models-bucket" }),
      dependencies: LambdaInferenceDependencies.fromLayerZip(layerZip(), "models-bucket"),
      ...props,
    });
    new TerraformOutput(stack, "url", { value: construct.url });
  });
  const skips = (construct as any).function.toTerraform().resource.aws_lambda_function.chat["//"]?.checkov?.skip ?? {};
  return { ...out, construct: construct as LambdaInferenceFunction, skips: skips as Record<string, string> };
}

const fn = (json: Synthesized) => json.resource.aws_lambda_function.chat;
const statements = (json: Synthesized): any[] => json.data.aws_iam_policy_document.chat.statement;
const problemsOf = (error: unknown) => (error as ValidationError).problems;

describe("LambdaInferenceFunction", () => {
  describe("with a local model directory uploaded to S3 and the default function URL", () => {
    const { json, construct, skips } = build();

    test("is a published .zip function on Python 3.13 and arm64, sized from the model", () => {
      expect(fn(json)).toMatchObject({
        function_name: "test-chat",
        package_type: "Zip",
        runtime: "python3.13",
        architectures: ["arm64"],
        handler: "lambda_inference.app.handler",
        publish: true,
        memory_size: 1769,
        ephemeral_storage: { size: 512 },
        timeout: 300,
        tracing_config: { mode: "PassThrough" },
        logging_config: { log_format: "Text", log_group: "${aws_cloudwatch_log_group.chat.name}" },
      });
      expect(fn(json).snap_start).toBeUndefined();
      expect(construct.memorySizeMiB).toBe(1769);
    });

    test("tells the function where the model is", () => {
      expect(fn(json).environment.variables).toEqual({
        LAMBDA_INFERENCE_MODEL_SOURCE: "s3",
        LAMBDA_INFERENCE_MODEL_BUCKET: "models-bucket",
        LAMBDA_INFERENCE_MODEL_PREFIX: "lambda-inference/tiny-chat/",
      });
    });

    test("uploads the model files, one object a file, before the function is created", () => {
      const upload = json.resource.aws_s3_object.chat_model;
      expect(upload.key).toBe("lambda-inference/tiny-chat/${each.value}");
      expect(upload.for_each).toMatch(/fileset\("assets\/[^"]+", "\*\*"\)/);
      expect(fn(json).depends_on).toEqual(["aws_iam_role_policy.chat", "aws_cloudwatch_log_group.chat", "aws_s3_object.chat_model"]);
    });

    test("publishes the dependencies layer from S3 for the function's runtime and architecture", () => {
      const layer = json.resource.aws_lambda_layer_version.chat_dependencies;
      expect(layer).toMatchObject({
        s3_bucket: "${aws_s3_object.chat_layer.bucket}",
        s3_key: "${aws_s3_object.chat_layer.key}",
        compatible_runtimes: ["python3.13"],
        compatible_architectures: ["arm64"],
      });
      expect(fn(json).layers).toEqual(["${aws_lambda_layer_version.chat_dependencies.arn}"]);
      expect(json.resource.aws_s3_object.chat_layer.key).toMatch(/^lambda-layers\/[0-9a-f]{12}\/lambda-inference-[0-9a-f]{16}\.zip$/);
    });

    test("packages the handler and the chat contract, and nothing else", () => {
      const assetPath: string = fn(json).filename;
      expect(assetPath).toMatch(/^assets\/.*\.zip$/);
      // The directory cdktf zips: the code asset's source, staged under the app's output directory.
      const asset = construct.node.findAll().find((c) => c instanceof TerraformAsset && c.node.id === "CodeAsset");
      const dir: string = (asset as any).sourcePath;
      expect(dir).toContain(`${path.sep}.neuronx-staging${path.sep}`);
      expect(fs.readdirSync(dir).sort()).toEqual(["chat_contract", "lambda_inference"]);
      expect(fs.readdirSync(path.join(dir, "lambda_inference"))).not.toContain("requirements.txt");
      expect(fs.readdirSync(path.join(dir, "lambda_inference"))).not.toContain("__pycache__");
      expect(fn(json).source_code_hash).toMatch(/filebase64sha256/);
    });

    test("role: writes its own log group, reads its model's prefix; nothing else", () => {
      const byId = Object.fromEntries(statements(json).map((s) => [s.sid, s]));
      expect(Object.keys(byId)).toEqual(["WriteLogs", "ReadModel", "ListModel"]);
      expect(byId.WriteLogs.actions).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
      expect(byId.WriteLogs.resources[0]).toMatch(/:log-group:\/aws\/lambda\/test-chat:\*$/);
      expect(byId.ReadModel.resources).toEqual([
        "arn:${data.aws_partition.current.partition}:s3:::models-bucket/lambda-inference/tiny-chat/*",
      ]);
      expect(byId.ListModel.condition[0].values).toEqual(["lambda-inference/tiny-chat/*"]);
      expect(statements(json).flatMap((s) => s.resources)).not.toContain("*");
      expect(json.resource.aws_iam_role_policy_attachment).toBeUndefined();
      expect(json.data.aws_iam_policy_document.chat_assume_role.statement[0].principals).toEqual([
        { type: "Service", identifiers: ["lambda.amazonaws.com"] },
      ]);
    });

    test("creates its log group with a retention", () => {
      expect(json.resource.aws_cloudwatch_log_group.chat).toMatchObject({ name: "/aws/lambda/test-chat", retention_in_days: 30 });
    });

    test("answers through its function URL with IAM auth on the alias, buffered", () => {
      expect(json.resource.aws_lambda_alias.chat).toMatchObject({
        name: "live",
        function_version: "${aws_lambda_function.chat.version}",
      });
      expect(json.resource.aws_lambda_function_url.chat).toEqual({
        function_name: "test-chat",
        qualifier: "${aws_lambda_alias.chat.name}",
        authorization_type: "AWS_IAM",
        invoke_mode: "BUFFERED",
      });
      expect(json.output?.url.value).toBe("${aws_lambda_function_url.chat.function_url}");
    });

    test("gives callers a policy with both actions a function URL needs", () => {
      const invoke = json.data.aws_iam_policy_document.chat_invoke.statement;
      expect(invoke.map((s: any) => s.actions[0])).toEqual(["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]);
      expect(invoke.every((s: any) => s.resources[0] === "${aws_lambda_alias.chat.arn}")).toBe(true);
    });

    test("justifies the checkov checks it does not meet, next to the function", () => {
      expect(Object.keys(skips).sort()).toEqual(["CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173", "CKV_AWS_272"]);
    });
  });

  describe("sizing", () => {
    test.each([
      // model MiB, S3 copy?, memory, ephemeral
      [1, true, 1769, 512],
      [400, true, 1769, 512],
      [1000, true, 2560, 1164],
      [3000, true, 6528, 3364],
      [4800, false, 10112, 512],
    ])("a %s MiB model (copied from S3: %s) gets %s MB of memory and %s MB of ephemeral storage", (mib, s3, memory, ephemeral) => {
      const sized = sizeLambdaFunction(mib * MiB, s3 ? mib * MiB : 0);
      expect([sized.memoryMiB, sized.ephemeralStorageMiB]).toEqual([memory, ephemeral]);
    });

    test("throws for a model too large for Lambda's memory, pointing at the SageMaker endpoint", () => {
      const error = thrown(() => build({ model: LambdaInferenceModel.fromS3({ bucket: "b-models", prefix: "big/", sizeMiB: 6000 }) }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(String(error)).toMatch(
        /the model \(6000 MiB\) needs about 12512 MB of memory \(twice the model while onnxruntime loads it, plus 512 MiB\), over Lambda's 10240 MB; serve it on Inferentia2 with TransformersNeuronxSageMakerRealtimeInferenceEndpoint/,
      );
    });

    test("throws for memory below what the model needs to load", () => {
      const model = LambdaInferenceModel.fromS3({ bucket: "b-models", prefix: "m/", sizeMiB: 1000 });
      expect(String(thrown(() => build({ model, memorySizeMiB: 1024 })))).toMatch(
        /memorySizeMiB 1024 is less than the 2512 MB the model \(1000 MiB\) needs to load/,
      );
    });

    test("throws for ephemeral storage below the S3 copy", () => {
      const model = LambdaInferenceModel.fromS3({ bucket: "b-models", prefix: "m/", sizeMiB: 1000 });
      expect(String(thrown(() => build({ model, ephemeralStorageMiB: 512 })))).toMatch(
        /ephemeralStorageMiB 512 is less than the 1164 MB the S3 model's copy needs/,
      );
    });
  });

  describe("SnapStart", () => {
    test("applies to published versions of a small S3 model, with a plan-time check of the region", () => {
      const { json } = build({ snapStart: true });
      expect(fn(json).snap_start).toEqual({ apply_on: "PublishedVersions" });
      expect(fn(json).lifecycle.precondition[0].error_message).toMatch(/no SnapStart in ap-southeast-6 or ap-east-2/);
      expect(fn(json).lifecycle.precondition[0].condition).toMatch(
        /contains\(\["ap-southeast-6", "ap-east-2"\], data\.aws_region\.current\.region\)/,
      );
    });

    test.each([
      [
        "EFS",
        () =>
          LambdaInferenceModel.fromEfs({
            fileSystemId: "fs-0123456789abcdef0",
            path: "/models/tiny",
            sizeMiB: 10,
            subnetIds: ["subnet-0123abcd"],
            mountTargetSecurityGroupId: "sg-0123abcd",
          }),
        /snapStart is not available with EFS/,
      ],
      [
        "a container image",
        () => LambdaInferenceModel.fromContainerImage({ imageUri: IMAGE, sizeMiB: 10 }),
        /snapStart is not available for container images/,
      ],
      [
        "an S3 model whose copy needs more than 512 MB",
        () => LambdaInferenceModel.fromS3({ bucket: "b-models", prefix: "m/", sizeMiB: 600 }),
        /snapStart allows at most 512 MB of ephemeral storage, but the S3 model \(600 MiB\) needs 724 MB for its copy/,
      ],
    ])("throws with %s", (_, model, message) => {
      const image = _ === "a container image";
      expect(String(thrown(() => build({ model: model(), snapStart: true, ...(image ? { dependencies: undefined } : {}) })))).toMatch(
        message,
      );
    });
  });

  describe("with an EFS model", () => {
    const { json, skips } = build({
      model: LambdaInferenceModel.fromEfs({
        fileSystemId: "fs-0123456789abcdef0",
        path: "/models/tiny",
        sizeMiB: 100,
        subnetIds: ["subnet-0123abcd", "subnet-4567ef01"],
        mountTargetSecurityGroupId: "sg-0123abcd",
      }),
    });

    test("mounts an access point rooted at the model directory, as uid and gid 1000", () => {
      expect(json.resource.aws_efs_access_point.chat_model).toMatchObject({
        file_system_id: "fs-0123456789abcdef0",
        root_directory: { path: "/models/tiny" },
        posix_user: { uid: 1000, gid: 1000 },
      });
      expect(fn(json).file_system_config).toEqual({ arn: "${aws_efs_access_point.chat_model.arn}", local_mount_path: "/mnt/model" });
      expect(fn(json).environment.variables).toEqual({ LAMBDA_INFERENCE_MODEL_SOURCE: "efs", LAMBDA_INFERENCE_MODEL_DIR: "/mnt/model" });
    });

    test("runs in the subnets with its own security group, allowed NFS to the mount targets and admitted by them", () => {
      expect(fn(json).vpc_config).toEqual({
        subnet_ids: ["subnet-0123abcd", "subnet-4567ef01"],
        security_group_ids: ["${aws_security_group.chat.id}"],
      });
      expect(json.resource.aws_security_group.chat.vpc_id).toBe("${data.aws_subnet.chat.vpc_id}");
      expect(json.resource.aws_vpc_security_group_egress_rule.chat_nfs).toMatchObject({
        security_group_id: "${aws_security_group.chat.id}",
        referenced_security_group_id: "sg-0123abcd",
        from_port: 2049,
        to_port: 2049,
        ip_protocol: "tcp",
      });
      expect(json.resource.aws_vpc_security_group_ingress_rule.chat_nfs).toMatchObject({
        security_group_id: "sg-0123abcd",
        referenced_security_group_id: "${aws_security_group.chat.id}",
        from_port: 2049,
      });
      expect(fn(json).depends_on).toContain("aws_vpc_security_group_ingress_rule.chat_nfs");
    });

    test("role: mounts read-only through its access point only, and manages its network interfaces; no S3", () => {
      const byId = Object.fromEntries(statements(json).map((s) => [s.sid, s]));
      expect(Object.keys(byId)).toEqual([
        "WriteLogs",
        "MountModelReadOnly",
        "CreateNetworkInterfaces",
        "ManageNetworkInterfaces",
        "DescribeNetwork",
      ]);
      expect(byId.MountModelReadOnly.actions).toEqual(["elasticfilesystem:ClientMount"]);
      expect(byId.MountModelReadOnly.condition[0]).toEqual({
        test: "StringEquals",
        variable: "elasticfilesystem:AccessPointArn",
        values: ["${aws_efs_access_point.chat_model.arn}"],
      });
      expect(byId.CreateNetworkInterfaces.resources.filter((r: string) => r.includes(":subnet/"))).toHaveLength(2);
      expect(statements(json).flatMap((s) => s.actions)).not.toContain("elasticfilesystem:ClientWrite");
      expect(byId.DescribeNetwork.resources).toEqual(["*"]);
      expect(skips.CKV_AWS_117).toBeUndefined();
    });

    test("needs no ephemeral storage for the model", () => {
      expect(fn(json).ephemeral_storage).toEqual({ size: 512 });
    });
  });

  describe("with a container image", () => {
    const { json } = build({
      model: LambdaInferenceModel.fromContainerImage({ imageUri: IMAGE, sizeMiB: 300 }),
      dependencies: undefined,
      architecture: "x86_64",
    });

    test("is an Image function running the handler, with no runtime or layers", () => {
      expect(fn(json)).toMatchObject({
        package_type: "Image",
        image_uri: IMAGE,
        image_config: { command: ["lambda_inference.app.handler"] },
        architectures: ["x86_64"],
      });
      expect(fn(json).runtime).toBeUndefined();
      expect(fn(json).layers).toBeUndefined();
      expect(json.resource.aws_lambda_layer_version).toBeUndefined();
    });

    test("checks at plan time that the image is in the function's region", () => {
      const check = fn(json).lifecycle.precondition[0];
      expect(check.condition).toBe('${(data.aws_region.current.region == "us-east-1")}');
      expect(check.error_message).toMatch(/Lambda pulls images only from ECR in the function's own region/);
    });

    test("throws with dependencies or a runtime, which the image brings", () => {
      const error = thrown(() =>
        build({
          model: LambdaInferenceModel.fromContainerImage({ imageUri: IMAGE, sizeMiB: 300 }),
          dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER_ARN),
          runtime: "python3.12",
        }),
      );
      expect(problemsOf(error)).toEqual([
        "dependencies must be unset with a container image: the image brings its own libraries",
        "runtime must be unset with a container image: the image's base sets the Python version",
      ]);
    });
  });

  describe("behind an HTTP API", () => {
    test("with IAM: one route, POST /chat, payload 2.0, a 30-second integration, an access log and throttling", () => {
      const { json } = build({ frontDoor: LambdaInferenceFrontDoor.httpApi() });
      expect(json.resource.aws_apigatewayv2_route.chat).toMatchObject({ route_key: "POST /chat", authorization_type: "AWS_IAM" });
      expect(json.resource.aws_apigatewayv2_integration.chat).toMatchObject({
        integration_type: "AWS_PROXY",
        integration_uri: "${aws_lambda_alias.chat.arn}",
        payload_format_version: "2.0",
        timeout_milliseconds: 30000,
      });
      expect(json.resource.aws_apigatewayv2_stage.chat).toMatchObject({
        name: "$default",
        auto_deploy: true,
        access_log_settings: { destination_arn: "${aws_cloudwatch_log_group.chat_access.arn}" },
        default_route_settings: { throttling_rate_limit: 10, throttling_burst_limit: 20 },
      });
      expect(json.resource.aws_lambda_permission.chat_api).toMatchObject({
        principal: "apigateway.amazonaws.com",
        qualifier: "${aws_lambda_alias.chat.name}",
        source_arn: "${aws_apigatewayv2_api.chat.execution_arn}/*/POST/chat",
      });
      expect(fn(json).timeout).toBe(30);
      expect(json.resource.aws_lambda_function_url).toBeUndefined();
      expect(json.output?.url.value).toBe("${aws_apigatewayv2_api.chat.api_endpoint}/chat");
      expect(json.data.aws_iam_policy_document.chat_invoke.statement[0]).toMatchObject({
        actions: ["execute-api:Invoke"],
        resources: ["${aws_apigatewayv2_api.chat.execution_arn}/$default/POST/chat"],
      });
    });

    test("with JWT: an authorizer on the route and no IAM policy for callers", () => {
      const jwt = { issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", audience: ["client"] };
      const { json, construct } = build({ frontDoor: LambdaInferenceFrontDoor.httpApi({ authorization: { jwt } }) });
      expect(json.resource.aws_apigatewayv2_authorizer.chat).toMatchObject({
        authorizer_type: "JWT",
        jwt_configuration: { issuer: jwt.issuer, audience: ["client"] },
      });
      expect(json.resource.aws_apigatewayv2_route.chat).toMatchObject({
        authorization_type: "JWT",
        authorizer_id: "${aws_apigatewayv2_authorizer.chat.id}",
      });
      expect(construct.invokePolicyJson).toBeUndefined();
    });

    test("throws for a timeout the HTTP API would cut", () => {
      expect(String(thrown(() => build({ frontDoor: LambdaInferenceFrontDoor.httpApi(), timeoutSeconds: 120 })))).toMatch(
        /timeoutSeconds 120 is longer than the 30 seconds an HTTP API waits for an answer; lower it, or use LambdaInferenceFrontDoor.functionUrl\(\)/,
      );
    });

    test("throws for a JWT issuer that is not an https URL", () => {
      expect(
        String(thrown(() => LambdaInferenceFrontDoor.httpApi({ authorization: { jwt: { issuer: "cognito", audience: [] } } }))),
      ).toMatch(/2 problems:[\s\S]*issuer must be an https URL, got "cognito"[\s\S]*audience must name at least one audience/);
    });
  });

  describe("validation", () => {
    test("collects every problem of the props and throws once", () => {
      const error = thrown(() =>
        build({
          functionName: "has spaces",
          logRetentionDays: 10,
          timeoutSeconds: 0,
          reservedConcurrentExecutions: -1,
          runtime: "python3.9" as any,
          architecture: "sparc" as any,
          logKmsKeyArn: "alias/logs",
        }),
      );
      expect(problemsOf(error)).toEqual([
        "timeoutSeconds must be a whole number of seconds from 1 to 900, got 0",
        "reservedConcurrentExecutions must be a whole number from 0 to 1000, got -1",
        expect.stringMatching(/^logRetentionDays must be one of CloudWatch's retention values \(1, 3, 5, 7, 14, 30, .*\), got 10$/),
        expect.stringMatching(
          /^logKmsKeyArn must be a KMS key ARN, .*\(a key, not an alias: IAM grants name keys\).* got "alias\/logs", which does not have that form$/,
        ),
        `runtime must be one of ${LAMBDA_PYTHON_RUNTIMES.join(", ")} (Lambda's supported Python runtimes from 3.12, the first with SnapStart), got "python3.9"`,
        'architecture must be "arm64" or "x86_64", got "sparc"',
        'functionName must be 1 to 64 letters, digits, hyphens and underscores, got "has spaces"',
      ]);
    });

    test("throws for a .zip function without dependencies, saying how to build them", () => {
      expect(String(thrown(() => build({ dependencies: undefined })))).toMatch(
        /dependencies is required for a \.zip function: build the layer with scripts\/build-lambda-layer\.sh <arm64\|x86_64> <3\.12\|3\.13\|3\.14>/,
      );
    });

    test("throws when the layer and the code exceed 250 MB unzipped", () => {
      expect(String(thrown(() => build({ dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER_ARN, 250) })))).toMatch(
        /dependencies and the function's code are 251 MB unzipped, over Lambda's 250 MB for a \.zip function/,
      );
    });

    test.each([
      [
        () => LambdaInferenceModel.fromLocalDirectory(path.join(tmp, "missing"), { bucket: "b-models" }),
        /directory must be a directory, got/,
      ],
      [
        () => {
          const dir = modelDir("incomplete");
          fs.rmSync(path.join(dir, "model.onnx"));
          return LambdaInferenceModel.fromLocalDirectory(dir, { bucket: "b-models" });
        },
        /lacks model\.onnx; the function loads an ONNX causal LM exported without past key values \(optimum-cli export onnx --task text-generation\)/,
      ],
      [() => LambdaInferenceModel.fromS3({ bucket: "Bad_Bucket", prefix: "/m", sizeMiB: 0 }), /3 problems/],
      [
        () =>
          LambdaInferenceModel.fromEfs({
            fileSystemId: "fs-x",
            path: "models",
            sizeMiB: 1,
            subnetIds: [],
            mountTargetSecurityGroupId: "sg-1",
          }),
        /4 problems:[\s\S]*fileSystemId must be an EFS file system id[\s\S]*path must be an absolute directory[\s\S]*subnetIds must name 1 to 16 subnet ids, got 0[\s\S]*mountTargetSecurityGroupId must be a security group id/,
      ],
      [
        () => LambdaInferenceModel.fromContainerImage({ imageUri: "docker.io/library/python:3.13", sizeMiB: 1 }),
        /imageUri must be a private ECR image, .* because SageMaker and Lambda pull images only from ECR; .* got "docker.io\/library\/python:3.13"/,
      ],
      [() => LambdaInferenceDependencies.fromLayerArn("my-layer"), /layerArn must be a layer version ARN/],
      [
        () => LambdaInferenceDependencies.fromLayerZip(path.join(tmp, "none.zip"), "b-models"),
        /is not a file; build it with scripts\/build-lambda-layer\.sh/,
      ],
    ])("a model or dependency that cannot work throws at once (%#)", (make, message) => {
      const error = thrown(make);
      expect(error).toBeInstanceOf(ValidationError);
      expect(String(error)).toMatch(message);
    });
  });
});

describe("the Lambda function's Python code and the construct", () => {
  const python = JSON.parse(
    execFileSync(
      "python3",
      [
        "-c",
        "import json; from lambda_inference import constants as c; " +
          "print(json.dumps({'env': c.ENV, 'sources': c.SOURCES, 'files': c.REQUIRED_FILES}))",
      ],
      { cwd: path.join(__dirname, "..", "python"), encoding: "utf8" },
    ),
  );

  test("name the environment variables and the model files alike", () => {
    expect(python.env).toEqual(LAMBDA_INFERENCE_MODEL.env);
    expect(python.files).toEqual([...LAMBDA_INFERENCE_MODEL.requiredFiles]);
    expect(python.sources).toEqual(["s3", "efs", "image"]);
  });

  test("the handler is where the function's configuration says", () => {
    const [module, handler] = [LAMBDA_INFERENCE_CODE.handler.replace(/\.[^.]+$/, ""), LAMBDA_INFERENCE_CODE.handler.split(".").pop()];
    const file = path.join(__dirname, "..", "python", ...module.split(".")) + ".py";
    expect(fs.readFileSync(file, "utf8")).toContain(`def ${handler}(event: dict, context)`);
  });
});

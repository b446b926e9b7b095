// The HCL modules of the other serving systems (lambda-inference, triton-endpoint) against their
// constructs: the same inputs give the same function (memory, storage, timeout, code, environment,
// SnapStart, network), the same front door, the same Triton model and endpoint configuration, and
// both refuse the same inputs before anything is created. The module side is a `terraform plan`
// against moto on 127.0.0.1 (the data sources need an AWS API); the construct side is its
// synthesized JSON. (modules.test.ts runs fmt, validate and checkov on every module, these included.)
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Construct } from "constructs";
import { LambdaInferenceDependencies, LambdaInferenceFunction, LambdaInferenceFunctionProps } from "../../lib/lambda-inference";
import { LambdaInferenceModel } from "../../lib/lambda-inference-model";
import { LambdaInferenceFrontDoor } from "../../lib/lambda-inference-front-door";
import { TritonSageMakerRealtimeInferenceEndpoint, TritonSageMakerRealtimeInferenceEndpointProps } from "../../lib/triton-endpoint";
import { TritonImage } from "../../lib/triton-image";
import { TritonNeuronModelRepository, TritonNeuronModelRepositoryProps } from "../../lib/triton-model-repository";
import { MODULES_DIR } from "../../scripts/generate-modules";
import { Synthesized, synth } from "../helpers/synth";
import { Moto, startMoto } from "../helpers/moto";
import { thrown } from "../helpers/thrown";
import { goldenTritonSpecs } from "../helpers/triton-specs";
import { terraform } from "../helpers/terraform";
import { blocks, emulatedAwsProvider } from "../helpers/module-plan";

const LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:3";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-inference:1";
const TRITON_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tritonserver-neuronx:24.12";
const MOUNT_SG = "sg-0123456789abcdef0";
const JWT = { issuer: "https://issuer.example.com/", audience: ["chat"] };

/** A Lambda case: the module's inputs and the construct's props (model and front door built per side). */
interface LambdaCase {
  hcl: Record<string, unknown>;
  ts: (subnetId: string) => LambdaInferenceFunctionProps;
}

const LAMBDA_CASES: Record<string, LambdaCase> = {
  // A small S3 model with SnapStart behind the function URL.
  s3_snapstart: {
    hcl: { model_s3: { bucket: "models", prefix: "tiny/", size_mib: 100 }, dependencies_layer_arn: LAYER, snap_start: true },
    ts: () => ({
      model: LambdaInferenceModel.fromS3({ bucket: "models", prefix: "tiny/", sizeMiB: 100 }),
      dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
      snapStart: true,
    }),
  },
  // A 2 GiB S3 model behind an HTTP API with IAM auth, x86_64, Python 3.12, traced, with reserved concurrency.
  s3_http_api: {
    hcl: {
      model_s3: { bucket: "models", prefix: "big/", size_mib: 2048 },
      dependencies_layer_arn: LAYER,
      front_door: "http_api",
      http_api_throttling: { rate_limit: 5, burst_limit: 7 },
      architecture: "x86_64",
      runtime: "python3.12",
      tracing: true,
      reserved_concurrent_executions: 3,
      log_retention_days: 7,
    },
    ts: () => ({
      model: LambdaInferenceModel.fromS3({ bucket: "models", prefix: "big/", sizeMiB: 2048 }),
      dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
      frontDoor: LambdaInferenceFrontDoor.httpApi({ throttlingRateLimit: 5, throttlingBurstLimit: 7 }),
      architecture: "x86_64",
      runtime: "python3.12",
      tracing: true,
      reservedConcurrentExecutions: 3,
      logRetentionDays: 7,
    }),
  },
  // A container image behind an HTTP API with JWT auth, explicit memory and timeout.
  image_jwt: {
    hcl: {
      model_image: { image_uri: IMAGE, size_mib: 700 },
      front_door: "http_api",
      http_api_jwt: JWT,
      memory_size_mib: 4096,
      timeout_seconds: 20,
    },
    ts: () => ({
      model: LambdaInferenceModel.fromContainerImage({ imageUri: IMAGE, sizeMiB: 700 }),
      frontDoor: LambdaInferenceFrontDoor.httpApi({ authorization: { jwt: JWT } }),
      memorySizeMiB: 4096,
      timeoutSeconds: 20,
    }),
  },
  // A 3 GiB model on EFS behind the function URL.
  efs: {
    hcl: {
      model_efs: {
        file_system_id: "fs-0123456789abcdef0",
        path: "/models/big",
        size_mib: 3072,
        subnet_ids: ["SUBNET"],
        mount_target_security_group_id: MOUNT_SG,
      },
      dependencies_layer_arn: LAYER,
    },
    ts: (subnetId) => ({
      model: LambdaInferenceModel.fromEfs({
        fileSystemId: "fs-0123456789abcdef0",
        path: "/models/big",
        sizeMiB: 3072,
        subnetIds: [subnetId],
        mountTargetSecurityGroupId: MOUNT_SG,
      }),
      dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
    }),
  },
};

/** Inputs both sides refuse, with a word of each message. */
const LAMBDA_REJECTED: Record<string, [LambdaCase, RegExp, RegExp]> = {
  snapstart_image: [
    {
      hcl: { model_image: { image_uri: IMAGE, size_mib: 100 }, snap_start: true },
      ts: () => ({ model: LambdaInferenceModel.fromContainerImage({ imageUri: IMAGE, sizeMiB: 100 }), snapStart: true }),
    },
    /SnapStart is not available for container images/,
    /snapStart is not available for container images/,
  ],
  snapstart_efs: [
    {
      hcl: {
        model_efs: {
          file_system_id: "fs-0123456789abcdef0",
          path: "/m",
          size_mib: 100,
          subnet_ids: ["SUBNET"],
          mount_target_security_group_id: MOUNT_SG,
        },
        dependencies_layer_arn: LAYER,
        snap_start: true,
      },
      ts: (subnetId) => ({
        model: LambdaInferenceModel.fromEfs({
          fileSystemId: "fs-0123456789abcdef0",
          path: "/m",
          sizeMiB: 100,
          subnetIds: [subnetId],
          mountTargetSecurityGroupId: MOUNT_SG,
        }),
        dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
        snapStart: true,
      }),
    },
    /SnapStart is not available with EFS/,
    /snapStart is not available with EFS/,
  ],
  snapstart_large_s3: [
    {
      hcl: { model_s3: { bucket: "models", prefix: "mid/", size_mib: 600 }, dependencies_layer_arn: LAYER, snap_start: true },
      ts: () => ({
        model: LambdaInferenceModel.fromS3({ bucket: "models", prefix: "mid/", sizeMiB: 600 }),
        dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
        snapStart: true,
      }),
    },
    /SnapStart allows at most 512 MB of ephemeral storage, but the S3 model \(600 MiB\) needs 724 MB/,
    /snapStart allows at most 512 MB of ephemeral storage, but the S3 model \(600 MiB\) needs 724 MB/,
  ],
  too_large: [
    {
      hcl: {
        model_efs: {
          file_system_id: "fs-0123456789abcdef0",
          path: "/m",
          size_mib: 6000,
          subnet_ids: ["SUBNET"],
          mount_target_security_group_id: MOUNT_SG,
        },
        dependencies_layer_arn: LAYER,
      },
      ts: (subnetId) => ({
        model: LambdaInferenceModel.fromEfs({
          fileSystemId: "fs-0123456789abcdef0",
          path: "/m",
          sizeMiB: 6000,
          subnetIds: [subnetId],
          mountTargetSecurityGroupId: MOUNT_SG,
        }),
        dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
      }),
    },
    /The model \(6000 MiB\) needs about 12512 MB of memory/,
    /the model \(6000 MiB\) needs about 12512 MB of memory/,
  ],
  http_api_timeout: [
    {
      hcl: {
        model_s3: { bucket: "models", prefix: "tiny/", size_mib: 10 },
        dependencies_layer_arn: LAYER,
        front_door: "http_api",
        timeout_seconds: 60,
      },
      ts: () => ({
        model: LambdaInferenceModel.fromS3({ bucket: "models", prefix: "tiny/", sizeMiB: 10 }),
        dependencies: LambdaInferenceDependencies.fromLayerArn(LAYER),
        frontDoor: LambdaInferenceFrontDoor.httpApi(),
        timeoutSeconds: 60,
      }),
    },
    /timeout_seconds 60 is longer than the 30 seconds an HTTP API waits/,
    /timeoutSeconds 60 is longer than the 30 seconds an HTTP API waits/,
  ],
  zip_without_layer: [
    {
      hcl: { model_s3: { bucket: "models", prefix: "tiny/", size_mib: 10 } },
      ts: () => ({ model: LambdaInferenceModel.fromS3({ bucket: "models", prefix: "tiny/", sizeMiB: 10 }) }),
    },
    /dependencies_layer_arn is required for a \.zip function/,
    /dependencies is required for a \.zip function/,
  ],
};

const functionNameOf = (name: string) => `parity-${name.replace(/_/g, "-")}`;

function lambdaConstruct(name: string, c: LambdaCase, subnetId: string): Synthesized {
  return synth((stack: Construct) => {
    new LambdaInferenceFunction(stack, "Function", { ...c.ts(subnetId), functionName: functionNameOf(name) });
  }).json;
}

/** The Triton cases: the golden repositories of the repository's tests. */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "serving-modules-"));
const compiled = path.join(tmp, "model.pt");
fs.writeFileSync(compiled, Buffer.alloc(3 * 1024 * 1024));
const TRITON_CASES: Record<string, { repository: Omit<TritonNeuronModelRepositoryProps, "bucket">; hcl: Record<string, unknown> }> = {
  single: { repository: { ...goldenTritonSpecs(compiled).single, neuronSdkVersion: "2.21.0" }, hcl: { instance_count: 2 } },
  ensemble: { repository: goldenTritonSpecs(compiled).ensemble, hcl: { volume_size_gib: 64, network_isolation: false } },
};

function tritonConstruct(
  name: string,
  repository: Omit<TritonNeuronModelRepositoryProps, "bucket">,
  extra: Partial<TritonSageMakerRealtimeInferenceEndpointProps> = {},
  imageSdk = "2.21.0",
) {
  let repo: TritonNeuronModelRepository | undefined;
  const { json } = synth((stack: Construct) => {
    repo = new TritonNeuronModelRepository(stack, "Repository", { bucket: "triton-models", ...repository });
    new TritonSageMakerRealtimeInferenceEndpoint(stack, "Triton", {
      repository: repo,
      image: TritonImage.fromEcrUri(TRITON_IMAGE, imageSdk),
      endpointName: `parity-triton-${name}`,
      instanceCount: name === "single" ? 2 : undefined,
      volumeSizeGiB: name === "ensemble" ? 64 : undefined,
      networkIsolation: name === "ensemble" ? false : undefined,
      ...extra,
    });
  });
  return { json, repository: repo as TritonNeuronModelRepository };
}

/** Triton inputs both sides refuse: [repository case, module inputs over the case's, construct props, image SDK, HCL message, construct message]. */
const TRITON_REJECTED: Record<
  string,
  [keyof typeof TRITON_CASES, Record<string, unknown>, Partial<TritonSageMakerRealtimeInferenceEndpointProps>, string, RegExp, RegExp]
> = {
  too_few_cores: [
    "ensemble",
    { instance_type: "ml.inf2.xlarge" },
    { instanceType: "ml.inf2.xlarge" },
    "2.21.0",
    /ml\.inf2\.xlarge has 2 NeuronCores, but the repository's model instances use 8 \(cores 0 to 7\); use ml\.inf2\.24xlarge/,
    /ml\.inf2\.xlarge has 2 NeuronCores, but the repository's model instances use 8 \(cores 0 to 7\); use ml\.inf2\.24xlarge/,
  ],
  other_sdk: ["single", { image_neuron_sdk_version: "2.22.0" }, {}, "2.22.0", /traced with 2\.21\.0/, /traced with 2\.21\.0/],
  pinned_cores: [
    "single",
    { environment: { NEURON_RT_VISIBLE_CORES: "0-1" } },
    { environment: { NEURON_RT_VISIBLE_CORES: "0-1" } },
    "2.21.0",
    /other than .*NEURON_RT_VISIBLE_CORES/,
    /environment\.NEURON_RT_VISIBLE_CORES must not be set/,
  ],
  inf1: [
    "single",
    { instance_type: "ml.inf1.xlarge" },
    { instanceType: "ml.inf1.xlarge" },
    "2.21.0",
    /Neuron SDK no longer supports Inf1/,
    /Neuron SDK no longer supports Inf1/,
  ],
};

/** The triton-endpoint module's inputs for a repository case. */
function tritonInputs(name: keyof typeof TRITON_CASES): Record<string, unknown> {
  const { repository } = tritonConstruct(name, TRITON_CASES[name].repository);
  return {
    endpoint_name: `parity-triton-${name}`,
    repository_s3_uri: repository.s3Uri,
    default_model_name: repository.defaultModelName,
    neuron_cores_used: repository.rendered.neuronCoresUsed,
    largest_batch_bytes: repository.rendered.largestBatchBytes,
    compiled_bytes: repository.compiledBytes,
    image_uri: TRITON_IMAGE,
    image_neuron_sdk_version: "2.21.0",
    ...(repository.neuronSdkVersion ? { repository_neuron_sdk_version: repository.neuronSdkVersion } : {}),
    instance_type: repository.instanceType,
    ...TRITON_CASES[name].hcl,
  };
}

const hclValue = (v: unknown) => JSON.stringify(v);

function rootModule(dir: string, moto: Moto, body: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "main.tf"), `${[...emulatedAwsProvider(moto), ...body].join("\n")}\n`);
}

function moduleBlock(name: string, source: string, inputs: Record<string, unknown>, subnetId: string): string[] {
  const withSubnet = JSON.parse(JSON.stringify(inputs).replace(/"SUBNET"/g, JSON.stringify(subnetId)));
  return [`module "${name}" {`, `  source = "${source}"`, ...Object.entries(withSubnet).map(([k, v]) => `  ${k} = ${hclValue(v)}`), `}`];
}

/** A subnet of moto's default VPC (the EFS cases look theirs up, as the construct does). */
async function defaultSubnet(moto: Moto): Promise<string> {
  const response = await fetch(moto.url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x",
    },
    body: "Action=DescribeSubnets&Version=2016-11-15",
  });
  const id = /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/.exec(await response.text())?.[1];
  if (!id) throw new Error("moto has no default subnet");
  return id;
}

const pick = (o: any, keys: string[]) => Object.fromEntries(keys.map((k) => [k, blocks(o?.[k]) ?? null]));

describe("the lambda-inference and triton-endpoint modules and their constructs agree", () => {
  let moto: Moto;
  let subnetId: string;
  let planned: Record<string, any>;
  let rejections: Record<string, string>;
  let modulesCopy: string;

  beforeAll(async () => {
    moto = await startMoto();
    subnetId = await defaultSubnet(moto);
    const modules = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "serving-modules-")), "modules");
    fs.cpSync(MODULES_DIR, modules, { recursive: true, filter: (src) => !src.includes(`${path.sep}.terraform`) });
    modulesCopy = modules;
    const env = moto.env;
    const plan = (root: string) => {
      expect(terraform(root, ["init", "-backend=false", "-input=false", "-no-color"], env).code).toBe(0);
      return terraform(root, ["plan", "-input=false", "-no-color", "-out=plan"], env);
    };

    const parity = path.join(modules, "serving-parity");
    const lambdaBlocks = Object.entries(LAMBDA_CASES).flatMap(([name, c]) =>
      moduleBlock(`lambda_${name}`, "../lambda-inference", { function_name: functionNameOf(name), ...c.hcl }, subnetId),
    );
    const tritonBlocks = Object.keys(TRITON_CASES).flatMap((name) =>
      moduleBlock(`triton_${name}`, "../triton-endpoint", tritonInputs(name as keyof typeof TRITON_CASES), subnetId),
    );
    rootModule(parity, moto, [...lambdaBlocks, ...tritonBlocks]);
    const run = plan(parity);
    if (run.code !== 0) throw new Error(`terraform plan failed:\n${run.out}`);
    const show = JSON.parse(terraform(parity, ["show", "-json", "plan"], env).stdout);
    planned = Object.fromEntries(show.resource_changes.map((r: any) => [r.address, r.change.after]));

    // One root module a refusal: a failed precondition stops the plan at the first one.
    rejections = {};
    for (const [name, [c]] of Object.entries(LAMBDA_REJECTED)) {
      const root = path.join(modules, `reject-${name}`);
      rootModule(root, moto, moduleBlock("lambda", "../lambda-inference", { function_name: functionNameOf(name), ...c.hcl }, subnetId));
      const failed = plan(root);
      expect([name, failed.code]).not.toEqual([name, 0]);
      rejections[name] = failed.out.replace(/\s+/g, " ");
    }
    for (const [name, [repositoryCase, inputs]] of Object.entries(TRITON_REJECTED)) {
      const root = path.join(modules, `reject-triton-${name}`);
      rootModule(root, moto, moduleBlock("triton", "../triton-endpoint", { ...tritonInputs(repositoryCase), ...inputs }, subnetId));
      const failed = plan(root);
      expect([name, failed.code]).not.toEqual([name, 0]);
      rejections[`triton_${name}`] = failed.out.replace(/\s+/g, " ");
    }
  });

  afterAll(async () => moto?.stop());

  describe.each(Object.entries(LAMBDA_CASES))("lambda %s", (name, c) => {
    const at = (type: string, index = "") => planned[`module.lambda_${name}.${type}${index}`];
    const json = () => lambdaConstruct(name, c, subnetId);

    test("the same function: sizes, timeout, runtime, handler, package, environment, SnapStart, tracing, network", () => {
      const fn = Object.values(json().resource.aws_lambda_function)[0] as any;
      const keys = [
        "function_name",
        "description",
        "architectures",
        "memory_size",
        "timeout",
        "ephemeral_storage",
        "package_type",
        "image_uri",
        "image_config",
        "runtime",
        "handler",
        "layers",
        "environment",
        "snap_start",
        "reserved_concurrent_executions",
        "tracing_config",
        "publish",
      ];
      // The provider plans -1 (unreserved) where the configuration leaves reserved concurrency unset.
      const hcl = at("aws_lambda_function.this");
      const reserved = hcl.reserved_concurrent_executions === -1 ? null : hcl.reserved_concurrent_executions;
      expect(pick({ ...hcl, reserved_concurrent_executions: reserved }, keys)).toEqual(pick(fn, keys));
      expect(at("aws_lambda_function.this").logging_config[0].log_format).toBe(fn.logging_config.log_format);
      expect(Boolean(at("aws_lambda_function.this").vpc_config?.length)).toBe(Boolean(fn.vpc_config));
      expect(Boolean(at("aws_lambda_function.this").file_system_config?.length)).toBe(Boolean(fn.file_system_config));
      if (fn.file_system_config)
        expect(at("aws_lambda_function.this").file_system_config[0].local_mount_path).toBe(fn.file_system_config.local_mount_path);
    });

    test("the same resources, log groups and front door", () => {
      const synthesized = json().resource;
      const tsTypes = Object.keys(synthesized).sort();
      const hclTypes = [
        ...new Set(
          Object.keys(planned)
            .filter((a) => a.startsWith(`module.lambda_${name}.aws_`))
            .map((a) => a.split(".")[2]),
        ),
      ].sort();
      expect(hclTypes).toEqual(tsTypes);
      const logs = (o: any[]) =>
        o.map((g) => pick(g, ["name", "retention_in_days", "kms_key_id"])).sort((a, b) => String(a.name).localeCompare(String(b.name)));
      expect(
        logs(
          Object.keys(planned)
            .filter((a) => a.startsWith(`module.lambda_${name}.aws_cloudwatch_log_group.`))
            .map((a) => planned[a]),
        ),
      ).toEqual(logs(Object.values(synthesized.aws_cloudwatch_log_group)));
      const url = at("aws_lambda_function_url.this", "[0]");
      // The construct names the alias by reference: its name.
      const aliasName = (Object.values(synthesized.aws_lambda_alias)[0] as any).name;
      const resolveAlias = (o: any) => ({
        ...o,
        qualifier: String(o.qualifier).replace(/^\$\{aws_lambda_alias\.[a-z_]+\.name\}$/, aliasName),
      });
      if (url)
        expect(pick(url, ["authorization_type", "invoke_mode", "qualifier"])).toEqual(
          pick(resolveAlias(Object.values(synthesized.aws_lambda_function_url)[0]), ["authorization_type", "invoke_mode", "qualifier"]),
        );
      const stage = at("aws_apigatewayv2_stage.this", "[0]");
      if (stage) {
        const ts = Object.values(synthesized.aws_apigatewayv2_stage)[0] as any;
        expect(stage.access_log_settings[0].format).toBe(ts.access_log_settings.format);
        expect(pick(stage.default_route_settings[0], ["throttling_rate_limit", "throttling_burst_limit"])).toEqual(
          pick(ts.default_route_settings, ["throttling_rate_limit", "throttling_burst_limit"]),
        );
        const route = Object.values(synthesized.aws_apigatewayv2_route)[0] as any;
        expect(pick(at("aws_apigatewayv2_route.this", "[0]"), ["route_key", "authorization_type"])).toEqual(
          pick(route, ["route_key", "authorization_type"]),
        );
        const integration = Object.values(synthesized.aws_apigatewayv2_integration)[0] as any;
        const keys = ["integration_type", "payload_format_version", "timeout_milliseconds"];
        expect(pick(at("aws_apigatewayv2_integration.this", "[0]"), keys)).toEqual(pick(integration, keys));
      }
    });
  });

  describe.each(Object.entries(TRITON_CASES))("triton %s", (name, c) => {
    test("the same model (image, data, environment, isolation) and endpoint configuration", () => {
      const { json } = tritonConstruct(name, c.repository);
      const model = planned[`module.triton_${name}.aws_sagemaker_model.this`];
      const ts = Object.values(json.resource.aws_sagemaker_model)[0] as any;
      expect(model.enable_network_isolation).toBe(ts.enable_network_isolation);
      expect(blocks(model.primary_container)).toEqual(blocks(ts.primary_container));
      const variant = planned[`module.triton_${name}.aws_sagemaker_endpoint_configuration.this`].production_variants[0];
      const tsVariant = (Object.values(json.resource.aws_sagemaker_endpoint_configuration)[0] as any).production_variants[0];
      const keys = [
        "variant_name",
        "instance_type",
        "initial_instance_count",
        "volume_size_in_gb",
        "model_data_download_timeout_in_seconds",
        "container_startup_health_check_timeout_in_seconds",
        "inference_ami_version",
      ];
      expect(pick(variant, keys)).toEqual(pick(tsVariant, keys));
      expect(planned[`module.triton_${name}.aws_sagemaker_endpoint.this`].name).toBe(`parity-triton-${name}`);
    });
  });

  test("the README's module blocks plan as they are (source pointed at modules/)", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const hclBlocks = [...readme.matchAll(/^```hcl\n([\s\S]*?)^```/gm)].map((m) => m[1]);
    const sources = hclBlocks.map((b) => /source = "\.\/modules\/([a-z-]+)"/.exec(b)?.[1]);
    expect(sources).toEqual(expect.arrayContaining(["lambda-inference", "triton-endpoint"]));
    hclBlocks.forEach((block, i) => {
      const root = path.join(modulesCopy, `readme-${i}`);
      // The modules sit beside the copy; a compile plans with one of moto's images (moto has no Neuron DLAMI parameter).
      const hcl = block
        .replace(/source = "\.\/modules\//g, 'source = "../')
        .replace(/(source = "\.\.\/neuronx-compile"\n)/, '$1  ami_id = "ami-785db401"\n');
      rootModule(root, moto, [hcl]);
      expect(terraform(root, ["init", "-backend=false", "-input=false", "-no-color"], moto.env).code).toBe(0);
      const run = terraform(root, ["plan", "-input=false", "-no-color"], moto.env);
      expect([sources[i], run.code, run.code === 0 ? "" : run.out]).toEqual([sources[i], 0, ""]);
    });
  });

  test.each(Object.entries(LAMBDA_REJECTED))("%s: both refuse it, before anything is created", (name, [c, hclMessage, tsMessage]) => {
    expect(rejections[name]).toMatch(hclMessage);
    expect((thrown(() => lambdaConstruct(name, c, subnetId)) as Error | undefined)?.message).toMatch(tsMessage);
  });

  test.each(Object.entries(TRITON_REJECTED))(
    "triton %s: both refuse it, before anything is created",
    (name, [repositoryCase, , props, imageSdk, hclMessage, tsMessage]) => {
      expect(rejections[`triton_${name}`]).toMatch(hclMessage);
      const error = thrown(() => tritonConstruct(repositoryCase, TRITON_CASES[repositoryCase].repository, props, imageSdk)) as
        Error | undefined;
      expect(error?.message).toMatch(tsMessage);
    },
  );
});

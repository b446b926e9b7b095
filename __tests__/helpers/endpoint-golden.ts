// Golden files of the SageMaker endpoints' synthesized Terraform (__tests__/golden/endpoints/): a broad set
// of endpoint configurations (the example stacks in their configurations, and every endpoint prop at least
// once), each reduced to what the endpoints render. They pin the endpoint core's output: a refactor of the
// core or of a recipe must leave them byte-identical. `npm run golden:endpoints` rewrites them (only for an
// intended change of what the endpoints render); endpoint-golden.test.ts fails when one is stale.
import { EndpointDeployment } from "../../lib/endpoint-operations";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, Testing, TerraformStack, TerraformVariable } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { NeuronxContainerImage } from "../../lib/container-images";
import { Model, QuantDtype } from "../../lib/model";
import { DEFAULT_INFERENCE_CODE_DIR, TransformersNeuronxSageMakerInferenceModelData as ModelData } from "../../lib/model-data";
import { NeuronxCompile, NeuronxCompileProps } from "../../lib/neuronx-compile";
import { snakeCase } from "../../lib/private/naming";
import { hashDirectory } from "../../lib/private/s3-directory";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps as EndpointProps,
} from "../../lib/realtime-endpoint";
import { buildExampleApp } from "../../stacks/app";
import { loadConfig } from "../../stacks/config";
import { VARIANTS } from "./variants";

/** Where the golden files are. */
export const GOLDEN_DIR = path.join(__dirname, "..", "golden", "endpoints");

/** Synthesized Terraform JSON (the parts the golden files keep). */
type Json = Record<string, any>;

/** One configuration: its golden file's name, and the golden content it renders. */
export interface GoldenConfiguration {
  /** The golden file's name, without `.json`. */
  readonly name: string;
  /** Synthesizes the configuration and returns what its endpoints render. */
  readonly render: () => Json;
}

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
const LLAMA3 = () => Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct");
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef";
const IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my/neuron:2.25.0";

/** The default inference code's content hash names its staged copy; the golden files name it by a placeholder. */
const DEFAULT_CODE_HASH_PLACEHOLDER = "<hash of python/serving>";

/**
 * What the endpoints of a stack render: the resources, data sources and locals named after them (the
 * names `nameElement` and the plan-time checks give: `<endpoint id>` and `<endpoint id>_*` in snake case),
 * and the stack's outputs. The compile's elements, the providers, the backend and the shared tables are left out.
 */
export function endpointPart(json: Json, endpointIds: readonly string[]): Json {
  const names = endpointIds.map(snakeCase);
  const ours = (name: string) => names.some((n) => name === n || name.startsWith(`${n}_`));
  const pick = (blocks: Record<string, Record<string, unknown>> | undefined) => {
    const kept: Record<string, Record<string, unknown>> = {};
    for (const [type, byName] of Object.entries(blocks ?? {})) {
      const mine = Object.entries(byName).filter(([name]) => ours(name));
      if (mine.length > 0) kept[type] = Object.fromEntries(mine);
    }
    return kept;
  };
  const locals = Object.entries((json.locals ?? {}) as Record<string, unknown>).filter(([name]) => ours(name));
  return {
    ...(locals.length > 0 ? { locals: Object.fromEntries(locals) } : {}),
    data: pick(json.data),
    resource: pick(json.resource),
    ...(json.output ? { output: json.output } : {}),
  };
}

/** JSON indented by two spaces, with arrays and objects that fit in `width` characters on one line (smaller files, readable diffs). */
export function compactJson(value: unknown, indent = "", width = 120): string {
  const flat = oneLine(value);
  if (value === null || typeof value !== "object" || indent.length + flat.length <= width) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${compactJson(v, inner, width)}`)
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner, width)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return items.length === 0 ? flat : `${open}\n${items.join(",\n")}\n${indent}${close}`;
}

/** JSON on one line, with a space after each comma and colon. */
function oneLine(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`)
    .join(", ")}}`;
}

/** A golden file's text: the rendered part, with the default inference code's hash replaced by a placeholder. */
export function goldenText(part: Json): string {
  const text = `${compactJson(part)}\n`;
  return text.split(hashDirectory(DEFAULT_INFERENCE_CODE_DIR)).join(DEFAULT_CODE_HASH_PLACEHOLDER);
}

/** A code directory with fixed content (its staged copy is named by the content's hash, so the output is stable). */
function codeDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "golden-code-"));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

function testStackIn(app: App, id = "test"): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new NullProvider(stack, "null");
  return stack;
}

/** A stack of the build, synthesized, reduced to the endpoints `ids`. */
function inStack(build: (stack: TerraformStack) => void, ids: readonly string[] = ["Inference"]): () => Json {
  return () => {
    const stack = testStackIn(Testing.app());
    build(stack);
    return endpointPart(JSON.parse(Testing.synth(stack)), ids);
  };
}

/** An endpoint on a TinyLlama compile of the same stack, with props. */
function withProps(props: (stack: TerraformStack) => Partial<EndpointProps>, compile: Partial<NeuronxCompileProps> = {}): () => Json {
  return inStack((stack) => {
    const c = new NeuronxCompile(stack, "Compile", { model: TINY(), ...compile });
    new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), ...props(stack) });
  });
}

/** A stack of the example app in a configuration, reduced to its endpoint. */
function example(env: Record<string, string>, stackId: string): () => Json {
  return () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "golden-example-"));
    const app = new App({ outdir });
    buildExampleApp(app, loadConfig(app, env));
    app.synth();
    const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stackId, "cdk.tf.json"), "utf8"));
    fs.rmSync(outdir, { recursive: true, force: true });
    return endpointPart(json, ["RealtimeInference"]);
  };
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");

/** The configurations. */
export const GOLDEN_CONFIGURATIONS: readonly GoldenConfiguration[] = [
  // The example stacks in their configurations (the Terraform tier's variants): the stack with the endpoint.
  ...Object.entries(VARIANTS).map(([variant, env]) => ({
    name: `example-${slug(variant)}`,
    render: example(env, env.NEURONX_STACK_LAYOUT === "one-stack" ? "serving" : "endpoint"),
  })),
  {
    name: "example-custom-code-dir",
    render: () => example({ NEURONX_CUSTOM_CODE_DIR: codeDir({ "inference.py": "MODEL = 'example'\n" }) }, "endpoint")(),
  },

  // Each prop at least once.
  { name: "defaults", render: withProps(() => ({})) },
  { name: "instance-type-and-count", render: withProps(() => ({ instanceType: "ml.inf2.8xlarge", instanceCount: 3 })) },
  { name: "endpoint-name", render: withProps(() => ({ endpointName: "chat-prod" })) },
  {
    name: "volume-and-timeouts",
    render: withProps(() => ({
      volumeSizeGiB: 100,
      modelDataDownloadTimeoutSeconds: 1200,
      containerStartupHealthCheckTimeoutSeconds: 1800,
    })),
  },
  { name: "kms-key-arn", render: withProps(() => ({ kmsKeyArn: KEY })) },
  {
    name: "data-capture-with-kms-key",
    render: withProps(() => ({
      dataCapture: { destinationS3Uri: "s3://captures/chat", samplingPercentage: 20, captureOutput: false, kmsKeyArn: OTHER_KEY },
    })),
  },
  { name: "data-capture-at-bucket-root", render: withProps(() => ({ dataCapture: { destinationS3Uri: "s3://captures" } })) },
  {
    name: "data-capture-at-bucket-root-slash-requests-only",
    render: withProps(() => ({ dataCapture: { destinationS3Uri: "s3://captures/", captureInput: true, captureOutput: false } })),
  },
  {
    name: "vpc-config",
    render: withProps(() => ({
      vpcConfig: { subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], securityGroupIds: ["sg-0123456789abcdef0"] },
    })),
  },
  { name: "network-isolation-false", render: withProps(() => ({ networkIsolation: false })) },
  {
    name: "auto-scaling",
    render: withProps(() => ({ instanceCount: 2, autoScaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 30 } })),
  },
  {
    name: "auto-scaling-with-cooldowns",
    render: withProps(() => ({
      autoScaling: {
        minCapacity: 1,
        maxCapacity: 8,
        targetInvocationsPerInstance: 2.5,
        scaleInCooldownSeconds: 900,
        scaleOutCooldownSeconds: 0,
      },
    })),
  },
  {
    name: "deployment-canary-with-created-alarm-topic",
    render: withProps(() => ({
      instanceCount: 2,
      monitoring: { createAlarmTopic: true, modelLatencyThresholdSeconds: 30 },
      deployment: EndpointDeployment.canary({
        canarySize: { instances: 1 },
        terminationWaitSeconds: 600,
        rollbackAlarmNames: ["slo-burn"],
      }),
    })),
  },
  { name: "async-created-locations", render: withProps(() => ({ asyncInference: {} })) },
  {
    name: "async-scale-to-zero-given-locations-and-topics",
    render: withProps(() => ({
      instanceCount: 2,
      asyncInference: {
        inputPath: "s3://requests-bucket/chat/in/",
        outputPath: "s3://results-bucket/chat/out/",
        failurePath: "s3://results-bucket/chat/failed/",
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        successTopicArn: "arn:aws:sns:us-east-1:123456789012:chat-done",
        errorTopicArn: "arn:aws:sns:us-east-1:123456789012:chat-failed",
        maxConcurrentInvocationsPerInstance: 2,
        scaleToZero: true,
        maxCapacity: 4,
      },
    })),
  },
  {
    name: "deployment-rolling-with-autoscaling-monitoring-off",
    render: withProps(() => ({
      instanceCount: 4,
      autoScaling: { minCapacity: 2, maxCapacity: 6, targetInvocationsPerInstance: 4 },
      monitoring: false,
      deployment: EndpointDeployment.rolling({
        batchSize: { percent: 25 },
        rollbackBatchSize: { instances: 2 },
        rollbackOnEndpointAlarms: false,
        rollbackAlarmNames: ["team-alarm"],
        maxInstances: 8,
      }),
    })),
  },
  {
    name: "environment",
    render: withProps((s) => ({
      environment: {
        LOG_LEVEL: "debug",
        GREETING: 'hi ${file("/etc/passwd")} %{ if true }x%{ endif }',
        FROM_VARIABLE: new TerraformVariable(s, "greeting", { type: "string" }).stringValue,
      },
    })),
  },
  { name: "container-image", render: withProps(() => ({ containerImage: NeuronxContainerImage.fromEcrUri(IMAGE_URI, "2.25.0") })) },
  { name: "max-new-tokens", render: withProps(() => ({ maxNewTokens: 128 })) },
  { name: "max-new-tokens-default-below-n-positions", render: withProps(() => ({}), { compileOptions: { nPositions: 256 } }) },
  { name: "tags", render: withProps(() => ({ tags: { Team: "ml", CostCenter: "1234" } })) },
  {
    name: "references-checked-at-plan-time",
    render: withProps((s) => ({
      endpointName: new TerraformVariable(s, "name", { type: "string" }).stringValue,
      kmsKeyArn: new TerraformVariable(s, "kms", { type: "string" }).stringValue,
      dataCapture: {
        destinationS3Uri: new TerraformVariable(s, "capture", { type: "string" }).stringValue,
        kmsKeyArn: new TerraformVariable(s, "capture_kms", { type: "string" }).stringValue,
      },
      vpcConfig: {
        subnetIds: [new TerraformVariable(s, "subnet", { type: "string" }).stringValue],
        securityGroupIds: new TerraformVariable(s, "security_groups", { type: "list(string)" }).listValue,
      },
    })),
  },
  {
    name: "every-prop",
    render: withProps(
      () => ({
        instanceType: "ml.inf2.24xlarge",
        instanceCount: 2,
        endpointName: "every-prop",
        volumeSizeGiB: 64,
        modelDataDownloadTimeoutSeconds: 900,
        containerStartupHealthCheckTimeoutSeconds: 1200,
        kmsKeyArn: KEY,
        dataCapture: { destinationS3Uri: "s3://captures/every/", samplingPercentage: 5, kmsKeyArn: KEY },
        vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
        networkIsolation: true,
        autoScaling: { minCapacity: 2, maxCapacity: 3, targetInvocationsPerInstance: 10 },
        containerImage: NeuronxContainerImage.fromEcrUri(IMAGE_URI, "2.25.0"),
        environment: { A: "1" },
        inferenceAmiVersion: "al2-ami-sagemaker-inference-neuron-2",
        maxNewTokens: 1000,
        tags: { Team: "ml" },
      }),
      { model: LLAMA3(), compileOptions: { tpDegree: 8, nPositions: 2048, quantDtype: QuantDtype.S8 } },
    ),
  },
  {
    name: "long-construct-id-hashed-name",
    render: inStack(
      (stack) => {
        const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
        new Endpoint(stack, "TheRealtimeInferenceEndpointOfTheChatModelForTheProductionEnvironment", {
          modelData: ModelData.fromNeuronxCompile(c),
        });
      },
      ["TheRealtimeInferenceEndpointOfTheChatModelForTheProductionEnvironment"],
    ),
  },

  // Model data.
  {
    name: "custom-code-dir-with-exclude",
    render: inStack((stack) => {
      const dir = codeDir({
        "inference.py": "def model_fn(d):\n    return d\n",
        "util.py": "X = 1\n",
        "notes.ipynb": "{}",
        ".env": "HF_TOKEN=hf_x\n",
        "data/big.bin": "x",
        "__pycache__/util.cpython-310.pyc": "",
      });
      const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
      new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c, { path: dir, exclude: ["*.ipynb", "data/"] }) });
    }),
  },
  {
    name: "from-s3-bucket-name",
    render: inStack((stack) => {
      new Endpoint(stack, "Inference", {
        modelData: ModelData.fromS3({
          bucket: "shared-models",
          prefix: "llama/8b/",
          model: LLAMA3(),
          compileOptions: { tpDegree: 2, nPositions: 4096, quantDtype: QuantDtype.S8 },
        }),
      });
    }),
  },
  {
    name: "from-s3-bucket-construct-image-and-code",
    render: inStack((stack) => {
      const bucket = new S3Bucket(stack, "Models", { bucket: "shared-models" });
      new Endpoint(stack, "Inference", {
        modelData: ModelData.fromS3({
          bucket,
          prefix: "tiny/",
          model: TINY(),
          compileOptions: { tpDegree: 2 },
          containerImage: NeuronxContainerImage.fromEcrUri(IMAGE_URI, "2.25.0"),
          customCodeDir: codeDir({ "inference.py": "S3 = True\n" }),
        }),
      });
    }),
  },
  {
    name: "from-neuronx-compile-outputs-literal",
    render: inStack((stack) => {
      const compileStack = testStackIn(Testing.app(), "compile");
      const c = new NeuronxCompile(compileStack, "Compile", { model: TINY() });
      new Endpoint(stack, "Inference", {
        modelData: ModelData.fromNeuronxCompileOutputs(c, {
          bucketName: "team-models",
          bucketArn: "arn:aws:s3:::team-models",
          compiledArtifactS3Url: `s3://team-models/${c.artifactPrefix}`,
        }),
      });
    }),
  },
  {
    name: "from-neuronx-compile-outputs-references",
    render: inStack((stack) => {
      const compileStack = testStackIn(Testing.app(), "compile");
      const c = new NeuronxCompile(compileStack, "Compile", { model: TINY() });
      const variable = (name: string) => new TerraformVariable(stack, name, { type: "string" }).stringValue;
      new Endpoint(stack, "Inference", {
        modelData: ModelData.fromNeuronxCompileOutputs(c, {
          bucketName: variable("bucket"),
          bucketArn: variable("bucket_arn"),
          compiledArtifactS3Url: variable("url"),
        }),
      });
    }),
  },
  {
    name: "from-neuronx-compile-in-another-stack",
    render: () => {
      const app = Testing.app();
      const compileStack = testStackIn(app, "compile");
      const c = new NeuronxCompile(compileStack, "Compile", { model: TINY() });
      const endpointStack = testStackIn(app, "endpoint");
      new Endpoint(endpointStack, "Inference", { modelData: ModelData.fromNeuronxCompile(c) });
      app.synth();
      const json = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "endpoint", "cdk.tf.json"), "utf8"));
      return endpointPart(json, ["Inference"]);
    },
  },
  {
    name: "from-neuronx-compile-existing-bucket",
    render: withProps(() => ({}), { bucket: "my-model-artifacts", compileOptions: { tpDegree: 8 }, model: LLAMA3() }),
  },
  {
    name: "two-endpoints-on-one-compile",
    render: inStack(
      (stack) => {
        const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
        ["a", "b"].forEach(
          (name, i) =>
            new Endpoint(stack, `Chat${i}`, {
              modelData: ModelData.fromNeuronxCompile(c, codeDir({ "inference.py": `NAME = "${name}"\n` })),
              ...(i === 1 ? { autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 5 } } : {}),
            }),
        );
      },
      ["Chat0", "Chat1"],
    ),
  },
];

/** A configuration that must be refused: its golden content is the whole error (class and message, every problem in order). */
function refused(build: (stack: TerraformStack) => void): () => Json {
  return () => {
    const stack = testStackIn(Testing.app());
    try {
      build(stack);
    } catch (error) {
      return { refused: { name: (error as Error).name, message: (error as Error).message.split("\n") } };
    }
    throw new Error("expected the configuration to be refused");
  };
}

/** An endpoint on a TinyLlama compile with props a JavaScript caller may pass (no type checks). */
const refusedProps = (props: (stack: TerraformStack) => Record<string, unknown>, compile: Partial<NeuronxCompileProps> = {}) =>
  refused((stack) => {
    const c = new NeuronxCompile(stack, "Compile", { model: TINY(), ...compile });
    new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), ...(props(stack) as Partial<EndpointProps>) });
  });

/** Refusals: the problems of each prop, all at once and in the order the endpoint reports them. */
export const REFUSED_CONFIGURATIONS: readonly GoldenConfiguration[] = [
  { name: "refused-props-not-an-object", render: refused((stack) => new Endpoint(stack, "Inference", null as never)) },
  {
    name: "refused-model-data-not-model-data",
    render: refused((stack) => new Endpoint(stack, "Inference", { modelData: { bind: () => ({}) } as never })),
  },
  {
    name: "refused-every-prop",
    render: refusedProps((s) => ({
      instanceType: "ml.g5.xlarge",
      instanceCount: 0,
      endpointName: "bad_name",
      volumeSizeGiB: 600,
      modelDataDownloadTimeoutSeconds: 30,
      containerStartupHealthCheckTimeoutSeconds: 4000.5,
      kmsKeyArn: "alias/mine",
      networkIsolation: "yes",
      dataCapture: { destinationS3Uri: "captures", samplingPercentage: 101, captureInput: false, captureOutput: false, kmsKeyArn: "k" },
      vpcConfig: { subnetIds: [], securityGroupIds: ["sg-x", "sg-0123456789abcdef0"] },
      autoScaling: {
        minCapacity: 3,
        maxCapacity: 2,
        targetInvocationsPerInstance: 0,
        scaleInCooldownSeconds: -1,
        scaleOutCooldownSeconds: 3601,
      },
      containerImage: NeuronxContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/n:2.20.2", "2.20.2"),
      environment: {
        NEURONX_TP_DEGREE: "8",
        NEURON_CC_FLAGS: "-O3",
        PYTHONPATH: "/x",
        NEURONX_MAX_NEW_TOKENS: "9",
        SAGEMAKER_PROGRAM: "x.py",
        "bad-name": "x",
        LONG: "x".repeat(1025),
        SECRET: new TerraformVariable(s, "secret", { type: "string", sensitive: true }).stringValue,
      },
      inferenceAmiVersion: "al2-ami-sagemaker-inference-gpu-3-1",
      maxNewTokens: 4096,
      tags: { "aws:x": "y", team: "a", Team: "b" },
    })),
  },
  {
    name: "refused-instance-type-cores",
    render: refusedProps(() => ({ instanceType: "ml.inf2.8xlarge" }), { model: LLAMA3(), compileOptions: { tpDegree: 8 } }),
  },
  { name: "refused-instance-type-memory", render: refusedProps(() => ({ instanceType: "ml.inf2.xlarge" }), { model: LLAMA3() }) },
  { name: "refused-instance-type-inf1", render: refusedProps(() => ({ instanceType: "ml.inf1.xlarge" })) },
  {
    name: "refused-instance-type-reference-and-scaling",
    render: refusedProps((s) => ({
      instanceType: new TerraformVariable(s, "type", { type: "string" }).stringValue,
      instanceCount: 5,
      autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 5 },
    })),
  },
  {
    name: "refused-wrong-types",
    render: refusedProps(() => ({
      environment: ["A"],
      tags: "x",
      dataCapture: 1,
      vpcConfig: { subnetIds: "subnet-0123456789abcdef0" },
      autoScaling: [],
      maxNewTokens: "5",
      inferenceAmiVersion: 2,
      containerImage: "image",
    })),
  },
  {
    name: "refused-environment-over-limits",
    render: refusedProps(() => ({ environment: Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`VAR_${i}`, "x".repeat(400)])) })),
  },
  {
    name: "refused-image-config",
    render: refused((stack) => {
      class Hostile extends NeuronxContainerImage {
        public readonly neuronSdkVersion = "2.25.0";
        public bind() {
          return {
            imageUri: "docker.io/evil:latest",
            registry: "docker.io",
            repositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/*",
          };
        }
      }
      const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
      new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), containerImage: new Hostile() });
    }),
  },
];

/** Renders every configuration: golden file name -> text. */
export function renderGolden(): Map<string, string> {
  return new Map([...GOLDEN_CONFIGURATIONS, ...REFUSED_CONFIGURATIONS].map((c) => [`${c.name}.json`, goldenText(c.render())]));
}

/** Rewrites the golden files (and removes those of configurations that are gone). */
export function writeGolden(): string[] {
  fs.mkdirSync(GOLDEN_DIR, { recursive: true });
  const rendered = renderGolden();
  for (const file of fs.readdirSync(GOLDEN_DIR)) if (!rendered.has(file)) fs.rmSync(path.join(GOLDEN_DIR, file));
  for (const [file, text] of rendered) fs.writeFileSync(path.join(GOLDEN_DIR, file), text);
  return [...rendered.keys()];
}

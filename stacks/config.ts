import { Construct } from "constructs";
import { ValidationError } from "../lib/errors";
import { Amp } from "../lib/neuron-spec";
import { CompileOptions, OptLevel, QuantDtype } from "../lib/model";
import type { BackendConfig } from "./backend";

/** Configuration of the example stacks, from environment variables or cdktf context. */
export interface ExampleConfig {
  /** AWS region of the stacks. */
  readonly region: string;
  /** Hugging Face model id. */
  readonly modelId: string;
  /** Hugging Face revision. */
  readonly revision?: string;
  /** Parameters in billions, where the model id does not say. */
  readonly parametersBillion?: number;
  /** The model's architecture (`model_type`), where the model id does not show it. */
  readonly architecture?: string;
  /** Compile options. */
  readonly compileOptions: CompileOptions;
  /** Spot first. */
  readonly spot?: boolean;
  /** Existing bucket name. */
  readonly bucket?: string;
  /** Subnet of the compile instance. */
  readonly subnetId?: string;
  /** Compile instance type. */
  readonly instanceType?: string;
  /** Serving instance type. */
  readonly servingInstanceType?: string;
  /** AMI of the compile instance. */
  readonly amiId?: string;
  /** Secrets Manager ARN of a Hugging Face token. */
  readonly huggingFaceTokenSecretArn?: string;
  /** Customer managed KMS key of that secret. */
  readonly huggingFaceTokenKmsKeyArn?: string;
  /** Compile deadline in minutes. */
  readonly deadlineMinutes?: number;
  /** Name of the SageMaker endpoint. */
  readonly endpointName?: string;
  /** Instances behind the endpoint. */
  readonly instanceCount?: number;
  /** Directory of custom inference code (with inference.py). */
  readonly customCodeDir?: string;
  /** An asynchronous endpoint with created, KMS-encrypted S3 locations (asyncInference: {}). */
  readonly asyncInference?: boolean;
  /** Roll endpoint configuration changes out blue/green all at once, baking this many seconds. */
  readonly deploymentWaitSeconds?: number;
  /** Seconds between the waiter's polls. */
  readonly pollIntervalSeconds?: number;
  /** Minutes the compile instance goes on without its lease renewed. */
  readonly abandonAfterMinutes?: number;
  /** Empty the created bucket on destroy. */
  readonly bucketForceDestroy?: boolean;
  /** How apply waits for the compile: "local-exec" (the AWS CLI) or "cloudformation" (a stack; no CLI). */
  readonly waiter?: "local-exec" | "cloudformation";
  /** An AWS emulator's URL (the rehearsal): every AWS call goes there. */
  readonly awsEndpointUrl?: string;
  /** "two-stacks" (compile, endpoint) or "one-stack" (serving). */
  readonly layout: "two-stacks" | "one-stack";
  /** Where the stacks keep their state. */
  readonly backend: BackendConfig;
}

/** Defaults of the example: a small chat model that compiles in minutes on inf2.xlarge. */
export const EXAMPLE_DEFAULTS = {
  region: "us-east-1",
  modelId: "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
  nPositions: 2048,
} as const;

/**
 * Each setting: its environment variable, its cdktf context key (cdktf.json
 * "context"), and its kind. The environment wins over the context.
 */
export const CONFIG_SOURCES = {
  region: { env: "NEURONX_REGION", context: "region", kind: "string" },
  modelId: { env: "NEURONX_MODEL_ID", context: "modelId", kind: "string" },
  revision: { env: "NEURONX_REVISION", context: "revision", kind: "string" },
  parametersBillion: { env: "NEURONX_PARAMETERS_BILLION", context: "parametersBillion", kind: "number" },
  architecture: { env: "NEURONX_ARCHITECTURE", context: "architecture", kind: "string" },
  tpDegree: { env: "NEURONX_TP_DEGREE", context: "tpDegree", kind: "integer" },
  nPositions: { env: "NEURONX_N_POSITIONS", context: "nPositions", kind: "integer" },
  batchSize: { env: "NEURONX_BATCH_SIZE", context: "batchSize", kind: "integer" },
  amp: { env: "NEURONX_AMP", context: "amp", kind: "string" },
  quantDtype: { env: "NEURONX_QUANT_DTYPE", context: "quantDtype", kind: "string" },
  optLevel: { env: "NEURONX_OPT_LEVEL", context: "optLevel", kind: "integer" },
  spot: { env: "NEURONX_SPOT", context: "spot", kind: "boolean" },
  bucket: { env: "NEURONX_BUCKET", context: "bucket", kind: "string" },
  subnetId: { env: "NEURONX_SUBNET_ID", context: "subnetId", kind: "string" },
  instanceType: { env: "NEURONX_INSTANCE_TYPE", context: "instanceType", kind: "string" },
  servingInstanceType: { env: "NEURONX_SERVING_INSTANCE_TYPE", context: "servingInstanceType", kind: "string" },
  amiId: { env: "NEURONX_AMI_ID", context: "amiId", kind: "string" },
  huggingFaceTokenSecretArn: { env: "NEURONX_HF_TOKEN_SECRET_ARN", context: "huggingFaceTokenSecretArn", kind: "string" },
  huggingFaceTokenKmsKeyArn: { env: "NEURONX_HF_TOKEN_KMS_KEY_ARN", context: "huggingFaceTokenKmsKeyArn", kind: "string" },
  deadlineMinutes: { env: "NEURONX_DEADLINE_MINUTES", context: "deadlineMinutes", kind: "integer" },
  endpointName: { env: "NEURONX_ENDPOINT_NAME", context: "endpointName", kind: "string" },
  instanceCount: { env: "NEURONX_INSTANCE_COUNT", context: "instanceCount", kind: "integer" },
  customCodeDir: { env: "NEURONX_CUSTOM_CODE_DIR", context: "customCodeDir", kind: "string" },
  asyncInference: { env: "NEURONX_ASYNC_INFERENCE", context: "asyncInference", kind: "boolean" },
  deploymentWaitSeconds: { env: "NEURONX_DEPLOYMENT_WAIT_SECONDS", context: "deploymentWaitSeconds", kind: "integer" },
  pollIntervalSeconds: { env: "NEURONX_POLL_SECONDS", context: "pollIntervalSeconds", kind: "integer" },
  abandonAfterMinutes: { env: "NEURONX_ABANDON_AFTER_MINUTES", context: "abandonAfterMinutes", kind: "integer" },
  bucketForceDestroy: { env: "NEURONX_BUCKET_FORCE_DESTROY", context: "bucketForceDestroy", kind: "boolean" },
  waiter: { env: "NEURONX_WAITER", context: "waiter", kind: "string" },
  awsEndpointUrl: { env: "NEURONX_AWS_ENDPOINT_URL", context: "awsEndpointUrl", kind: "string" },
  layout: { env: "NEURONX_STACK_LAYOUT", context: "layout", kind: "string" },
  backend: { env: "NEURONX_BACKEND", context: "backend", kind: "string" },
  stateBucket: { env: "NEURONX_STATE_BUCKET", context: "stateBucket", kind: "string" },
  stateKeyPrefix: { env: "NEURONX_STATE_KEY_PREFIX", context: "stateKeyPrefix", kind: "string" },
  stateRegion: { env: "NEURONX_STATE_REGION", context: "stateRegion", kind: "string" },
  tfcOrganization: { env: "NEURONX_TFC_ORGANIZATION", context: "tfcOrganization", kind: "string" },
  tfcWorkspacePrefix: { env: "NEURONX_TFC_WORKSPACE_PREFIX", context: "tfcWorkspacePrefix", kind: "string" },
  tfcHostname: { env: "NEURONX_TFC_HOSTNAME", context: "tfcHostname", kind: "string" },
} as const;

type Key = keyof typeof CONFIG_SOURCES;

/**
 * Reads the example configuration. Values that do not parse are a synth-time
 * error naming the variable; the constructs then check what the values mean.
 */
export function loadConfig(scope: Construct, env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  const problems: string[] = [];
  const read = (key: Key): string | number | boolean | undefined => {
    const source = CONFIG_SOURCES[key];
    const fromEnv = env[source.env];
    const raw: unknown = fromEnv !== undefined && fromEnv !== "" ? fromEnv : scope.node.tryGetContext(source.context);
    if (raw === undefined || raw === null || raw === "") return undefined;
    const where = fromEnv ? source.env : `context "${source.context}"`;
    const text = String(raw).trim();
    switch (source.kind) {
      case "string":
        return text;
      case "number":
      case "integer": {
        const n = Number(text);
        if (!Number.isFinite(n) || (source.kind === "integer" && !Number.isInteger(n))) {
          problems.push(`${where} must be a ${source.kind === "integer" ? "whole number" : "number"}, got ${JSON.stringify(text)}`);
          return undefined;
        }
        return n;
      }
      case "boolean":
        if (/^(true|1|yes)$/i.test(text)) return true;
        if (/^(false|0|no)$/i.test(text)) return false;
        problems.push(`${where} must be true or false, got ${JSON.stringify(text)}`);
        return undefined;
    }
  };
  const str = (k: Key) => read(k) as string | undefined;
  const num = (k: Key) => read(k) as number | undefined;

  const quant = str("quantDtype");
  const backend = readBackend(str, str("region") ?? EXAMPLE_DEFAULTS.region, problems);

  const config: ExampleConfig = {
    region: str("region") ?? EXAMPLE_DEFAULTS.region,
    modelId: str("modelId") ?? EXAMPLE_DEFAULTS.modelId,
    revision: str("revision"),
    parametersBillion: num("parametersBillion"),
    architecture: str("architecture"),
    compileOptions: {
      tpDegree: num("tpDegree"),
      nPositions: num("nPositions") ?? EXAMPLE_DEFAULTS.nPositions,
      batchSize: num("batchSize"),
      amp: str("amp") as Amp | undefined,
      quantDtype: quant === undefined ? undefined : (quant.toLowerCase() as QuantDtype),
      optLevel: num("optLevel") as OptLevel | undefined,
    },
    spot: read("spot") as boolean | undefined,
    bucket: str("bucket"),
    subnetId: str("subnetId"),
    instanceType: str("instanceType"),
    servingInstanceType: str("servingInstanceType"),
    amiId: str("amiId"),
    huggingFaceTokenSecretArn: str("huggingFaceTokenSecretArn"),
    huggingFaceTokenKmsKeyArn: str("huggingFaceTokenKmsKeyArn"),
    deadlineMinutes: num("deadlineMinutes"),
    endpointName: str("endpointName"),
    instanceCount: num("instanceCount"),
    customCodeDir: str("customCodeDir"),
    asyncInference: read("asyncInference") as boolean | undefined,
    deploymentWaitSeconds: num("deploymentWaitSeconds"),
    pollIntervalSeconds: num("pollIntervalSeconds"),
    abandonAfterMinutes: num("abandonAfterMinutes"),
    bucketForceDestroy: read("bucketForceDestroy") as boolean | undefined,
    waiter: str("waiter") as ExampleConfig["waiter"],
    awsEndpointUrl: str("awsEndpointUrl"),
    layout: (str("layout") ?? "two-stacks") as ExampleConfig["layout"],
    backend,
  };
  if (!["two-stacks", "one-stack"].includes(config.layout)) {
    problems.push(`${CONFIG_SOURCES.layout.env} must be "two-stacks" or "one-stack", got ${JSON.stringify(config.layout)}`);
  }
  if (config.waiter !== undefined && !["local-exec", "cloudformation"].includes(config.waiter)) {
    problems.push(`${CONFIG_SOURCES.waiter.env} must be "local-exec" or "cloudformation", got ${JSON.stringify(config.waiter)}`);
  }
  if (problems.length > 0) throw new ValidationError("example configuration", problems);
  return config;
}

/** The backend settings: local by default, s3 or cloud with their required values. */
function readBackend(str: (k: Key) => string | undefined, region: string, problems: string[]): BackendConfig {
  const required = (key: Key, why: string) => {
    const value = str(key);
    if (!value) problems.push(`${CONFIG_SOURCES[key].env} is required ${why}`);
    return value ?? "";
  };
  const type = str("backend") ?? "local";
  switch (type) {
    case "local":
      return { type: "local" };
    case "s3":
      return {
        type: "s3",
        bucket: required("stateBucket", "with NEURONX_BACKEND=s3: the bucket that keeps the state"),
        keyPrefix: str("stateKeyPrefix") ?? "cdktf-neuronx-patterns/",
        region: str("stateRegion") ?? region,
      };
    case "cloud":
      return {
        type: "cloud",
        organization: required("tfcOrganization", "with NEURONX_BACKEND=cloud: the Terraform Cloud organization"),
        workspacePrefix: str("tfcWorkspacePrefix") ?? "neuronx-",
        hostname: str("tfcHostname"),
      };
    default:
      problems.push(`${CONFIG_SOURCES.backend.env} must be "local", "s3" or "cloud", got ${JSON.stringify(type)}`);
      return { type: "local" };
  }
}

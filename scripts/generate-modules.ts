// `npm run generate:modules`: the reusable HCL modules in modules/, for teams that do not use CDKTF.
// The structure comes from the templates in scripts/modules/templates; every rule, default, limit
// and table comes from lib/ (the constructs' own constants), and the scripts and Python code that run
// on AWS are copied from scripts/ and python/. A test (__tests__/modules.test.ts) fails when the
// committed modules differ from what this renders.
import * as fs from "fs";
import * as path from "path";
import { SETTINGS_ENV } from "../lib/compile-settings";
import { DLC_REGISTRY_ACCOUNTS, NEURONX_DLC, TRANSFORMERS_NEURONX_SDK_RANGE } from "../lib/container-images";
import { COMPILE_DEFAULTS, COMPILE_LIMITS, SERVED_ARCHITECTURES, refusedNamesPattern } from "../lib/model";
import {
  AMP_BYTES,
  INF1_REFUSAL,
  INF2_INSTANCE_TYPES,
  NEURON_CORE_MEMORY_GIB,
  OPT_LEVELS,
  QUANT_DTYPE_BYTES,
  TP_DEGREES,
} from "../lib/neuron-spec";
import {
  ALLOW_PICKLE_WEIGHTS_ENV,
  BOOTSTRAP_KEY_ROOT,
  CODE_FOLDER,
  COMPILE_PACKAGE_DIR,
  INSTANCE_TAGS,
  NEURONX_COMPILE_DEFAULTS,
  NEURONX_COMPILE_LIMITS,
  RUN_INSTANCES_RESOURCES,
} from "../lib/neuronx-compile";
import { DEFAULT_INFERENCE_CODE_DIR } from "../lib/model-data";
import { COMPILE_TIME_MODEL, PRICE_TABLE } from "../lib/cost";
import { ASYNC_LIMITS, ASYNC_PREFIXES, SCALE_TO_ZERO_DEFAULTS } from "../lib/async-inference";
import { DASHBOARD_WIDGETS, DEPLOYMENT_DEFAULTS, DEPLOYMENT_LIMITS, MONITORING_DEFAULTS } from "../lib/endpoint-operations";
import { PATTERNS, RULES, RuleName, hclString, ruleCondition } from "../lib/patterns";
import { ALWAYS_EXCLUDED_REGEXES, hashDirectory, packageFiles, shippedFiles } from "../lib/private/s3-directory";
import { MAX_TAGS } from "../lib/private/validation";
import {
  ENDPOINT_DEFAULTS,
  ENDPOINT_SCALING,
  INFERENCE_CODE,
  NEURON_INFERENCE_AMI_VERSIONS,
  RESERVED_ENVIRONMENT,
  SAGEMAKER_LIMITS,
  SERVING_ENV,
} from "../lib/realtime-endpoint";
import { SIZING_MODEL } from "../lib/sizing";
import { USER_DATA_BODY_FILE, userDataBody } from "../lib/user-data";
import {
  CFN_MAX_DEADLINE_MINUTES,
  CFN_ROLLBACK_ALLOWANCE_MINUTES,
  CFN_SNS_SKIP_REASON,
  CFN_STACK_NAME_PREFIX,
  CFN_WAITER_ACTIONS,
  CLOUDFORMATION_WAITER_TEMPLATE,
} from "../lib/compile-waiter";
import { WAITER_SCRIPT } from "../lib/s3-object-waiter";
import { EXAMPLE_DEFAULTS } from "../stacks/config";
import { TRITON_INF1_REFUSAL, TRITON_RESERVED_ENVIRONMENT, TRITON_SERVING_ENV, TRITON_SHM_DEFAULTS } from "../lib/triton-endpoint";
import { TRITON_NEURON_DOCKERFILE, TRITON_NEURON_DOCKERFILE_SDK } from "../lib/triton-image";
import { TRITON_LIMITS } from "../lib/triton-model-repository";
import {
  LAMBDA_FUNCTION_NAME,
  LAMBDA_DEFAULT_RUNTIME,
  LAMBDA_INFERENCE_CODE,
  LAMBDA_LIMITS,
  LAMBDA_PYTHON_RUNTIMES,
  LAMBDA_SIZING,
  LAYER_VERSION_ARN,
  LAMBDA_LOG_RETENTION_DAYS,
  SNAPSTART_UNSUPPORTED_REGIONS,
} from "../lib/lambda-inference";
import { EFS_FILE_SYSTEM_ID, LAMBDA_INFERENCE_DOCKERFILE, LAMBDA_INFERENCE_MODEL } from "../lib/lambda-inference-model";
import { FRONT_DOOR_LIMITS, HTTP_API_ACCESS_LOG_FORMAT } from "../lib/lambda-inference-front-door";
import { deterministicZip } from "./deterministic-zip";
import { EMULATED_SERVICES } from "../stacks/provider";
import { CPU_COMPILE_HOSTS, OPTIMUM_COMPILED_FOLDER } from "../lib/optimum-neuron-compile";
import {
  OPTIMUM_COMPILE_ENV,
  OPTIMUM_EXPORT_DEFAULTS,
  OPTIMUM_EXPORT_LIMITS,
  OPTIMUM_MODEL_DIR,
  OPTIMUM_NEURON_BACKEND,
  OPTIMUM_NEURON_DLC,
  OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES,
  OPTIMUM_RESERVED_SERVE_ARGS,
  OPTIMUM_SERVING_ENV,
  optimumRefusedNamesPattern,
} from "../lib/optimum-neuron-spec";

const ROOT = path.resolve(__dirname, "..");
const TEMPLATES = path.join(__dirname, "modules", "templates");
export const MODULES_DIR = path.join(ROOT, "modules");

const hclList = (values: readonly (string | number)[]) =>
  `[${values.map((v) => (typeof v === "string" ? JSON.stringify(v) : v)).join(", ")}]`;
const text = (values: readonly (string | number)[]) => values.join(", ");
/** A value as an HCL expression on one line: lists, objects, strings and numbers. */
const hclExpression = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(hclExpression).join(", ")}]`
    : typeof value === "object" && value !== null
      ? `{ ${Object.entries(value)
          .map(([k, v]) => `${k} = ${hclExpression(v)}`)
          .join(", ")} }`
      : JSON.stringify(value);
const pattern = (re: RegExp) => hclString(re.source);
/** Text inside an HCL quoted string. */
const inString = (text: string) => hclString(text).slice(1, -1);
const providerVersion = (pkg: string) =>
  JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).cdktf.provider.version as string;
const minor = (version: string) => version.split(".").slice(0, 2).join(".");

/** `^2\.(18|19|...|25)(\.[0-9]+)?$`: the Neuron SDK releases with transformers-neuronx, as an RE2 pattern. */
function sdkVersionPattern(): string {
  const { minMinor, maxMinor } = TRANSFORMERS_NEURONX_SDK_RANGE;
  const minors = Array.from({ length: maxMinor - minMinor + 1 }, (_, i) => minMinor + i);
  return `^2\\.(${minors.join("|")})(\\.[0-9]+)?$`;
}

/** The value of each `@@NAME@@` of the templates. */
function replacements(): Record<string, string> {
  const aws = providerVersion("@cdktf/provider-aws");
  const nul = providerVersion("@cdktf/provider-null");
  const types = INF2_INSTANCE_TYPES.map((t) => t.name);
  const settingsExpressions: Record<keyof typeof SETTINGS_ENV, string | undefined> = {
    modelId: "var.model_id",
    revision: "var.revision",
    neuronSdkVersion: "var.neuron_sdk_version",
    tpDegree: "tostring(local.tp_degree)",
    nPositions: "tostring(var.n_positions)",
    batchSize: "tostring(local.batch_size)",
    amp: "var.amp",
    quantDtype: undefined, // only when set
    optLevel: "tostring(local.opt_level)",
  };
  const settingsEntries = Object.entries(settingsExpressions)
    .filter(([, expr]) => expr !== undefined)
    .map(([key, expr]) => `${SETTINGS_ENV[key as keyof typeof SETTINGS_ENV]} = ${expr}`)
    .concat('NEURON_CC_FLAGS = "--model-type=transformer -O${local.opt_level}"');
  const width = Math.max(...settingsEntries.map((e) => e.indexOf(" =")));
  const aligned = settingsEntries.map((e) => {
    const at = e.indexOf(" = ");
    return `${e.slice(0, at).padEnd(width)}${e.slice(at)}`;
  });
  const required = Object.values(SETTINGS_ENV).filter((n) => n !== SETTINGS_ENV.quantDtype);
  const settingsNames = [...Object.values(SETTINGS_ENV), "NEURON_CC_FLAGS"];
  const serviceWidth = Math.max(...EMULATED_SERVICES.map((service) => service.length));
  const compileOwnTags = ["neuronx:model", "neuronx:revision", "ManagedBy", "Name"];
  const endpointOwnTags = ["neuronx:model", "ManagedBy"];
  const reservedEnvironment = [...settingsNames, ...Object.keys(RESERVED_ENVIRONMENT)];
  const env = SAGEMAKER_LIMITS.environment;
  const nameWidth = Math.max(...Object.keys(DLC_REGISTRY_ACCOUNTS).map((r) => r.length + 2));
  return {
    PATTERN_MODEL_ID: pattern(PATTERNS.huggingFaceModelId),
    PATTERN_REVISION: pattern(PATTERNS.huggingFaceRevision),
    PATTERN_BUCKET: pattern(PATTERNS.bucketName),
    PATTERN_SUBNET: pattern(PATTERNS.subnetId),
    PATTERN_AMI: pattern(PATTERNS.amiId),
    PATTERN_SECRET_ARN: pattern(PATTERNS.secretArn),
    PATTERN_ECR_URI: pattern(PATTERNS.ecrImageUri),
    PATTERN_ENDPOINT_NAME: pattern(PATTERNS.endpointName),
    PATTERN_KMS: pattern(PATTERNS.kmsKeyArn),
    PATTERN_S3_URI: pattern(PATTERNS.s3Uri),
    TP_DEGREES: hclList(TP_DEGREES),
    TP_DEGREES_TEXT: text(TP_DEGREES),
    AMP_TYPES: hclList(Object.keys(AMP_BYTES)),
    AMP_TYPES_TEXT: text(Object.keys(AMP_BYTES).map((a) => `\\"${a}\\"`)),
    AMP_DEFAULT: COMPILE_DEFAULTS.amp,
    AMP_BYTES: `{ ${Object.entries(AMP_BYTES)
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ")} }`,
    QUANT_DTYPES: hclList(Object.keys(QUANT_DTYPE_BYTES)),
    OPT_LEVELS: hclList(OPT_LEVELS),
    OPT_LEVELS_TEXT: text(OPT_LEVELS),
    OPT_LEVEL_DEFAULT: String(COMPILE_DEFAULTS.optLevel),
    N_POSITIONS_DEFAULT: String(COMPILE_DEFAULTS.nPositions),
    N_POSITIONS_MIN: String(COMPILE_LIMITS.nPositions.min),
    N_POSITIONS_MAX: String(COMPILE_LIMITS.nPositions.max),
    BATCH_SIZE_DEFAULT: String(COMPILE_DEFAULTS.batchSize),
    BATCH_SIZE_MIN: String(COMPILE_LIMITS.batchSize.min),
    BATCH_SIZE_MAX: String(COMPILE_LIMITS.batchSize.max),
    INSTANCE_TYPES: hclList(types),
    INSTANCE_TYPES_TEXT: text(types),
    INF1_REFUSAL: INF1_REFUSAL,
    SERVED_ARCHITECTURES: hclList(SERVED_ARCHITECTURES),
    SERVED_ARCHITECTURES_TEXT: text(SERVED_ARCHITECTURES),
    REFUSED_NAMES_PATTERN: JSON.stringify(refusedNamesPattern()),
    ML_INSTANCE_TYPES: hclList(types.map((t) => `ml.${t}`)),
    ML_INSTANCE_TYPES_TEXT: text(types.map((t) => `ml.${t}`)),
    INSTANCE_TABLE: `[\n${INF2_INSTANCE_TYPES.map(
      (t) => `    { name = ${JSON.stringify(t.name)}, cores = ${t.neuronCores}, memory_gib = ${t.memoryGiB} },`,
    ).join("\n")}\n  ]`,
    CORE_MEMORY_GIB: String(NEURON_CORE_MEMORY_GIB),
    KV_SCALE: String(SIZING_MODEL.kvScale),
    KV_EXPONENT: String(SIZING_MODEL.kvExponent),
    DEVICE_MARGIN: String(SIZING_MODEL.deviceMargin),
    SERVING_OVERHEAD_GIB: String(SIZING_MODEL.servingHostOverheadGiB),
    COMPILE_OVERHEAD_GIB: String(SIZING_MODEL.compileHostOverheadGiB),
    AMI_GIB: String(SIZING_MODEL.amiGiB),
    IMAGE_GIB: String(SIZING_MODEL.containerImageGiB),
    CHECKPOINT_COPIES: String(SIZING_MODEL.checkpointCopiesOnDisk),
    AMI_SSM_PARAMETER: NEURONX_COMPILE_DEFAULTS.amiSsmParameter,
    DEADLINE_DEFAULT: String(NEURONX_COMPILE_DEFAULTS.deadlineMinutes),
    PRICE_REGION: PRICE_TABLE.region,
    PRICE_DATE: PRICE_TABLE.date,
    SAGEMAKER_PRICES: `{ ${Object.entries(PRICE_TABLE.sagemakerHourlyUsd)
      .map(([k, v]) => `"${k}" = ${v}`)
      .join(", ")} }`,
    EC2_PRICES: `{ ${Object.entries(PRICE_TABLE.ec2HourlyUsd)
      .map(([k, v]) => `"${k}" = ${v}`)
      .join(", ")} }`,
    COMPILE_BASE_MINUTES: String(COMPILE_TIME_MODEL.baseMinutes),
    COMPILE_MINUTES_PER_GIB: String(COMPILE_TIME_MODEL.minutesPerCheckpointGiB),
    DEADLINE_MIN: String(NEURONX_COMPILE_LIMITS.deadlineMinutes.min),
    DEADLINE_MAX: String(NEURONX_COMPILE_LIMITS.deadlineMinutes.max),
    POLL_DEFAULT: String(NEURONX_COMPILE_DEFAULTS.pollIntervalSeconds),
    ABANDON_DEFAULT: String(NEURONX_COMPILE_DEFAULTS.abandonAfterMinutes),
    ABANDON_MIN: String(NEURONX_COMPILE_LIMITS.abandonAfterMinutes.min),
    ABANDON_MAX: String(NEURONX_COMPILE_LIMITS.abandonAfterMinutes.max),
    TAG_BUCKET: INSTANCE_TAGS.bucket,
    CFN_STACK_NAME_PREFIX,
    CFN_SNS_SKIP_REASON,
    CFN_ROLLBACK_ALLOWANCE: String(CFN_ROLLBACK_ALLOWANCE_MINUTES),
    CFN_MAX_DEADLINE: String(CFN_MAX_DEADLINE_MINUTES),
    CFN_WAITER_ACTIONS: hclList(CFN_WAITER_ACTIONS),
    RUN_INSTANCES_RESOURCES: hclList(RUN_INSTANCES_RESOURCES),
    TAG_PREFIX: INSTANCE_TAGS.prefix,
    POLL_MIN: String(NEURONX_COMPILE_LIMITS.pollIntervalSeconds.min),
    POLL_MAX: String(NEURONX_COMPILE_LIMITS.pollIntervalSeconds.max),
    ROOT_MIN: String(NEURONX_COMPILE_LIMITS.rootVolumeSizeGiB.min),
    ROOT_MAX: String(NEURONX_COMPILE_LIMITS.rootVolumeSizeGiB.max),
    SDK_VERSION: NEURONX_DLC.neuronSdkVersion,
    SDK_VERSION_PATTERN: JSON.stringify(sdkVersionPattern()),
    SDK_RANGE_TEXT: `2.${TRANSFORMERS_NEURONX_SDK_RANGE.minMinor} to 2.${TRANSFORMERS_NEURONX_SDK_RANGE.maxMinor}`,
    SDK_MIN_MINOR: String(TRANSFORMERS_NEURONX_SDK_RANGE.minMinor),
    SDK_MAX_MINOR: String(TRANSFORMERS_NEURONX_SDK_RANGE.maxMinor),
    DLC_REPOSITORY: NEURONX_DLC.repository,
    DLC_TAG: NEURONX_DLC.tag,
    DLC_ACCOUNTS: `{\n${Object.entries(DLC_REGISTRY_ACCOUNTS)
      .map(([region, account]) => `    ${JSON.stringify(region).padEnd(nameWidth)} = ${JSON.stringify(account)}`)
      .join("\n")}\n  }`,
    SETTINGS_ENV_ENTRIES: aligned.join("\n    "),
    QUANT_ENV: SETTINGS_ENV.quantDtype,
    MODEL_ID_ENV: SETTINGS_ENV.modelId,
    REQUIRED_SETTINGS: hclList(required),
    REQUIRED_SETTINGS_TEXT: text(required),
    BOOTSTRAP_ROOT: BOOTSTRAP_KEY_ROOT,
    CODE_HASH: hashDirectory(COMPILE_PACKAGE_DIR),
    COUNT_MIN: String(SAGEMAKER_LIMITS.instanceCount.min),
    COUNT_MAX: String(SAGEMAKER_LIMITS.instanceCount.max),
    DEPLOY_WAIT_DEFAULT: String(DEPLOYMENT_DEFAULTS.waitIntervalSeconds),
    DEPLOY_HEADROOM: String(DEPLOYMENT_DEFAULTS.executionHeadroomSeconds),
    DEPLOY_WAIT_MIN: String(DEPLOYMENT_LIMITS.waitIntervalSeconds.min),
    DEPLOY_WAIT_MAX: String(DEPLOYMENT_LIMITS.waitIntervalSeconds.max),
    DEPLOY_TIMEOUT_MIN: String(DEPLOYMENT_LIMITS.maximumExecutionTimeoutSeconds.min),
    DEPLOY_TIMEOUT_MAX: String(DEPLOYMENT_LIMITS.maximumExecutionTimeoutSeconds.max),
    DEPLOY_ALARMS_MAX: String(DEPLOYMENT_LIMITS.rollbackAlarms.max),
    DEPLOY_ALARM_NAME_MAX: String(DEPLOYMENT_LIMITS.alarmNameLength),
    DEPLOY_CANARY_RANGE: hclList(DEPLOYMENT_LIMITS.canaryPercent),
    DEPLOY_LINEAR_RANGE: hclList(DEPLOYMENT_LIMITS.linearPercent),
    DEPLOY_ROLLING_RANGE: hclList(DEPLOYMENT_LIMITS.rollingPercent),
    ASYNC_CONCURRENCY_MIN: String(ASYNC_LIMITS.maxConcurrentInvocationsPerInstance.min),
    ASYNC_CONCURRENCY_MAX: String(ASYNC_LIMITS.maxConcurrentInvocationsPerInstance.max),
    ASYNC_COOLDOWN_MAX: String(ASYNC_LIMITS.cooldownSeconds.max),
    ASYNC_INPUT_PREFIX: ASYNC_PREFIXES.input,
    ASYNC_OUTPUT_PREFIX: ASYNC_PREFIXES.output,
    ASYNC_FAILURE_PREFIX: ASYNC_PREFIXES.failure,
    ZERO_TARGET_DEFAULT: String(SCALE_TO_ZERO_DEFAULTS.targetBacklogPerInstance),
    ZERO_SCALE_IN_DEFAULT: String(SCALE_TO_ZERO_DEFAULTS.scaleInCooldownSeconds),
    ZERO_SCALE_OUT_DEFAULT: String(SCALE_TO_ZERO_DEFAULTS.scaleOutCooldownSeconds),
    ZERO_STEP_COOLDOWN: String(SCALE_TO_ZERO_DEFAULTS.stepCooldownSeconds),
    ZERO_ALARM_PERIOD: String(SCALE_TO_ZERO_DEFAULTS.alarmPeriodSeconds),
    ZERO_ALARM_PERIODS: String(SCALE_TO_ZERO_DEFAULTS.alarmEvaluationPeriods),
    ALARM_PERIOD: String(MONITORING_DEFAULTS.periodSeconds),
    ALARM_EVALUATION_PERIODS: String(MONITORING_DEFAULTS.evaluationPeriods),
    ALARM_DATAPOINTS: String(MONITORING_DEFAULTS.datapointsToAlarm),
    ALARM_ERRORS_DEFAULT: String(MONITORING_DEFAULTS.errorsPerMinute),
    ALARM_LATENCY_DEFAULT: String(MONITORING_DEFAULTS.modelLatencySeconds),
    ALARM_MEMORY: String(MONITORING_DEFAULTS.memoryPercent),
    DASHBOARD_WIDGETS: hclExpression(DASHBOARD_WIDGETS),
    ALARM_DISK: String(MONITORING_DEFAULTS.diskPercent),
    ALARM_HOST_PERIODS: String(MONITORING_DEFAULTS.hostEvaluationPeriods),
    VOLUME_MIN: String(SAGEMAKER_LIMITS.volumeSizeGiB.min),
    VOLUME_MAX: String(SAGEMAKER_LIMITS.volumeSizeGiB.max),
    TIMEOUT_MIN: String(SAGEMAKER_LIMITS.timeoutSeconds.min),
    TIMEOUT_MAX: String(SAGEMAKER_LIMITS.timeoutSeconds.max),
    VOLUME_MIN_GIB: String(ENDPOINT_SCALING.volumeMinGiB),
    VOLUME_COPIES: String(ENDPOINT_SCALING.volumeCopies),
    VOLUME_HEADROOM: String(ENDPOINT_SCALING.volumeHeadroomGiB),
    DOWNLOAD_BASE: String(ENDPOINT_SCALING.downloadBaseSeconds),
    DOWNLOAD_PER_GIB: String(ENDPOINT_SCALING.downloadSecondsPerGiB),
    STARTUP_BASE: String(ENDPOINT_SCALING.startupBaseSeconds),
    STARTUP_PER_GIB: String(ENDPOINT_SCALING.startupSecondsPerGiB),
    CODE_KEY_PREFIX: INFERENCE_CODE.keyPrefix,
    CODE_CONTAINER_DIR: INFERENCE_CODE.containerDir,
    PYTHONPATH_ENV: SERVING_ENV.pythonPath.padEnd("SAGEMAKER_MODEL_SERVER_WORKERS".length),
    MAX_NEW_TOKENS_ENV: SERVING_ENV.maxNewTokens.padEnd("SAGEMAKER_MODEL_SERVER_WORKERS".length),
    MAX_NEW_TOKENS_DEFAULT: String(ENDPOINT_DEFAULTS.maxNewTokens),
    N_POSITIONS_ENV: SETTINGS_ENV.nPositions,
    INFERENCE_AMI_DEFAULT: ENDPOINT_DEFAULTS.inferenceAmiVersion,
    INFERENCE_AMI_VERSIONS: hclList(NEURON_INFERENCE_AMI_VERSIONS),
    INFERENCE_AMI_VERSIONS_TEXT: text(NEURON_INFERENCE_AMI_VERSIONS),
    AWS_PROVIDER_CONSTRAINT: `>= ${minor(aws)}`,
    NULL_PROVIDER_CONSTRAINT: `>= ${minor(nul)}`,
    AWS_PROVIDER_PIN: `~> ${minor(aws)}`,
    NULL_PROVIDER_PIN: `~> ${minor(nul)}`,
    EXAMPLE_MODEL: EXAMPLE_DEFAULTS.modelId,
    EXAMPLE_PARAMETERS: "1.1",
    EXAMPLE_N_POSITIONS: String(EXAMPLE_DEFAULTS.nPositions),
    ALLOW_PICKLE_ENV: ALLOW_PICKLE_WEIGHTS_ENV,
    CODE_FOLDER,
    MAX_TAGS: String(MAX_TAGS),
    COMPILE_OWN_TAGS: hclList(compileOwnTags),
    COMPILE_OWN_TAGS_TEXT: text(compileOwnTags),
    ENDPOINT_OWN_TAGS: hclList(endpointOwnTags),
    ENDPOINT_OWN_TAGS_TEXT: text(endpointOwnTags),
    RESERVED_ENV_NAMES: hclList(reservedEnvironment),
    RESERVED_ENV_NAMES_TEXT: text(reservedEnvironment),
    ENV_VALUE_MAX: String(env.keyOrValueBytes),
    ENV_ENTRIES_MAX: String(env.entries),
    ENV_TOTAL_MAX: String(env.totalBytes),
    VPC_SUBNETS_MAX: String(SAGEMAKER_LIMITS.vpc.subnets),
    VPC_SGS_MAX: String(SAGEMAKER_LIMITS.vpc.securityGroups),
    CODE_EXCLUDE_REGEXES: `[${ALWAYS_EXCLUDED_REGEXES.map((re) => hclString(re)).join(", ")}]`,
    ...tritonReplacements(),
    ...lambdaReplacements(),
    EMULATED_ENDPOINTS: EMULATED_SERVICES.map((service) => `${service.padEnd(serviceWidth)} = endpoints.value`).join("\n      "),
  };
}

/** The lambda-inference module's values: lib/lambda-inference*.ts. */
function lambdaReplacements(): Record<string, string> {
  const L = LAMBDA_LIMITS;
  const S = LAMBDA_SIZING;
  const env = LAMBDA_INFERENCE_MODEL.env;
  const unzipped = [...packageFiles(LAMBDA_INFERENCE_CODE.packages).values()].reduce((sum, b) => sum + b.length, 0);
  return {
    LAMBDA_FUNCTION_NAME_PATTERN: pattern(LAMBDA_FUNCTION_NAME),
    LAMBDA_EFS_ID_PATTERN: pattern(EFS_FILE_SYSTEM_ID),
    LAMBDA_LAYER_ARN_PATTERN: pattern(LAYER_VERSION_ARN),
    LAMBDA_DOCKERFILE: LAMBDA_INFERENCE_DOCKERFILE,
    LAMBDA_IMAGE_MODEL_DIR: LAMBDA_INFERENCE_MODEL.imageModelDir,
    LAMBDA_EFS_MOUNT: LAMBDA_INFERENCE_MODEL.efsMountPath,
    LAMBDA_ZIP_MAX: String(L.zipUnzippedMiB),
    LAMBDA_IMAGE_MAX: String(L.imageMiB),
    LAMBDA_MEMORY_MIN: String(L.memoryMiB.min),
    LAMBDA_MEMORY_MAX: String(L.memoryMiB.max),
    LAMBDA_EPHEMERAL_MIN: String(L.ephemeralStorageMiB.min),
    LAMBDA_EPHEMERAL_MAX: String(L.ephemeralStorageMiB.max),
    LAMBDA_TIMEOUT_MIN: String(L.timeoutSeconds.min),
    LAMBDA_TIMEOUT_MAX: String(L.timeoutSeconds.max),
    LAMBDA_RESERVED_MIN: String(L.reservedConcurrency.min),
    LAMBDA_RESERVED_MAX: String(L.reservedConcurrency.max),
    SNAPSTART_MAX_EPHEMERAL: String(L.snapStartMaxEphemeralMiB),
    LAMBDA_LOAD_COPIES: String(S.loadCopies),
    LAMBDA_BASE_MIB: String(S.baseMiB),
    LAMBDA_MEMORY_FLOOR: String(S.minimumMemoryMiB),
    LAMBDA_MEMORY_STEP: String(S.memoryStepMiB),
    LAMBDA_EPHEMERAL_FACTOR: String(S.ephemeralFactor),
    LAMBDA_EPHEMERAL_HEADROOM: String(S.ephemeralHeadroomMiB),
    LAMBDA_RUNTIMES: hclList(LAMBDA_PYTHON_RUNTIMES),
    LAMBDA_RUNTIMES_TEXT: text(LAMBDA_PYTHON_RUNTIMES),
    LAMBDA_RUNTIME_DEFAULT: LAMBDA_DEFAULT_RUNTIME,
    LAMBDA_RETENTION_DAYS: hclList(LAMBDA_LOG_RETENTION_DAYS),
    LAMBDA_RETENTION_DAYS_TEXT: text(LAMBDA_LOG_RETENTION_DAYS),
    LAMBDA_HANDLER: LAMBDA_INFERENCE_CODE.handler,
    LAMBDA_CODE_UNZIPPED_BYTES: String(unzipped),
    SNAPSTART_UNSUPPORTED_REGIONS: hclList(SNAPSTART_UNSUPPORTED_REGIONS),
    HTTP_API_TIMEOUT: String(FRONT_DOOR_LIMITS.httpApiTimeoutSeconds),
    FUNCTION_URL_TIMEOUT_DEFAULT: String(FRONT_DOOR_LIMITS.functionUrlDefaultTimeoutSeconds),
    HTTP_API_ACCESS_LOG_FORMAT: hclString(JSON.stringify(HTTP_API_ACCESS_LOG_FORMAT)),
    ...optimumReplacements(),
    ENV_SOURCE: env.source,
    ENV_BUCKET: env.bucket,
    ENV_PREFIX: env.prefix,
    ENV_DIR: env.directory,
  };
}

/** `NAME = expression` lines with their "=" aligned, as terraform fmt writes them. */
function alignedEntries(entries: [string, string][]): string[] {
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, expr]) => `${name.padEnd(width)} = ${expr}`);
}

/** The optimum-neuron backend's values: lib/optimum-neuron-spec.ts and lib/optimum-neuron-compile.ts. */
function optimumReplacements(): Record<string, string> {
  const c = OPTIMUM_COMPILE_ENV;
  const s = OPTIMUM_SERVING_ENV;
  const cpuTypes = CPU_COMPILE_HOSTS.types.map((t) => t.name);
  const reserved = Object.keys(OPTIMUM_RESERVED_SERVE_ARGS);
  return {
    OPTIMUM_BACKEND: OPTIMUM_NEURON_BACKEND,
    OPTIMUM_BACKEND_ENV: c.backend,
    OPT_LEVEL_ENV: SETTINGS_ENV.optLevel,
    OPTIMUM_VERSION_ENV: c.optimumNeuronVersion,
    OPTIMUM_TARGET_ENV: c.targetInstanceFamily,
    OPTIMUM_CACHE_REPO_ENV: c.cacheRepo,
    OPTIMUM_DEVICES_ENV: c.compileDevices,
    OPTIMUM_SDK_VERSION: OPTIMUM_NEURON_DLC.neuronSdkVersion,
    OPTIMUM_VERSION: OPTIMUM_NEURON_DLC.optimumNeuronVersion,
    OPTIMUM_DLC_REPOSITORY: OPTIMUM_NEURON_DLC.repository,
    OPTIMUM_DLC_TAG: OPTIMUM_NEURON_DLC.tag,
    OPTIMUM_BATCH_SIZE_DEFAULT: String(OPTIMUM_EXPORT_DEFAULTS.batchSize),
    OPTIMUM_BATCH_SIZE_MAX: String(OPTIMUM_EXPORT_LIMITS.batchSize.max),
    OPTIMUM_DTYPE_DEFAULT: OPTIMUM_EXPORT_DEFAULTS.dtype,
    OPTIMUM_SEQUENCE_LENGTH_DEFAULT: String(OPTIMUM_EXPORT_DEFAULTS.sequenceLength),
    OPTIMUM_REFUSED_NAMES_PATTERN: JSON.stringify(optimumRefusedNamesPattern()),
    OPTIMUM_MODEL_TYPES_TEXT: text(OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES),
    OPTIMUM_COMPILED_FOLDER,
    OPTIMUM_MODEL_DIR,
    OPTIMUM_MODEL_ENV: s.model,
    OPTIMUM_SERVED_NAME_ENV: s.servedModelName,
    OPTIMUM_BATCH_ENV: s.batchSize,
    OPTIMUM_SEQUENCE_ENV: s.sequenceLength,
    OPTIMUM_TP_ENV: s.tensorParallelSize,
    OPTIMUM_OFFLINE_ENV: s.hubOffline,
    OPTIMUM_RESERVED_ENV: hclList(reserved),
    OPTIMUM_SERVING_NAMES: hclList(Object.values(s)),
    OPTIMUM_SERVING_NAMES_TEXT: text(Object.values(s)),
    OPTIMUM_RESERVED_ENV_TEXT: text(reserved),
    OPTIMUM_CPU_HOSTS: `[\n${CPU_COMPILE_HOSTS.types
      .map((t) => `    { name = ${JSON.stringify(t.name)}, memory_gib = ${t.memoryGiB} },`)
      .join("\n")}\n  ]`,
    OPTIMUM_CPU_TYPES: hclList(cpuTypes),
    OPTIMUM_SERVING_ENV_ENTRIES: alignedEntries([
      [s.model, `"${OPTIMUM_MODEL_DIR}"`],
      [s.servedModelName, `var.settings_environment["${SETTINGS_ENV.modelId}"]`],
      [s.batchSize, `var.settings_environment["${SETTINGS_ENV.batchSize}"]`],
      [s.sequenceLength, `var.settings_environment["${SETTINGS_ENV.nPositions}"]`],
      [s.tensorParallelSize, `var.settings_environment["${SETTINGS_ENV.tpDegree}"]`],
      [s.hubOffline, '"1"'],
    ]).join("\n    "),
    OPTIMUM_SETTINGS_ENV_ENTRIES: alignedEntries([
      [c.backend, `"${OPTIMUM_NEURON_BACKEND}"`],
      [SETTINGS_ENV.modelId, "var.model_id"],
      [SETTINGS_ENV.revision, "var.revision"],
      [SETTINGS_ENV.neuronSdkVersion, "local.optimum_sdk_version"],
      [SETTINGS_ENV.tpDegree, "tostring(local.tp_degree)"],
      [SETTINGS_ENV.nPositions, "tostring(var.n_positions)"],
      [SETTINGS_ENV.batchSize, "tostring(local.batch_size)"],
      [SETTINGS_ENV.amp, "var.amp"],
      [c.optimumNeuronVersion, "local.optimum_neuron_version"],
      [c.targetInstanceFamily, '"inf2"'],
    ]).join("\n    "),
    OPTIMUM_CPU_TYPES_TEXT: text(cpuTypes),
  };
}

/** The triton-endpoint module's values: lib/triton-endpoint.ts, lib/triton-image.ts and the repository's limits. */
function tritonReplacements(): Record<string, string> {
  const env = TRITON_SERVING_ENV;
  const width = Math.max(...Object.values(env).map((name) => name.length));
  const reserved = [...Object.values(env), ...Object.keys(TRITON_RESERVED_ENVIRONMENT)];
  const ownTags = ["neuronx:triton-model", "ManagedBy"];
  return {
    TRITON_MODEL_NAME_ENV: env.defaultModelName.padEnd(width),
    TRITON_SHM_DEFAULT_ENV: env.shmDefaultByteSize.padEnd(width),
    TRITON_SHM_GROWTH_ENV: env.shmGrowthByteSize.padEnd(width),
    TRITON_LOG_VERBOSE_ENV: env.logVerbose.padEnd(width),
    TRITON_MODEL_NAME_PATTERN: pattern(TRITON_LIMITS.modelName),
    TRITON_MAX_CORES: String(Math.max(...INF2_INSTANCE_TYPES.map((t) => t.neuronCores))),
    TRITON_SHM_DEFAULT: String(TRITON_SHM_DEFAULTS.defaultBytes),
    TRITON_SHM_GROWTH: String(TRITON_SHM_DEFAULTS.growthBytes),
    TRITON_DOCKERFILE: TRITON_NEURON_DOCKERFILE,
    TRITON_SDK: TRITON_NEURON_DOCKERFILE_SDK,
    TRITON_INF1_REFUSAL: inString(`Inf1: ${TRITON_INF1_REFUSAL}.`),
    TRITON_RESERVED_ENV: hclList(reserved),
    TRITON_RESERVED_ENV_TEXT: text(reserved),
    TRITON_RESERVED_ENV_REASONS: inString(
      Object.entries(TRITON_RESERVED_ENVIRONMENT)
        .map(([key, reason]) => `${key}: ${reason}`)
        .join("; "),
    ),
    TRITON_OWN_TAGS: hclList(ownTags),
    TRITON_OWN_TAGS_TEXT: text(ownTags),
  };
}

function fill(template: string, values: Record<string, string>, source: string): string {
  const rule = (name: string): (typeof RULES)[RuleName] => {
    if (!(name in RULES)) throw new Error(`${source}: no rule ${name}`);
    return RULES[name as RuleName];
  };
  return template
    .replace(/@@RULE\((\w+), (.+?)\)@@/g, (_, name: string, expression: string) => ruleCondition(rule(name), expression))
    .replace(/@@RULE_TEXT\((\w+)\)@@/g, (_, name: string) => inString(rule(name).allowed))
    .replace(/@@([A-Z0-9_]+)@@/g, (_, name: string) => {
      if (!(name in values)) throw new Error(`${source}: no value for @@${name}@@`);
      return values[name];
    });
}

const MODULES = {
  "neuronx-compile": {
    title: "neuronx-compile",
    summary:
      "Compiles a Hugging Face causal LM with the AWS Neuron SDK (transformers-neuronx, or optimum-neuron with `backend`) on a temporary instance and uploads the artifacts to S3; `terraform apply` waits until they are complete. The HCL twin of the `NeuronxCompile` and `OptimumNeuronCompile` constructs.",
    notes: [
      'The machine that runs `terraform apply` needs the AWS CLI (v1 or v2) and a POSIX shell: the waiter (`scripts/wait-for-compile.sh`, run by `null_resource.waiter`) calls them, with the same credentials as the provider. Without the CLI it fails at once and says so. With `waiter = "cloudformation"` (Terraform Cloud\'s hosted runners) no CLI is needed: `aws_cloudformation_stack.waiter` owns the instance and waits for its signal, inside the AWS provider (the construct\'s `CompileWaiter.cloudFormation()`; the root README\'s "Terraform Cloud: which waiter" has its trade-offs).',
      "The instance is not a resource: the launch template describes it and the waiter runs it as a job, so a second plan after success is empty, and a cache hit (same model, options and SDK) launches nothing.",
      "One compile a prefix: the waiter takes the prefix's lock (`<prefix>_LOCK`, S3 conditional writes, AWS CLI 1.36.10 / 2.22.5 or later), a second apply adopts the running instance, and the instance stops itself when no apply renews its lease for `abandon_after_minutes`. Give the credentials of apply `waiter_policy_json`.",
      "On destroy, `terraform_data.on_destroy` terminates the prefix's instances first; with a bucket this module created and `bucket_force_destroy = false`, it refuses the destroy while the bucket holds artifacts (a cache Terraform does not manage), before anything is destroyed, and says how to go on.",
      "`parameters_billion` is required here (the construct reads it from ids such as `Llama-2-7b-hf`); the sizing of the TP degree and the instances is the construct's, in `locals`.",
      `\`backend = "${OPTIMUM_NEURON_BACKEND}"\` is the \`OptimumNeuronCompile\` construct on the same job: optimum-neuron ${OPTIMUM_NEURON_DLC.optimumNeuronVersion}'s export in the vLLM Neuron DLC, the Hub cache looked up first, the exported model in \`<prefix>${OPTIMUM_COMPILED_FOLDER}\`. \`n_positions\` is its sequence length, \`batch_size\` its batch size, \`amp\` its dtype, \`tp_degree\` its tensor parallel size; \`quant_dtype\` and \`opt_level\` are refused. \`optimum_neuron\` holds the compile host (\`"cpu"\`: the smallest r7i type whose memory holds the export), a private cache repository and a private image with its versions.`,
    ],
  },
  "sagemaker-endpoint": {
    title: "sagemaker-endpoint",
    summary:
      "A SageMaker real-time endpoint on Inferentia2 that serves the artifacts of the neuronx-compile module with the default inference code (a chat API) or yours, or the optimum-neuron export with the vLLM Neuron DLC. The HCL twin of the `TransformersNeuronxSageMakerRealtimeInferenceEndpoint` and `OptimumNeuronSageMakerRealtimeInferenceEndpoint` constructs.",
    notes: [
      "Pass the neuronx-compile module's outputs: the container's environment is its `settings_environment`, so compile and serving cannot disagree.",
      `Pass its \`backend\` output too: with \`"${OPTIMUM_NEURON_BACKEND}"\` the endpoint serves \`<prefix>${OPTIMUM_COMPILED_FOLDER}\` with the vLLM Neuron DLC's own OpenAI-style chat API (the \`OptimumNeuronSageMakerRealtimeInferenceEndpoint\` construct): its \`SM_ON_*\` variables come from the export settings, there is no inference code (\`code_dir\` is refused), and \`environment\` may not set what would contradict the export.`,
      "The default inference code ships in `code/`; `code_dir` uploads yours (a directory with `inference.py`) instead, to `<prefix>code/<endpoint_name>/`: each endpoint has a folder of its own, which the container's `PYTHONPATH` names, so two endpoints on one compile never overwrite each other's code.",
    ],
  },
  "lambda-inference": {
    title: "lambda-inference",
    summary:
      "A Lambda function that answers the chat contract of the SageMaker endpoint on CPU with a small ONNX causal LM, and costs nothing when idle: the model in S3, on EFS or in a container image, behind a function URL (IAM auth) or an HTTP API. The HCL twin of the `LambdaInferenceFunction` construct.",
    notes: [
      "Set exactly one of `model_s3`, `model_efs` and `model_image`. A .zip function (S3 or EFS) needs `dependencies_layer_arn`: build the layer with `scripts/build-lambda-layer.sh <arm64|x86_64> <3.12|3.13|3.14>` (about 50 MB zipped, so publish it through S3) and pass its ARN.",
      "The function's code is `function.zip`, generated with the module from the sources in `code/` (a test unzips it and compares them): no archive provider, and the .zip is there at apply time wherever the plan was made (a saved plan applied in CI or Terraform Cloud included).",
      "Memory, ephemeral storage and timeout follow the model's size and the front door as in the construct; SnapStart is refused with EFS and container images, and in the regions that lack it, before anything is created.",
    ],
    example: "See the README's Lambda section for the module in a root module.",
  },
  "triton-endpoint": {
    title: "triton-endpoint",
    summary:
      "A SageMaker real-time endpoint on Inferentia2 that serves a Triton model repository (Neuron-traced models behind Triton's Python backend) with your Triton image. The HCL twin of the `TritonSageMakerRealtimeInferenceEndpoint` construct.",
    notes: [
      "The module takes the repository's S3 location and the three numbers the endpoint needs (`default_model_name`, `neuron_cores_used`, `largest_batch_bytes`); it does not write the repository. `TritonNeuronModelRepository` (CDKTF) or `scripts/render-triton-repository.ts` (a JSON spec in, the repository folder and these inputs out) write and check it: the checks Triton only makes at load stay in one implementation.",
      `AWS publishes no Triton image with the Neuron runtime: build \`${TRITON_NEURON_DOCKERFILE}\`, push it to your ECR and pass \`image_uri\` and \`image_neuron_sdk_version\`; the role may pull from that repository only.`,
      "Not in this module (the construct has them): autoscaling, alarms and dashboard, deployment configuration, data capture.",
    ],
    example: "See the README's Triton section for the module with a repository, and `scripts/render-triton-repository.ts --help`.",
  },
} as const;

/** Renders every file of modules/: relative path -> content. */
export function renderModules(): Map<string, string | Buffer> {
  const values = replacements();
  const files = new Map<string, string>();
  const header = (source: string) => `# Generated by npm run generate:modules from ${source} and lib/. Do not edit.\n\n`;

  for (const dir of ["neuronx-compile", "sagemaker-endpoint", "triton-endpoint", "lambda-inference", "example"]) {
    const target = dir === "example" ? "examples/compile-and-serve" : dir;
    for (const file of ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]) {
      const source = `scripts/modules/templates/${dir}/${file}`;
      files.set(`${target}/${file}`, header(source) + fill(fs.readFileSync(path.join(TEMPLATES, dir, file), "utf8"), values, source));
    }
  }

  // What runs on AWS, copied from where the constructs take it.
  const body = fs.readFileSync(USER_DATA_BODY_FILE, "utf8");
  files.set("neuronx-compile/templates/compile-user-data.sh", userDataBody(body));
  files.set("neuronx-compile/templates/compile-waiter.template.json", `${CLOUDFORMATION_WAITER_TEMPLATE}\n`);
  files.set("neuronx-compile/scripts/wait-for-compile.sh", fs.readFileSync(WAITER_SCRIPT, "utf8"));
  for (const rel of shippedFiles(COMPILE_PACKAGE_DIR)) {
    files.set(`neuronx-compile/python/neuronx_compile/${rel}`, fs.readFileSync(path.join(COMPILE_PACKAGE_DIR, rel), "utf8"));
  }
  for (const rel of shippedFiles(DEFAULT_INFERENCE_CODE_DIR)) {
    files.set(`sagemaker-endpoint/code/${rel}`, fs.readFileSync(path.join(DEFAULT_INFERENCE_CODE_DIR, rel), "utf8"));
  }

  // The Lambda function's code: its sources to read, and the .zip the function is created from.
  const lambdaCode = packageFiles(LAMBDA_INFERENCE_CODE.packages);
  for (const [rel, content] of lambdaCode) files.set(`lambda-inference/code/${rel}`, content.toString("utf8"));

  for (const [name, info] of Object.entries(MODULES)) {
    files.set(`${name}/README.md`, moduleReadme(name, info, files));
  }
  files.set("examples/compile-and-serve/README.md", exampleReadme(files));
  files.set("README.md", indexReadme());
  const all = new Map<string, string | Buffer>(files);
  all.set("lambda-inference/function.zip", deterministicZip(lambdaCode));
  return all;
}

interface Variable {
  name: string;
  type: string;
  default?: string;
  description: string;
}

/** The variables (or outputs) of a rendered .tf file, for the README tables. */
export function parseBlocks(tf: string, keyword: "variable" | "output"): Variable[] {
  const blocks: Variable[] = [];
  const re = new RegExp(`^${keyword} "([^"]+)" \\{\\n([\\s\\S]*?)\\n\\}`, "gm");
  for (const [, name, body] of tf.matchAll(re)) {
    const description = /^ {2}description = "((?:[^"\\]|\\.)*)"/m.exec(body)?.[1].replace(/\\"/g, '"') ?? "";
    const typeLine = /^ {2}type\s+= (.*)$/m.exec(body)?.[1] ?? "any";
    const type = typeLine.startsWith("object(") ? "object" : typeLine;
    const defaultLine = /^ {2}default\s+= (.*)$/m.exec(body)?.[1];
    blocks.push({ name, type, default: defaultLine, description });
  }
  return blocks;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

function moduleReadme(name: string, info: (typeof MODULES)[keyof typeof MODULES], files: Map<string, string>): string {
  const variables = parseBlocks(files.get(`${name}/variables.tf`) as string, "variable");
  const outputs = parseBlocks(files.get(`${name}/outputs.tf`) as string, "output");
  const lines = [
    `<!-- Generated by npm run generate:modules from scripts/generate-modules.ts and lib/. Do not edit. -->`,
    `# ${info.title}`,
    "",
    info.summary,
    "",
    ...info.notes.map((n) => `- ${n}`),
    "",
    ...("example" in info ? [info.example, ""] : ["See `../examples/compile-and-serve` for both modules together.", ""]),
    "## Inputs",
    "",
    "| Name | Description | Type | Default | Required |",
    "| --- | --- | --- | --- | --- |",
    ...variables.map(
      (v) =>
        `| \`${v.name}\` | ${cell(v.description)} | \`${cell(v.type)}\` | ${v.default === undefined ? "n/a" : `\`${cell(v.default)}\``} | ${v.default === undefined ? "yes" : "no"} |`,
    ),
    "",
    "## Outputs",
    "",
    "| Name | Description |",
    "| --- | --- |",
    ...outputs.map((o) => `| \`${o.name}\` | ${cell(o.description)} |`),
    "",
  ];
  return lines.join("\n");
}

function exampleReadme(files: Map<string, string>): string {
  const variables = parseBlocks(files.get("examples/compile-and-serve/variables.tf") as string, "variable");
  return [
    "<!-- Generated by npm run generate:modules from scripts/generate-modules.ts and lib/. Do not edit. -->",
    "# Example: compile and serve",
    "",
    "A root module that compiles a model with `../../neuronx-compile` and serves it with `../../sagemaker-endpoint`:",
    "the same infrastructure as the CDKTF example stacks, with no Node.js.",
    "",
    "```sh",
    "terraform init",
    "terraform apply -var model_id=meta-llama/Meta-Llama-3-8B-Instruct -var parameters_billion=8 -var n_positions=4096",
    "```",
    "",
    "The machine that runs `terraform apply` needs the AWS CLI and a POSIX shell (the compile's waiter).",
    "",
    "| Name | Description | Default |",
    "| --- | --- | --- |",
    ...variables.map((v) => `| \`${v.name}\` | ${cell(v.description)} | \`${cell(v.default ?? "")}\` |`),
    "",
  ].join("\n");
}

function indexReadme(): string {
  return [
    "<!-- Generated by npm run generate:modules from scripts/generate-modules.ts and lib/. Do not edit. -->",
    "# HCL modules",
    "",
    "For teams that do not use CDKTF: the constructs as Terraform modules, generated from their code so that",
    "the rules, defaults and limits are the same (`npm run generate:modules`; a test fails when these files are stale).",
    "",
    "| Module | What it is |",
    "| --- | --- |",
    ...Object.entries(MODULES).map(([name, info]) => `| [\`${name}\`](${name}/README.md) | ${info.summary} |`),
    "| [`examples/compile-and-serve`](examples/compile-and-serve/README.md) | A root module using both. |",
    "",
  ].join("\n");
}

/** Writes modules/ from scratch. */
export function writeModules(dir = MODULES_DIR): string[] {
  fs.rmSync(dir, { recursive: true, force: true });
  const files = renderModules();
  for (const [rel, content] of files) {
    const target = path.join(dir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    if (rel.endsWith(".sh")) fs.chmodSync(target, 0o755);
  }
  return [...files.keys()];
}

if (require.main === module) {
  const written = writeModules();
  process.stdout.write(`wrote ${written.length} files to modules/\n`);
}

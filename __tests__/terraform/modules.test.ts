// The HCL modules (modules/) through the real terraform CLI and checkov, and their parity with the
// constructs: the same inputs give the same instances, TP degree, volumes, timeouts, container
// environment and user data. The module side is a `terraform plan` against moto on 127.0.0.1 (the
// data sources need an AWS API); the construct side is its synthesized JSON.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Model, Parameters, QuantDtype } from "../../lib/model";
import { CompileWaiter } from "../../lib/compile-waiter";
import { NeuronxCompile } from "../../lib/neuronx-compile";
import { TransformersNeuronxSageMakerInferenceModelData } from "../../lib/model-data";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps,
} from "../../lib/realtime-endpoint";
import { Testing } from "cdktf";
import { EndpointDeployment } from "../../lib/endpoint-operations";
import { CompileStack } from "../../stacks/compile-stack";
import { loadConfig } from "../../stacks/config";
import { EndpointStack } from "../../stacks/endpoint-stack";
import { MODULES_DIR } from "../../scripts/generate-modules";
import { only, synth } from "../helpers/synth";
import { Moto, startMoto } from "../helpers/moto";
import { thrown } from "../helpers/thrown";
import { checkovFailures, terraform, unjustifiedSkips } from "../helpers/terraform";
import { blocks, emulatedAwsProvider } from "../helpers/module-plan";
import { OptimumNeuronCompile, OptimumNeuronCompileHost } from "../../lib/optimum-neuron-compile";
import { OptimumNeuronModelData, OptimumNeuronSageMakerRealtimeInferenceEndpoint } from "../../lib/optimum-neuron-endpoint";

const AMI = "ami-785db401"; // one of moto's images
const BUCKET = "parity-artifacts";

/** A copy of modules/, so that terraform init writes nothing into the repository. */
function copyModules(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-modules-")), "modules");
  fs.cpSync(MODULES_DIR, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.terraform`) });
  return dir;
}

const MODULE_DIRS = ["neuronx-compile", "sagemaker-endpoint", "triton-endpoint", "lambda-inference", "examples/compile-and-serve"];

describe("the HCL modules", () => {
  const dir = copyModules();

  test("are formatted (terraform fmt -check)", () => {
    const fmt = terraform(dir, ["fmt", "-check", "-recursive", "-diff", "-no-color"]);
    expect(fmt.out).toBe("");
    expect(fmt.code).toBe(0);
  });

  describe.each(MODULE_DIRS)("%s", (module) => {
    const moduleDir = path.join(dir, module);

    test("passes terraform init and validate", () => {
      const init = terraform(moduleDir, ["init", "-backend=false", "-input=false", "-no-color"]);
      expect(init.out).toContain("Terraform has been successfully initialized");
      const result = JSON.parse(terraform(moduleDir, ["validate", "-json", "-no-color"]).stdout);
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    });

    test("passes checkov, its skips inline with their reasons", () => {
      expect(checkovFailures(moduleDir, "terraform").map((f) => `${f.resource}: ${f.check_id}`)).toEqual([]);
      expect(unjustifiedSkips(fs.readFileSync(path.join(moduleDir, "main.tf"), "utf8"))).toEqual([]);
    });
  });
});

/** One set of inputs, in the module's terms; the construct gets the same. */
interface Case {
  model_id: string;
  revision?: string;
  parameters_billion: number;
  n_positions?: number;
  batch_size?: number;
  amp?: "bf16" | "f16" | "f32";
  quant_dtype?: "s8";
  tp_degree?: number;
  instance_type?: string;
  serving_instance_type?: string;
  hugging_face_token_secret_arn?: string;
  waiter?: "local-exec" | "cloudformation";
  spot?: boolean;
}

const CASES: Record<string, Case> = {
  tiny: { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", parameters_billion: 1.1, n_positions: 2048 },
  // "/" and "_" in a revision: both sides encode it to the same key segment (refs_2fpr_2f3_5fa).
  pr_revision: { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", revision: "refs/pr/3_a", parameters_billion: 1.1, n_positions: 2048 },
  llama8b: { model_id: "meta-llama/Meta-Llama-3-8B-Instruct", parameters_billion: 8 },
  llama70b: { model_id: "meta-llama/Llama-2-70b-chat-hf", parameters_billion: 70 },
  llama70b_s8: { model_id: "meta-llama/Llama-2-70b-chat-hf", parameters_billion: 70, quant_dtype: "s8" },
  mistral_long: { model_id: "mistralai/Mistral-7B-Instruct-v0.2", parameters_billion: 7.2, n_positions: 16384, batch_size: 4 },
  f32_tp8: { model_id: "facebook/opt-1.3b", parameters_billion: 1.3, amp: "f32", tp_degree: 8 },
  explicit_types: {
    model_id: "meta-llama/Meta-Llama-3-8B-Instruct",
    parameters_billion: 8,
    instance_type: "inf2.48xlarge",
    serving_instance_type: "inf2.24xlarge",
  },
};

/** The compile with the cloudformation waiter (planned beside the cases, compared on its own). */
const CFN_CASE = "cloudformation_waiter";
const CFN_INPUTS: Case = { ...CASES.tiny, waiter: "cloudformation" };

/** The endpoint's operating inputs of some cases, in the module's terms and the construct's. */
const ENDPOINT_INPUTS: Record<
  string,
  { hcl: Record<string, unknown>; ts: Partial<TransformersNeuronxSageMakerRealtimeInferenceEndpointProps> }
> = {
  tiny: {
    hcl: {
      instance_count: 2,
      monitoring: { alarm_topic_arn: "arn:aws:sns:us-east-1:123456789012:alarms" },
      deployment: { type: "canary", size: { instances: 1 }, termination_wait_seconds: 120 },
    },
    ts: {
      instanceCount: 2,
      monitoring: { alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:alarms" },
      deployment: EndpointDeployment.canary({ canarySize: { instances: 1 }, terminationWaitSeconds: 120 }),
    },
  },
  llama8b: {
    hcl: {
      instance_count: 4,
      monitoring: { errors_per_minute_threshold: 3, model_latency_threshold_seconds: 30, create_alarm_topic: true, dashboard: false },
      deployment: {
        type: "rolling",
        size: { percent: 25 },
        rollback_batch_size: { instances: 2 },
        wait_interval_seconds: 60,
        rollback_alarm_names: ["slo-burn"],
      },
    },
    ts: {
      instanceCount: 4,
      monitoring: { errorsPerMinuteThreshold: 3, modelLatencyThresholdSeconds: 30, createAlarmTopic: true, dashboard: false },
      deployment: EndpointDeployment.rolling({
        batchSize: { percent: 25 },
        rollbackBatchSize: { instances: 2 },
        waitIntervalSeconds: 60,
        rollbackAlarmNames: ["slo-burn"],
      }),
    },
  },
  mistral_long: {
    hcl: {
      instance_count: 4,
      monitoring: null,
      deployment: {
        type: "linear",
        size: { percent: 50 },
        rollback_on_endpoint_alarms: false,
        rollback_alarm_names: ["mine"],
        maximum_execution_timeout_seconds: 9000,
      },
    },
    ts: {
      instanceCount: 4,
      monitoring: false,
      deployment: EndpointDeployment.linear({
        stepSize: { percent: 50 },
        rollbackOnEndpointAlarms: false,
        rollbackAlarmNames: ["mine"],
        maximumExecutionTimeoutSeconds: 9000,
      }),
    },
  },
};

// Asynchronous endpoints: given locations, key and topics with scale to zero; and created locations.
const ASYNC_TOPIC = "arn:aws:sns:us-east-1:123456789012:inference-results";
const ASYNC_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
ENDPOINT_INPUTS.f32_tp8 = {
  hcl: {
    instance_count: 2,
    async_inference: {
      input_path: "s3://requests-bucket/in/",
      output_path: "s3://results-bucket/out",
      failure_path: "s3://results-bucket/failed/",
      kms_key_arn: ASYNC_KEY,
      success_topic_arn: ASYNC_TOPIC,
      error_topic_arn: ASYNC_TOPIC,
      max_concurrent_invocations_per_instance: 4,
      scale_to_zero: true,
      max_capacity: 3,
      target_backlog_per_instance: 2,
      scale_in_cooldown_seconds: 900,
    },
  },
  ts: {
    instanceCount: 2,
    asyncInference: {
      inputPath: "s3://requests-bucket/in/",
      outputPath: "s3://results-bucket/out",
      failurePath: "s3://results-bucket/failed/",
      kmsKeyArn: ASYNC_KEY,
      successTopicArn: ASYNC_TOPIC,
      errorTopicArn: ASYNC_TOPIC,
      maxConcurrentInvocationsPerInstance: 4,
      scaleToZero: true,
      maxCapacity: 3,
      targetBacklogPerInstance: 2,
      scaleInCooldownSeconds: 900,
    },
  },
};
ENDPOINT_INPUTS.explicit_types = { hcl: { async_inference: {} }, ts: { asyncInference: {} } };

/** A Hugging Face token passed where its secret's ARN belongs: both refuse it, and neither prints it. */
const TOKEN = "hf_pastedTheTokenNotItsArn0123456789";

/** Inputs both sides reject, with a word of each message. */
const REJECTED: Record<string, [Case, RegExp, RegExp]> = {
  too_large: [{ model_id: "example/huge-400b", parameters_billion: 400 }, /more than the 384 GiB/, /NeuronCore memory/],
  tp_too_small: [
    { model_id: "meta-llama/Llama-2-70b-chat-hf", parameters_billion: 70, tp_degree: 2 },
    /Set tp_degree to 24 or more/,
    /tpDegree/,
  ],
  serving_too_small: [
    { model_id: "meta-llama/Meta-Llama-3-8B-Instruct", parameters_billion: 8, serving_instance_type: "inf2.xlarge" },
    /serving instance type inf2\.xlarge cannot hold the model/,
    /servingInstanceType/,
  ],
  token_instead_of_its_arn: [
    { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", parameters_billion: 1.1, hugging_face_token_secret_arn: TOKEN },
    /The hugging_face_token_secret_arn must be a Secrets Manager secret ARN/,
    /huggingFaceTokenSecretArn must be a Secrets Manager secret ARN/,
  ],
  spot_with_the_cloudformation_waiter: [
    { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", parameters_billion: 1.1, waiter: "cloudformation", spot: true },
    /The spot must be false with waiter = "cloudformation"/,
    /spot must be false with waiter CompileWaiter.cloudFormation\(\)/,
  ],
  unserved_family: [
    { model_id: "Qwen/Qwen2-1.5B-Instruct", parameters_billion: 1.5 },
    /The model_id Qwen\/Qwen2-1\.5B-Instruct names a model family that transformers-neuronx 0\.13 does not serve/,
    /names the qwen2 \/ qwen3 architecture/,
  ],
};

const hclValue = (v: unknown) => JSON.stringify(v);

/** The outputs of the compile module that the endpoint module takes. */
const COMPILE_OUTPUTS_FOR_ENDPOINT = [
  "backend",
  "compiled_artifact_s3_url",
  "bucket_arn",
  "artifact_prefix",
  "settings_environment",
  "container_image_uri",
  "container_repository_arn",
  "serving_instance_type",
  "tp_degree",
  "checkpoint_bytes",
  "serving_host_bytes",
];

/** A root module of a compile module for each case and, with `endpoint`, an endpoint module on each. */
function rootModule(
  dir: string,
  moto: Moto,
  cases: Record<string, object>,
  endpoint?: { nameOf: (name: string) => string; inputs: Record<string, { hcl: Record<string, unknown> }> },
): void {
  const blocks = emulatedAwsProvider(moto);
  for (const [name, c] of Object.entries(cases)) {
    blocks.push(
      `module "compile_${name}" {`,
      `  source      = "../neuronx-compile"`,
      `  bucket_name = "${BUCKET}"`,
      `  ami_id      = "${AMI}"`,
    );
    for (const [k, v] of Object.entries(c)) blocks.push(`  ${k} = ${hclValue(v)}`);
    blocks.push(`}`);
    if (!endpoint) continue;
    blocks.push(
      `module "endpoint_${name}" {`,
      `  source                   = "../sagemaker-endpoint"`,
      `  endpoint_name            = "${endpoint.nameOf(name)}"`,
      ...COMPILE_OUTPUTS_FOR_ENDPOINT.map((o) => `  ${o} = module.compile_${name}.${o}`),
      ...Object.entries(endpoint.inputs[name]?.hcl ?? {}).map(([k, v]) => `  ${k} = ${hclValue(v)}`),
      `}`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "main.tf"), `${blocks.join("\n")}\n`);
}

/** Plans a root module against moto: the planned resources and the data sources read at plan time, by address. */
function plannedOf(root: string, moto: Moto): { resources: Record<string, any>; data: Record<string, any> } {
  const run = plan(root, moto);
  if (run.code !== 0) throw new Error(`terraform plan failed:\n${run.out}`);
  const show = JSON.parse(terraform(root, ["show", "-json", "plan"], moto.env).stdout);
  const modulesOf = (m: any): any[] => [m, ...(m.child_modules ?? []).flatMap(modulesOf)];
  return {
    resources: Object.fromEntries(show.resource_changes.map((r: any) => [r.address, r.change.after])),
    data: Object.fromEntries(
      modulesOf(show.prior_state?.values?.root_module ?? {})
        .flatMap((m) => m.resources ?? [])
        .filter((r: any) => r.mode === "data")
        .map((r: any) => [r.address, r.values]),
    ),
  };
}

function plan(root: string, moto: Moto) {
  expect(terraform(root, ["init", "-backend=false", "-input=false", "-no-color"], moto.env).code).toBe(0);
  return terraform(root, ["plan", "-input=false", "-no-color", "-out=plan"], moto.env);
}

/** The endpoint configuration's fields sized from the model, compared on both sides. */
const SIZED_VARIANT_FIELDS = [
  "instance_type",
  "volume_size_in_gb",
  "model_data_download_timeout_in_seconds",
  "container_startup_health_check_timeout_in_seconds",
  "inference_ami_version",
];

/** The endpoint name of a case, the same on both sides (it names the endpoint's code folder). */
const endpointNameOf = (name: string) => `parity-${name.replace(/_/g, "-")}`;

/** The construct side: NeuronxCompile and the endpoint with the case's inputs. */
function constructs(c: Case, name = "rejected") {
  const { json } = synth((stack) => {
    const compile = new NeuronxCompile(stack, "Compile", {
      model: Model.fromHuggingFace(c.model_id, { parameters: Parameters.billion(c.parameters_billion), revision: c.revision }),
      compileOptions: {
        nPositions: c.n_positions ?? 4096,
        batchSize: c.batch_size,
        amp: c.amp,
        quantDtype: c.quant_dtype && QuantDtype.S8,
        tpDegree: c.tp_degree,
      },
      bucket: BUCKET,
      amiId: AMI,
      instanceType: c.instance_type,
      servingInstanceType: c.serving_instance_type,
      huggingFaceTokenSecretArn: c.hugging_face_token_secret_arn,
      waiter: c.waiter === "cloudformation" ? CompileWaiter.cloudFormation() : undefined,
      spot: c.spot,
    });
    new TransformersNeuronxSageMakerRealtimeInferenceEndpoint(stack, "Endpoint", {
      modelData: TransformersNeuronxSageMakerInferenceModelData.fromNeuronxCompile(compile),
      endpointName: endpointNameOf(name),
      ...ENDPOINT_INPUTS[name]?.ts,
    });
  });
  return json;
}

const unescapeTemplate = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

/** The user data's export lines and body. */
function userDataParts(script: string) {
  return { exports: script.split("\n").filter((l) => l.startsWith("export ")), body: script.slice(script.indexOf("\n\n") + 2) };
}

/** Export lines compared by name where the construct's value is a Terraform expression (region, image). */
function comparableExports(hcl: string[], ts: string[]): [string[], string[]] {
  const name = (line: string) => line.split("=")[0];
  return [hcl.map((line, i) => (ts[i]?.includes("${") ? name(line) : line)), ts.map((line) => (line.includes("${") ? name(line) : line))];
}

describe("the modules and the constructs agree", () => {
  let moto: Moto;
  let planned: Record<string, any>;
  let rejection: string;

  beforeAll(async () => {
    moto = await startMoto();
    const modules = copyModules();
    // The cloudformation waiter reads <prefix>_SUCCESS at plan time: its bucket exists (moto takes an unsigned S3 call).
    expect((await fetch(`${moto.url}/${BUCKET}`, { method: "PUT" })).ok).toBe(true);
    const parity = path.join(modules, "parity");
    rootModule(parity, moto, { ...CASES, [CFN_CASE]: CFN_INPUTS }, { nameOf: endpointNameOf, inputs: ENDPOINT_INPUTS });
    planned = plannedOf(parity, moto).resources;

    const reject = path.join(modules, "reject");
    rootModule(reject, moto, Object.fromEntries(Object.entries(REJECTED).map(([k, [c]]) => [k, c])));
    const failed = plan(reject, moto);
    expect(failed.code).not.toBe(0);
    rejection = failed.out.replace(/\s+/g, " ");
  });

  afterAll(async () => moto?.stop());

  describe.each(Object.entries(CASES))("%s", (name, c) => {
    const json = constructs(c, name);
    const launchTemplate = () => planned[`module.compile_${name}.aws_launch_template.this`];

    test("the same compile instance type and root volume", () => {
      const ts = only(json, "aws_launch_template");
      expect(launchTemplate().instance_type).toBe(ts.instance_type);
      expect(launchTemplate().block_device_mappings[0].ebs[0].volume_size).toBe(ts.block_device_mappings[0].ebs.volume_size);
    });

    test("the same cache key, instance tags (bucket and prefix included) and destroy-time check", () => {
      const waiter = only(json, "null_resource");
      expect(planned[`module.compile_${name}.null_resource.waiter[0]`].triggers.prefix).toBe(waiter.triggers.prefix);
      const tags = (lt: any) => Object.fromEntries(lt.tag_specifications.map((t: any) => [t.resource_type, t.tags]));
      expect(tags(launchTemplate())).toEqual(tags(only(json, "aws_launch_template")));
      const onDestroy = planned[`module.compile_${name}.terraform_data.on_destroy[0]`].input;
      const tsOnDestroy = only(json, "terraform_data").input;
      for (const key of ["bucket", "prefix", "bucket_created", "bucket_force_destroy"]) {
        expect([key, onDestroy[key]]).toEqual([key, tsOnDestroy[key]]);
      }
    });

    test("the same user data: exports in the same order, the same body", () => {
      const hcl = userDataParts(Buffer.from(launchTemplate().user_data, "base64").toString("utf8"));
      const ts = userDataParts(json.locals?.compile_user_data);
      const [hclExports, tsExports] = comparableExports(hcl.exports, ts.exports);
      expect(hclExports).toEqual(tsExports);
      expect(hcl.exports.length).toBeGreaterThan(15);
      expect(hcl.body).toBe(unescapeTemplate(ts.body));
    });

    test("the same endpoint: instance type, TP degree, volume, timeouts and container environment", () => {
      const variant = planned[`module.endpoint_${name}.aws_sagemaker_endpoint_configuration.this`].production_variants[0];
      const tsVariant = only(json, "aws_sagemaker_endpoint_configuration").production_variants[0];
      for (const key of SIZED_VARIANT_FIELDS) {
        expect([key, variant[key]]).toEqual([key, tsVariant[key]]);
      }
      const environment = planned[`module.endpoint_${name}.aws_sagemaker_model.this`].primary_container[0].environment;
      expect(environment).toEqual(only(json, "aws_sagemaker_model").primary_container.environment);
      expect(environment.NEURONX_TP_DEGREE).toMatch(/^\d+$/);
    });

    test("the same alarms and deployment_config", () => {
      // The scale-from-zero alarm is compared with the scaling, below.
      const alarms = Object.entries(json.resource.aws_cloudwatch_metric_alarm ?? {})
        .filter(([k]) => !k.endsWith("_backlog_without_capacity"))
        .map(([, a]) => a) as any[];
      const fields = [
        "alarm_name",
        "metric_name",
        "dimensions",
        "statistic",
        "extended_statistic",
        "threshold",
        "period",
        "evaluation_periods",
        "datapoints_to_alarm",
        "comparison_operator",
        "treat_missing_data",
        "alarm_actions",
        "ok_actions",
      ];
      // A created topic's ARN is unknown in the plan (null in its after), a reference in the synthesized JSON.
      const known = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === "string" && x.startsWith("${")) ? null : v);
      const pick = (a: any) => Object.fromEntries(fields.map((f) => [f, known(a[f]) ?? null]));
      const byName = (a: any, b: any) => String(a.alarm_name).localeCompare(String(b.alarm_name));
      const hclAlarms = ["errors", "model_latency", "memory", "disk"]
        .map((n) => planned[`module.endpoint_${name}.aws_cloudwatch_metric_alarm.this["${n}"]`])
        .filter(Boolean);
      expect(hclAlarms.map(pick).sort(byName)).toEqual(alarms.map(pick).sort(byName));
      // The construct names its alarms by reference; the plan knows their names.
      const names = Object.fromEntries(
        Object.entries(json.resource.aws_cloudwatch_metric_alarm ?? {}).map(([k, a]: [string, any]) => [
          `\${aws_cloudwatch_metric_alarm.${k}.alarm_name}`,
          a.alarm_name,
        ]),
      );
      const ts = JSON.parse(JSON.stringify(only(json, "aws_sagemaker_endpoint").deployment_config ?? null), (_k, v) =>
        typeof v === "string" && v in names ? names[v] : v,
      );
      expect(blocks(planned[`module.endpoint_${name}.aws_sagemaker_endpoint.this`].deployment_config)).toEqual(blocks(ts));
      if (ENDPOINT_INPUTS[name]?.hcl.deployment) expect(ts).not.toBeNull();
    });

    test("the same async_inference_config, created bucket and key, and scale to zero", () => {
      const prefix = `module.endpoint_${name}.`;
      const hclConfig = planned[`${prefix}aws_sagemaker_endpoint_configuration.this`].async_inference_config;
      const tsConfig = only(json, "aws_sagemaker_endpoint_configuration").async_inference_config;
      const async = ENDPOINT_INPUTS[name]?.ts.asyncInference;
      if (!async) {
        expect([blocks(hclConfig), tsConfig]).toEqual([undefined, undefined]);
        return;
      }
      if (async.inputPath && async.outputPath && async.failurePath) {
        expect(blocks(hclConfig)).toEqual(blocks(tsConfig));
      } else {
        // Created locations and key are unknown in the plan, references in the JSON.
        expect(hclConfig[0].output_config).toHaveLength(1);
        expect(tsConfig.output_config).toMatchObject({
          s3_output_path: "s3://${aws_s3_bucket.endpoint_async.bucket}/async-outputs/",
          s3_failure_path: "s3://${aws_s3_bucket.endpoint_async.bucket}/async-failures/",
          kms_key_id: "${aws_kms_key.endpoint_async.arn}",
        });
      }
      const created = (types: string[]) =>
        types.filter((t) => Object.keys(planned).some((a) => a.startsWith(`${prefix}${t}.async`))).sort();
      const tsCreated = [
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_server_side_encryption_configuration",
      ].filter((t) => Object.keys(json.resource[t] ?? {}).some((k) => k.endsWith("_async")));
      expect(
        created(["aws_kms_key", "aws_s3_bucket", "aws_s3_bucket_policy", "aws_s3_bucket_server_side_encryption_configuration"]),
      ).toEqual(tsCreated);
      if (tsCreated.length > 0) {
        const sse = planned[`${prefix}aws_s3_bucket_server_side_encryption_configuration.async[0]`];
        expect(sse.rule[0].apply_server_side_encryption_by_default[0].sse_algorithm).toBe("aws:kms");
        expect(sse.rule[0].bucket_key_enabled).toBe(true);
        expect(planned[`${prefix}aws_s3_bucket.async[0]`].bucket_prefix).toBe(json.resource.aws_s3_bucket.endpoint_async.bucket_prefix);
      }
      if (!async.scaleToZero) {
        expect(planned[`${prefix}aws_appautoscaling_target.this[0]`]).toBeUndefined();
        return;
      }
      // The provider plans its defaults (disable_scale_in false, no upper bound ""); the construct leaves them out.
      const withoutDefaults = (v: unknown) =>
        JSON.parse(JSON.stringify(v ?? null), (k, x) =>
          (k === "disable_scale_in" && x === false) || (k === "metric_interval_upper_bound" && x === "") ? undefined : x,
        );
      const pick = (o: any, fields: string[]) => Object.fromEntries(fields.map((f) => [f, blocks(withoutDefaults(o[f])) ?? null]));
      const target = ["min_capacity", "max_capacity", "scalable_dimension", "service_namespace"];
      expect(pick(planned[`${prefix}aws_appautoscaling_target.this[0]`], target)).toEqual(
        pick(only(json, "aws_appautoscaling_target"), target),
      );
      const policy = ["name", "policy_type", "target_tracking_scaling_policy_configuration", "step_scaling_policy_configuration"];
      const tsPolicies = json.resource.aws_appautoscaling_policy;
      expect(pick(planned[`${prefix}aws_appautoscaling_policy.backlog[0]`], policy)).toEqual(pick(tsPolicies.endpoint_backlog, policy));
      expect(pick(planned[`${prefix}aws_appautoscaling_policy.scale_from_zero[0]`], policy)).toEqual(
        pick(tsPolicies.endpoint_scale_from_zero, policy),
      );
      const alarm = [
        "alarm_name",
        "alarm_description",
        "namespace",
        "metric_name",
        "dimensions",
        "statistic",
        "period",
        "evaluation_periods",
        "datapoints_to_alarm",
        "threshold",
        "comparison_operator",
        "treat_missing_data",
      ];
      expect(pick(planned[`${prefix}aws_cloudwatch_metric_alarm.backlog_without_capacity[0]`], alarm)).toEqual(
        pick(json.resource.aws_cloudwatch_metric_alarm.endpoint_backlog_without_capacity, alarm),
      );
    });

    test("the same alarm topic and dashboard", () => {
      const resources = (prefix: string) =>
        Object.keys(planned)
          .filter((a) => a.startsWith(prefix))
          .map((a) => a.slice(prefix.length).replace(/\[0\]$/, ""))
          .filter((a) => /^aws_(sns_topic|kms_key|cloudwatch_dashboard)\./.test(a) && !/^aws_kms_key\.async/.test(a))
          .map((a) => a.split(".")[0])
          .sort();
      const tsTypes = ["aws_sns_topic", "aws_kms_key", "aws_cloudwatch_dashboard"]
        .filter((t) => Object.keys(json.resource[t] ?? {}).some((k) => !k.endsWith("_async")))
        .sort();
      expect(resources(`module.endpoint_${name}.`)).toEqual(tsTypes);
      const topic = planned[`module.endpoint_${name}.aws_sns_topic.alarms[0]`];
      if (topic) expect(topic.name).toBe(only(json, "aws_sns_topic").name);
      const dashboard = planned[`module.endpoint_${name}.aws_cloudwatch_dashboard.this[0]`];
      if (dashboard) {
        const tsBody = only(json, "aws_cloudwatch_dashboard").dashboard_body.replace(
          /\$\{data\.aws_region\.current\.region\}/g,
          "us-east-1",
        );
        expect(JSON.parse(dashboard.dashboard_body)).toEqual(JSON.parse(tsBody));
      }
    });
  });

  describe("the cloudformation waiter", () => {
    const json = constructs(CFN_INPUTS, CFN_CASE);
    const stack = () => planned[`module.compile_${CFN_CASE}.aws_cloudformation_stack.waiter[0]`];

    test("the same stack: template, parameters, timeouts; nothing of the local-exec waiter", () => {
      const ts = only(json, "aws_cloudformation_stack");
      expect(JSON.parse(stack().template_body)).toEqual(JSON.parse(ts.template_body));
      // The parameters are unknown at plan (the launch template's id is): the template and settings are compared.
      expect([stack().timeout_in_minutes, stack().on_failure, stack().timeouts.create]).toEqual([
        ts.timeout_in_minutes,
        ts.on_failure,
        ts.timeouts.create,
      ]);
      const addresses = Object.keys(planned).filter((a) => a.startsWith(`module.compile_${CFN_CASE}.`));
      expect(addresses.filter((a) => /null_resource|on_destroy/.test(a))).toEqual([]);
      expect(json.resource.null_resource).toBeUndefined();
    });

    test("the same signal policy on the compile role", () => {
      const policy = planned[`module.compile_${CFN_CASE}.aws_iam_role_policy.signal[0]`];
      expect(policy.name_prefix).toBe(json.resource.aws_iam_role_policy.compile_signal.name_prefix);
    });
  });

  test.each(Object.entries(REJECTED))("%s: both refuse it, before anything is created", (_name, [c, hclMessage, tsMessage]) => {
    expect(rejection).toMatch(hclMessage);
    expect((thrown(() => constructs(c)) as Error | undefined)?.message).toMatch(tsMessage);
  });

  test("the example root module's cost outputs are the example stacks' estimates", () => {
    const root = path.join(copyModules(), "examples", "compile-and-serve");
    const env = moto.env;
    expect(terraform(root, ["init", "-backend=false", "-input=false", "-no-color"], env).code).toBe(0);
    const vars = { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", ami_id: AMI, aws_endpoint_url: moto.url, instance_count: "2" };
    const run = terraform(
      root,
      ["plan", "-input=false", "-no-color", "-out=plan", ...Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`])],
      env,
    );
    if (run.code !== 0) throw new Error(`terraform plan failed:\n${run.out}`);
    const outputs = JSON.parse(terraform(root, ["show", "-json", "plan"], env).stdout).planned_values.outputs;
    const hcl = Object.fromEntries(
      Object.entries(outputs)
        .filter(([k]) => /cost|minutes/.test(k))
        .map(([k, v]: [string, any]) => [k, v.value]),
    );
    const app = Testing.app();
    const config = loadConfig(app, { NEURONX_MODEL_ID: vars.model_id, NEURONX_INSTANCE_COUNT: "2" });
    const compileStack = new CompileStack(app, "compile", config);
    const endpointStack = new EndpointStack(app, "endpoint", config, compileStack.compile);
    const ts = Object.fromEntries(
      [compileStack, endpointStack]
        .flatMap((stack) => Object.entries(JSON.parse(Testing.synth(stack)).output))
        .filter(([k]) => /cost|minutes/.test(k))
        .map(([k, v]: [string, any]) => [k, v.value]),
    );
    expect(Object.keys(ts)).toHaveLength(5);
    expect(hcl).toEqual(ts);
  });

  test("neither side prints a token passed where its secret's ARN belongs", () => {
    expect(rejection).not.toContain(TOKEN);
    expect((thrown(() => constructs(REJECTED.token_instead_of_its_arn[0])) as Error).message).not.toContain(TOKEN);
  });
});

/** The optimum-neuron backend: one set of inputs in the module's terms (backend = "optimum-neuron"). */
interface OptimumCase {
  model_id: string;
  parameters_billion: number;
  n_positions?: number;
  batch_size?: number;
  amp?: "bf16" | "f16" | "f32";
  tp_degree?: number;
  quant_dtype?: "s8";
  opt_level?: 1 | 2 | 3;
  instance_type?: string;
  serving_instance_type?: string;
  optimum_neuron?: { compile_host?: OptimumNeuronCompileHost; private_cache_repo?: string };
}

const OPTIMUM_CASES: Record<string, OptimumCase> = {
  tiny: { model_id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", parameters_billion: 1.1, n_positions: 2048 },
  llama8b: { model_id: "meta-llama/Meta-Llama-3-8B-Instruct", parameters_billion: 8, batch_size: 8, amp: "f16" },
  llama70b_cpu: {
    model_id: "meta-llama/Meta-Llama-3-70B-Instruct",
    parameters_billion: 70,
    optimum_neuron: { compile_host: "cpu", private_cache_repo: "my-org/neuron-cache" },
  },
  explicit: {
    model_id: "meta-llama/Meta-Llama-3-8B-Instruct",
    parameters_billion: 8,
    tp_degree: 8,
    instance_type: "inf2.48xlarge",
    serving_instance_type: "inf2.24xlarge",
  },
};

/** Inputs both sides refuse for this backend, with a word of each message. */
const OPTIMUM_REJECTED: Record<string, [OptimumCase, RegExp, RegExp]> = {
  quantized: [
    { model_id: "meta-llama/Meta-Llama-3-8B-Instruct", parameters_billion: 8, quant_dtype: "s8" },
    /The quant_dtype is not an option of the optimum-neuron backend/,
    /exportOptions.quantDtype is not an optimum-neuron export option/,
  ],
  opt_level: [
    { model_id: "meta-llama/Meta-Llama-3-8B-Instruct", parameters_billion: 8, opt_level: 3 },
    /The opt_level is not an option of the optimum-neuron backend/,
    /exportOptions.optLevel is not an optimum-neuron export option/,
  ],
  unexported_family: [
    { model_id: "mistralai/Mistral-7B-Instruct-v0.2", parameters_billion: 7.2 },
    /names a model family that optimum-neuron 0\.4\.5 cannot export/,
    /mistral model, which optimum-neuron 0\.4\.5 cannot export/,
  ],
  cpu_host_too_small: [
    {
      model_id: "meta-llama/Meta-Llama-3-8B-Instruct",
      parameters_billion: 8,
      instance_type: "r7i.xlarge",
      optimum_neuron: { compile_host: "cpu" },
    },
    /The instance_type r7i\.xlarge has 32 GiB of memory, but exporting/,
    /instanceType r7i\.xlarge has 32 GiB of memory, but exporting/,
  ],
  inf2_type_for_a_cpu_host: [
    {
      model_id: "meta-llama/Meta-Llama-3-8B-Instruct",
      parameters_billion: 8,
      instance_type: "inf2.8xlarge",
      optimum_neuron: { compile_host: "cpu" },
    },
    /The instance_type must be one of r7i\.xlarge.* with optimum_neuron\.compile_host = "cpu"/,
    /instanceType must be one of r7i\.xlarge.* with compileHost "cpu"/,
  ],
};

const endpointNameOfOptimum = (name: string) => `parity-optimum-${name.replace(/_/g, "-")}`;

/** The cases in the module's terms: the backend, and the optimum-neuron settings. */
const optimumInputs = (cases: Record<string, OptimumCase>) =>
  Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, { backend: "optimum-neuron", ...c }]));

/** The construct side: OptimumNeuronCompile and its endpoint with the case's inputs. */
function optimumConstructs(c: OptimumCase, name = "rejected") {
  const { json } = synth((stack) => {
    const compile = new OptimumNeuronCompile(stack, "Compile", {
      model: Model.fromHuggingFace(c.model_id, { parameters: Parameters.billion(c.parameters_billion) }),
      exportOptions: {
        sequenceLength: c.n_positions,
        batchSize: c.batch_size,
        dtype: c.amp,
        tensorParallelSize: c.tp_degree,
        ...(c.quant_dtype ? { quantDtype: QuantDtype.S8 } : {}),
        ...(c.opt_level ? { optLevel: c.opt_level } : {}),
      } as never,
      bucket: BUCKET,
      amiId: AMI,
      instanceType: c.instance_type,
      servingInstanceType: c.serving_instance_type,
      compileHost: c.optimum_neuron?.compile_host,
      privateCacheRepo: c.optimum_neuron?.private_cache_repo,
    });
    new OptimumNeuronSageMakerRealtimeInferenceEndpoint(stack, "Endpoint", {
      modelData: OptimumNeuronModelData.fromCompile(compile),
      endpointName: endpointNameOfOptimum(name),
    });
  });
  return json;
}

/** An IAM policy document's statements by sid, the construct's references to region, partition and account resolved as moto's. */
function statementsBySid(statements: any[]): Record<string, unknown> {
  const resolved = JSON.parse(
    JSON.stringify(statements)
      .replace(/\$\{data\.aws_partition\.[a-z_]+\.partition\}/g, "aws")
      .replace(/\$\{data\.aws_region\.[a-z_]+\.(region|name)\}/g, "us-east-1")
      .replace(/\$\{data\.aws_caller_identity\.[a-z_]+\.account_id\}/g, "123456789012")
      // The DLC's registry account of the region (us-east-1), a lookup in the construct's locals.
      .replace(/\$\{lookup\(local\.neuronx_dlc_registry_accounts,[^}]*\)\}/g, "763104351884"),
  );
  return Object.fromEntries(
    resolved.map((st: any) => {
      const b = blocks(st) as any;
      const sorted = (v: unknown) => (Array.isArray(v) ? [...v].sort() : v);
      return [st.sid, { ...b, actions: sorted(b.actions), resources: sorted(b.resources), sid: undefined, effect: b.effect ?? "Allow" }];
    }),
  );
}

describe('the modules with backend = "optimum-neuron" and the optimum-neuron constructs agree', () => {
  let moto: Moto;
  let planned: Record<string, any>;
  let data: Record<string, any>;
  let rejection: string;

  beforeAll(async () => {
    moto = await startMoto();
    const modules = copyModules();
    const parity = path.join(modules, "optimum-parity");
    rootModule(parity, moto, optimumInputs(OPTIMUM_CASES), { nameOf: endpointNameOfOptimum, inputs: {} });
    ({ resources: planned, data } = plannedOf(parity, moto));

    const reject = path.join(modules, "optimum-reject");
    rootModule(reject, moto, optimumInputs(Object.fromEntries(Object.entries(OPTIMUM_REJECTED).map(([k, [c]]) => [k, c]))));
    const failed = plan(reject, moto);
    expect(failed.code).not.toBe(0);
    rejection = failed.out.replace(/\s+/g, " ");
  });

  afterAll(async () => moto?.stop());

  describe.each(Object.entries(OPTIMUM_CASES))("%s", (name, c) => {
    const json = optimumConstructs(c, name);
    const launchTemplate = () => planned[`module.compile_${name}.aws_launch_template.this`];

    test("the same compile instance type, root volume, cache key and instance tags", () => {
      const ts = only(json, "aws_launch_template");
      expect(launchTemplate().instance_type).toBe(ts.instance_type);
      expect(launchTemplate().block_device_mappings[0].ebs[0].volume_size).toBe(ts.block_device_mappings[0].ebs.volume_size);
      expect(planned[`module.compile_${name}.null_resource.waiter[0]`].triggers.prefix).toBe(only(json, "null_resource").triggers.prefix);
      expect(only(json, "null_resource").triggers.prefix).toMatch(
        /\/optimum-neuron-0\.4\.5-sdk2\.26\.1\/tp\d+-sl\d+-bs\d+-(bf16|f16|f32)\/$/,
      );
      const tags = (lt: any) => Object.fromEntries(lt.tag_specifications.map((t: any) => [t.resource_type, t.tags]));
      expect(tags(launchTemplate())).toEqual(tags(ts));
    });

    test("the same user data: the export settings, host and cache in the same exports, the same body", () => {
      const hcl = userDataParts(Buffer.from(launchTemplate().user_data, "base64").toString("utf8"));
      const ts = userDataParts(json.locals?.compile_user_data);
      const [hclExports, tsExports] = comparableExports(hcl.exports, ts.exports);
      expect(hclExports).toEqual(tsExports);
      expect(hcl.exports).toContain("export NEURONX_BACKEND='optimum-neuron'");
      expect(hcl.exports).toContain(`export NEURONX_COMPILE_DEVICES='${c.optimum_neuron?.compile_host === "cpu" ? "none" : "required"}'`);
      expect(hcl.body).toBe(unescapeTemplate(ts.body));
    });

    test("the same endpoint: instance type, volume, timeouts, model data and container environment", () => {
      const variant = planned[`module.endpoint_${name}.aws_sagemaker_endpoint_configuration.this`].production_variants[0];
      const tsVariant = only(json, "aws_sagemaker_endpoint_configuration").production_variants[0];
      for (const key of SIZED_VARIANT_FIELDS) {
        expect([key, variant[key]]).toEqual([key, tsVariant[key]]);
      }
      const container = planned[`module.endpoint_${name}.aws_sagemaker_model.this`].primary_container[0];
      const tsContainer = only(json, "aws_sagemaker_model").primary_container;
      expect(container.environment).toEqual(tsContainer.environment);
      expect(container.environment.SM_ON_MODEL).toBe("/opt/ml/model");
      expect(container.model_data_source[0].s3_data_source[0].s3_uri).toBe(
        `s3://${BUCKET}/${only(json, "null_resource").triggers.prefix}compiled/`,
      );
      expect(Object.keys(planned).filter((a) => a.startsWith(`module.endpoint_${name}.aws_s3_object.code`))).toEqual([]);
    });

    test.each([
      ["endpoint", "endpoint"],
      ["compile", "compile"],
    ])("the same IAM: the %s role's statements", (module, tsName) => {
      const doc = data[`module.${module}_${name}.data.aws_iam_policy_document.this`];
      expect(doc).toBeDefined();
      const tsDocs = json.data.aws_iam_policy_document as Record<string, any>;
      const hcl = statementsBySid(JSON.parse(doc.json).Statement.map(fromPolicyJson));
      expect(Object.keys(hcl).length).toBeGreaterThan(3);
      expect(hcl).toEqual(statementsBySid(tsDocs[tsName].statement));
    });
    test("the same network isolation and image", () => {
      const model = planned[`module.endpoint_${name}.aws_sagemaker_model.this`];
      expect(model.enable_network_isolation).toBe(only(json, "aws_sagemaker_model").enable_network_isolation);
      expect(model.primary_container[0].image).toBe(
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-vllm-inference-neuronx:0.11.0-optimum0.4.5-neuronx-py310-sdk2.26.1-ubuntu22.04",
      );
    });
  });

  test.each(Object.entries(OPTIMUM_REJECTED))("%s: both refuse it, before anything is created", (_name, [c, hclMessage, tsMessage]) => {
    expect(rejection).toMatch(hclMessage);
    expect((thrown(() => optimumConstructs(c)) as Error | undefined)?.message).toMatch(tsMessage);
  });
});

/** A statement of a policy JSON in the policy document's terms (sid, effect, actions, resources, condition). */
function fromPolicyJson(st: any): any {
  const list = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const condition = Object.entries(st.Condition ?? {}).flatMap(([test, byVariable]) =>
    Object.entries(byVariable as Record<string, unknown>).map(([variable, values]) => ({ test, variable, values: list(values) })),
  );
  return {
    sid: st.Sid,
    effect: st.Effect,
    actions: list(st.Action),
    resources: list(st.Resource),
    ...(condition.length > 0 ? { condition } : {}),
  };
}

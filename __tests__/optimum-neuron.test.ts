// The optimum-neuron backend: OptimumNeuronCompile (the shared compile job with the optimum-neuron recipe),
// OptimumNeuronModelData and OptimumNeuronSageMakerRealtimeInferenceEndpoint, synthesized for three model sizes;
// the serving fixtures (helpers/optimum-fixtures.ts) that python/tests checks with the real optimum-neuron package.
import * as fs from "fs";
import * as path from "path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { CompileWaiter } from "../lib/compile-waiter";
import { ValidationError } from "../lib/errors";
import { Model, ModelArchitecture, Parameters } from "../lib/model";
import { NeuronxCompile } from "../lib/neuronx-compile";
import { CPU_COMPILE_HOSTS, OptimumNeuronCompile, OptimumNeuronCompileProps } from "../lib/optimum-neuron-compile";
import {
  OptimumNeuronModelData,
  OptimumNeuronSageMakerRealtimeInferenceEndpoint as Endpoint,
  OptimumNeuronSageMakerRealtimeInferenceEndpointProps as EndpointProps,
} from "../lib/optimum-neuron-endpoint";
import { OPTIMUM_NEURON_DLC, OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES, OptimumNeuronContainerImage } from "../lib/optimum-neuron-spec";
import { OPTIMUM_FIXTURE_DIR, OPTIMUM_FIXTURE_MODELS, renderFixture, synthOptimum, userDataExports } from "./helpers/optimum-fixtures";
import { Synthesized, only, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";
import { BENCH_MODELS, compileCostRows, formatCompileCostTable } from "../scripts/bench/compile-cost";

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
const LLAMA3_8B = () => Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct");
const LLAMA3_70B = () => Model.fromHuggingFace("meta-llama/Meta-Llama-3-70B-Instruct");
const any = (value: unknown) => value as never;

const userData = (json: Synthesized): string => json.locals?.compile_user_data;
const containerEnv = (json: Synthesized): Record<string, string> => only(json, "aws_sagemaker_model").primary_container.environment;

/** The problems of a synth that must fail. */
function problems(build: (stack: TerraformStack) => void): readonly string[] {
  const error = thrown(() => synth((stack) => build(stack as TerraformStack)));
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error.problems;
}
const compileProblems = (props: Partial<OptimumNeuronCompileProps>) =>
  problems((s) => new OptimumNeuronCompile(s, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 }, ...props }));
const endpointProblems = (props: Partial<EndpointProps>, compileProps: Partial<OptimumNeuronCompileProps> = {}) =>
  problems((s) => {
    const c = new OptimumNeuronCompile(s, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 }, ...compileProps });
    new Endpoint(s, "Endpoint", { modelData: OptimumNeuronModelData.fromCompile(c), ...props });
  });

describe("OptimumNeuronCompile and its endpoint, for three model sizes", () => {
  const sized = OPTIMUM_FIXTURE_MODELS.map((m) => ({ name: m.name, props: m.props(), ...synthOptimum(m.props()) }));

  test("size each model for inf2: TP degree, compile and serving instance types", () => {
    expect(sized.map((s) => [s.name, s.compile.tensorParallelSize, s.compile.compileInstanceType, s.compile.servingInstanceType])).toEqual([
      ["tinyllama-1.1b-chat", 2, "inf2.xlarge", "inf2.xlarge"],
      ["meta-llama-3-8b-instruct", 2, "inf2.8xlarge", "inf2.8xlarge"],
      ["meta-llama-3-70b-instruct", 24, "inf2.48xlarge", "inf2.48xlarge"],
    ]);
  });

  test.each(sized.map((s) => [s.name, s] as const))("%s: the compile's environment is the export options", (_name, s) => {
    const exports = userDataExports(userData(s.json));
    const options = { batchSize: 4, sequenceLength: 4096, dtype: "bf16", ...s.props.exportOptions };
    expect({
      backend: exports.NEURONX_BACKEND,
      model: exports.NEURONX_MODEL_ID,
      revision: exports.NEURONX_REVISION,
      batchSize: exports.NEURONX_BATCH_SIZE,
      sequenceLength: exports.NEURONX_N_POSITIONS,
      tensorParallelSize: exports.NEURONX_TP_DEGREE,
      dtype: exports.NEURONX_AMP,
      sdk: exports.NEURONX_SDK_VERSION,
      optimum: exports.NEURONX_OPTIMUM_NEURON_VERSION,
      target: exports.NEURONX_TARGET_INSTANCE_FAMILY,
      devices: exports.NEURONX_COMPILE_DEVICES,
      prefix: exports.NEURONX_PREFIX,
    }).toEqual({
      backend: "optimum-neuron",
      model: s.props.model.modelId,
      revision: "main",
      batchSize: String(options.batchSize),
      sequenceLength: String(options.sequenceLength),
      tensorParallelSize: String(s.compile.tensorParallelSize),
      dtype: options.dtype,
      sdk: OPTIMUM_NEURON_DLC.neuronSdkVersion,
      optimum: OPTIMUM_NEURON_DLC.optimumNeuronVersion,
      target: "inf2",
      devices: "required",
      prefix: `${s.props.model.modelId}/main/optimum-neuron-0.4.5-sdk2.26.1/tp${s.compile.tensorParallelSize}-sl${options.sequenceLength}-bs${options.batchSize}-bf16/`,
    });
    // transformers-neuronx's variables are not the export's.
    expect([exports.NEURONX_QUANT_DTYPE, exports.NEURONX_OPT_LEVEL, exports.NEURON_CC_FLAGS]).toEqual([undefined, undefined, undefined]);
  });

  test.each(sized.map((s) => [s.name, s] as const))("%s: the container's environment is written from the same settings", (_name, s) => {
    const env = containerEnv(s.json);
    const exports = userDataExports(userData(s.json));
    expect({
      model: env.SM_ON_MODEL,
      name: env.SM_ON_SERVED_MODEL_NAME,
      batchSize: env.SM_ON_BATCH_SIZE,
      sequenceLength: env.SM_ON_SEQUENCE_LENGTH,
      tensorParallelSize: env.SM_ON_TENSOR_PARALLEL_SIZE,
      offline: env.HF_HUB_OFFLINE,
    }).toEqual({
      model: "/opt/ml/model",
      name: s.props.model.modelId,
      batchSize: exports.NEURONX_BATCH_SIZE,
      sequenceLength: exports.NEURONX_N_POSITIONS,
      tensorParallelSize: exports.NEURONX_TP_DEGREE,
      offline: "1",
    });
    expect(env).toEqual(s.compile.settings.servingEnvironment);
    // Every export setting the container carries is the compile's own value.
    for (const [name, value] of Object.entries(env).filter(([n]) => n.startsWith("NEURONX_")))
      expect([name, value]).toEqual([name, exports[name]]);
  });

  test.each(sized.map((s) => [s.name, s] as const))(
    "%s: serves <prefix>compiled/ with the vLLM Neuron DLC on the serving type",
    (_name, s) => {
      const model = only(s.json, "aws_sagemaker_model");
      expect(model.primary_container.image).toMatch(
        /\/huggingface-vllm-inference-neuronx:0\.11\.0-optimum0\.4\.5-neuronx-py310-sdk2\.26\.1-ubuntu22\.04$/,
      );
      expect(model.primary_container.model_data_source.s3_data_source[0]).toEqual({
        compression_type: "None",
        s3_data_type: "S3Prefix",
        s3_uri: "s3://${null_resource.compile_waiter.triggers.bucket}/${null_resource.compile_waiter.triggers.prefix}compiled/",
      });
      expect(model.enable_network_isolation).toBe(true);
      expect(model.depends_on).toContain("null_resource.compile_waiter");
      const variant = only(s.json, "aws_sagemaker_endpoint_configuration").production_variants[0];
      expect([variant.instance_type, variant.inference_ami_version]).toEqual([
        `ml.${s.compile.servingInstanceType}`,
        "al2-ami-sagemaker-inference-neuron-2",
      ]);
      // The image's entry point serves: no inference code is uploaded for the endpoint.
      expect(Object.keys(s.json.resource.aws_s3_object ?? {}).filter((k) => k.startsWith("endpoint"))).toEqual([]);
    },
  );

  test("the serving fixtures equal the synthesized constructs (UPDATE_OPTIMUM_FIXTURES=1 rewrites them)", () => {
    const stale = "stale fixture: run `UPDATE_OPTIMUM_FIXTURES=1 npx jest __tests__/optimum-neuron.test.ts` if the change is intended";
    if (process.env.UPDATE_OPTIMUM_FIXTURES === "1") {
      fs.mkdirSync(OPTIMUM_FIXTURE_DIR, { recursive: true });
      for (const f of fs.readdirSync(OPTIMUM_FIXTURE_DIR)) fs.rmSync(path.join(OPTIMUM_FIXTURE_DIR, f));
      for (const s of sized)
        fs.writeFileSync(path.join(OPTIMUM_FIXTURE_DIR, `${s.name}.json`), `${JSON.stringify(renderFixture(s.json), null, 2)}\n`);
    }
    expect([stale, fs.readdirSync(OPTIMUM_FIXTURE_DIR).sort()]).toEqual([stale, sized.map((s) => `${s.name}.json`).sort()]);
    for (const s of sized) {
      const golden = fs.readFileSync(path.join(OPTIMUM_FIXTURE_DIR, `${s.name}.json`), "utf8");
      expect([stale, s.name, `${JSON.stringify(renderFixture(s.json), null, 2)}\n`]).toEqual([stale, s.name, golden]);
    }
  });
});

describe("OptimumNeuronCompile", () => {
  test("runs the compile job of NeuronxCompile: launch template, waiter, lease, roles; only the recipe differs", () => {
    const { json } = synth((s) => new OptimumNeuronCompile(s, "Compile", { model: LLAMA3_8B(), spot: true }));
    const { json: tnx } = synth((s) => new NeuronxCompile(s, "Compile", { model: LLAMA3_8B(), spot: true }));
    const kinds = (j: Synthesized) => Object.fromEntries(Object.entries(j.resource).map(([t, r]) => [t, Object.keys(r).sort()]));
    expect(kinds(json)).toEqual(kinds(tnx));
    expect(Object.keys(json.data).sort()).toEqual(Object.keys(tnx.data).sort());
    const waiter = json.resource.null_resource.compile_waiter;
    expect(waiter.triggers.prefix).toBe("meta-llama/Meta-Llama-3-8B-Instruct/main/optimum-neuron-0.4.5-sdk2.26.1/tp2-sl4096-bs4-bf16/");
    expect(waiter.triggers.prefix).not.toBe(tnx.resource.null_resource.compile_waiter.triggers.prefix);
    expect(waiter.provisioner[0]["local-exec"].environment.NEURONX_SPOT).toBe("true");
    expect(userData(json)).toContain("(cdktf-neuronx-patterns OptimumNeuronCompile)");
    expect(json.resource.aws_security_group.compile.description).toMatch(/^OptimumNeuronCompile instance: no ingress/);
  });

  test("takes the CloudFormation waiter", () => {
    const { json } = synth(
      (s) =>
        new OptimumNeuronCompile(s, "Compile", {
          model: TINY(),
          exportOptions: { sequenceLength: 2048 },
          waiter: CompileWaiter.cloudFormation(),
        }),
    );
    expect(Object.keys(json.resource.aws_cloudformation_stack ?? {})).toHaveLength(1);
  });

  test("a CPU compile host: the smallest r7i type whose memory holds the export, no Neuron devices", () => {
    const hosts = [TINY, LLAMA3_8B, LLAMA3_70B].map((m) => {
      const { json, compile } = synthOptimum({ model: m(), compileHost: "cpu", exportOptions: m === TINY ? { sequenceLength: 2048 } : {} });
      return [
        compile.compileInstanceType,
        only(json, "aws_launch_template").instance_type,
        userDataExports(userData(json)).NEURONX_COMPILE_DEVICES,
      ];
    });
    expect(hosts).toEqual([
      ["r7i.xlarge", "r7i.xlarge", "none"],
      ["r7i.2xlarge", "r7i.2xlarge", "none"],
      ["r7i.12xlarge", "r7i.12xlarge", "none"],
    ]);
    // The price advantage the docs state: for Llama-3-70B, r7i.12xlarge against inf2.48xlarge.
    expect(CPU_COMPILE_HOSTS.types.find((t) => t.name === "r7i.12xlarge")?.hourlyUsd).toBe(3.1752);
  });

  test("a private cache repo reaches the job's environment", () => {
    const { json } = synthOptimum({ model: TINY(), exportOptions: { sequenceLength: 2048 }, privateCacheRepo: "my-org/neuron-cache" });
    expect(userDataExports(userData(json)).NEURONX_OPTIMUM_CACHE_REPO).toBe("my-org/neuron-cache");
  });

  test("refuses models optimum-neuron 0.4.5 cannot export (Mistral, GPT-2), naming the model and what it exports", () => {
    expect(
      problems((s) => new OptimumNeuronCompile(s, "C", { model: Model.fromHuggingFace("mistralai/Mistral-7B-Instruct-v0.3") })),
    ).toEqual([
      `model mistralai/Mistral-7B-Instruct-v0.3 is a mistral model, which optimum-neuron 0.4.5 cannot export for text generation (it exports ${OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES.join(", ")}); use NeuronxCompile (transformers-neuronx) for it, or choose a model of those families`,
    ]);
    const gpt2 = problems(
      (s) =>
        new OptimumNeuronCompile(s, "C", {
          model: Model.fromHuggingFace("openai-community/gpt2", { parameters: Parameters.million(124) }),
        }),
    );
    expect(gpt2[0]).toMatch(/^model openai-community\/gpt2 is a gpt2 model, which optimum-neuron 0.4.5 cannot export/);
    // A stated architecture counts: a Llama fine-tune named otherwise is exported.
    const finetune = Model.fromHuggingFace("acme/support-bot-8b", { architecture: ModelArchitecture.LLAMA });
    expect(thrown(() => synthOptimum({ model: finetune }))).toBeUndefined();
  });

  test("refuses transformers-neuronx's options, naming what to use instead", () => {
    expect(compileProblems({ exportOptions: any({ quantDtype: "s8", optLevel: 3, nPositions: 2048, tpDegree: 2 }) })).toEqual([
      "exportOptions.quantDtype is not an optimum-neuron export option: optimum-neuron 0.4.5 has no weight quantization for this export; choose a larger inf2 type or a smaller model, or use NeuronxCompile with QuantDtype.S8",
      "exportOptions.optLevel is not an optimum-neuron export option: optimum-neuron chooses the Neuron compiler's optimization level itself; there is no such export option",
      "exportOptions.nPositions is not an optimum-neuron export option: use exportOptions.sequenceLength",
      "exportOptions.tpDegree is not an optimum-neuron export option: use exportOptions.tensorParallelSize",
    ]);
    expect(compileProblems({ exportOptions: any({ dtype: "fp8" }) })).toEqual([
      'exportOptions.dtype must be one of "bf16", "f16", "f32" (bfloat16, float16, float32), got "fp8"',
    ]);
  });

  test("refuses a model that does not fit, with sizing's message in this backend's prop names", () => {
    expect(problems((s) => new OptimumNeuronCompile(s, "C", { model: LLAMA3_8B(), exportOptions: { tensorParallelSize: 1 } }))[0]).toMatch(
      /^exportOptions\.tensorParallelSize 1 gives 16 GiB of NeuronCore memory, but meta-llama\/Meta-Llama-3-8B-Instruct \(8B parameters, bf16\) needs about \d+ GiB of NeuronCore memory \(weights 15 GiB, KV cache \d+ GiB at sequenceLength 4096 × batchSize 4, and 10% runtime margin\); set tensorParallelSize to 2 or more/,
    );
    const tooLarge = problems(
      (s) => new OptimumNeuronCompile(s, "C", { model: LLAMA3_70B(), exportOptions: { sequenceLength: 131072, batchSize: 64 } }),
    );
    expect(tooLarge[0]).toMatch(
      /too large for Inferentia2: .* lower exportOptions\.sequenceLength or batchSize, or choose a smaller model$/,
    );
    expect(tooLarge[0]).not.toMatch(/quantDtype/);
  });

  test("refuses compile hosts and instance types that do not go together", () => {
    expect(compileProblems({ compileHost: any("gpu") })).toEqual(['compileHost must be "inf2" or "cpu", got "gpu"']);
    expect(compileProblems({ instanceType: "r7i.2xlarge" })).toEqual([
      'instanceType must be one of inf2.xlarge, inf2.8xlarge, inf2.24xlarge, inf2.48xlarge, got "r7i.2xlarge"; for a CPU host, set compileHost "cpu"',
    ]);
    expect(compileProblems({ compileHost: "cpu", instanceType: "inf2.xlarge" })[0]).toMatch(
      /^instanceType must be one of r7i\.xlarge, .* with compileHost "cpu", got "inf2\.xlarge"; for an inf2 host, set compileHost "inf2"$/,
    );
    expect(
      problems((s) => new OptimumNeuronCompile(s, "C", { model: LLAMA3_70B(), compileHost: "cpu", instanceType: "r7i.4xlarge" })),
    ).toEqual([
      expect.stringMatching(
        /^instanceType r7i\.4xlarge has 128 GiB of memory, but exporting meta-llama\/Meta-Llama-3-70B-Instruct needs about \d+ GiB; set instanceType to r7i\.12xlarge or leave it unset$/,
      ),
    ]);
  });

  test("refuses an image of the other backend, and images of SDKs or optimum-neuron releases it was not written for", () => {
    expect(compileProblems({ containerImage: any({ neuronSdkVersion: "2.26.1" }) })[0]).toMatch(
      /^containerImage must be an OptimumNeuronContainerImage/,
    );
    const image = (sdk: string, optimum: string) =>
      thrown(() =>
        OptimumNeuronContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1", {
          neuronSdkVersion: sdk,
          optimumNeuronVersion: optimum,
        }),
      );
    expect(image("2.26.1", "0.4.5")).toBeUndefined();
    expect((image("2.25.0", "0.4.5") as ValidationError).problems[0]).toMatch(
      /^versions\.neuronSdkVersion must be a Neuron SDK release from 2\.26/,
    );
    expect((image("2.26.1", "0.3.0") as ValidationError).problems[0]).toMatch(
      /^versions\.optimumNeuronVersion must be an optimum-neuron 0\.4 release/,
    );
  });
});

describe("OptimumNeuronSageMakerRealtimeInferenceEndpoint", () => {
  test("refuses what the container would refuse at start-up", () => {
    // The serve command's batch size, sequence length and TP degree must equal the export's; vLLM's max_num_seqs and
    // max_model_len are set from them, and the dtype is read from the exported config.
    expect(
      endpointProblems({
        environment: {
          SM_ON_BATCH_SIZE: "8",
          SM_ON_MAX_MODEL_LEN: "8192",
          SM_ON_DTYPE: "float16",
          NEURONX_TP_DEGREE: "1",
          SM_ON_PORT: "9000",
          SM_ON_ALLOW_NON_CACHED_MODEL: "",
        },
      }),
    ).toEqual([
      "environment.SM_ON_BATCH_SIZE is set by the endpoint (from the export settings); remove it from environment",
      "environment.SM_ON_MAX_MODEL_LEN must not be set: vLLM's context length is the exported sequence length (exportOptions.sequenceLength), set by optimum-cli neuron serve",
      "environment.SM_ON_DTYPE must not be set: the dtype is the exported one (exportOptions.dtype), read from the exported config by optimum-cli neuron serve",
      "environment.NEURONX_TP_DEGREE is an export setting, set from the exported model so that export and serving agree (by the model and exportOptions); change the export instead",
      "environment.SM_ON_PORT must not be set: SageMaker sends requests to port 8080, which the entry point sets",
      "environment.SM_ON_ALLOW_NON_CACHED_MODEL must not be set: the endpoint serves the exported model; it never compiles at start-up",
    ]);
    // vLLM's worker refuses a TP degree above the host's NeuronCores.
    expect(
      problems((s) => {
        const c = new OptimumNeuronCompile(s, "C", { model: LLAMA3_70B() });
        new Endpoint(s, "E", { modelData: OptimumNeuronModelData.fromCompile(c), instanceType: "ml.inf2.24xlarge" });
      }),
    ).toEqual([
      "instanceType ml.inf2.24xlarge has 12 NeuronCores, fewer than the tensor parallel degree 24 the model was compiled for; use ml.inf2.48xlarge or larger",
    ]);
    // The compiled graphs load only in the runtime that compiled them.
    const other = OptimumNeuronContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1", {
      neuronSdkVersion: "2.27.0",
      optimumNeuronVersion: "0.4.5",
    });
    expect(endpointProblems({ containerImage: other })[0]).toMatch(
      /^containerImage carries the Neuron SDK 2\.27\.0 and optimum-neuron 0\.4\.5, but the model was exported with 2\.26\.1 and 0\.4\.5/,
    );
  });

  test("takes the endpoint core's props: KMS, VPC, data capture, autoscaling", () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { json } = synth((s) => {
      const c = new OptimumNeuronCompile(s, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 } });
      new Endpoint(s, "Endpoint", {
        modelData: OptimumNeuronModelData.fromCompile(c),
        kmsKeyArn: key,
        vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
        dataCapture: { destinationS3Uri: "s3://capture-bucket/endpoint" },
        autoScaling: { minCapacity: 1, maxCapacity: 3, targetInvocationsPerInstance: 10 },
      });
    });
    const config = only(json, "aws_sagemaker_endpoint_configuration");
    expect([config.kms_key_arn, config.data_capture_config.destination_s3_uri]).toEqual([key, "s3://capture-bucket/endpoint"]);
    expect(only(json, "aws_sagemaker_model").vpc_config.subnets).toEqual(["subnet-0123456789abcdef0"]);
    expect(only(json, "aws_appautoscaling_target").max_capacity).toBe(3);
    // The execution role reads the exported model only, not the rest of the prefix.
    const read = json.data.aws_iam_policy_document.endpoint.statement.find((st: any) => st.actions.includes("s3:GetObject"));
    expect(read.resources).toEqual([
      "${aws_s3_bucket.compile_artifacts.arn}/TinyLlama/TinyLlama-1.1B-Chat-v1.0/main/optimum-neuron-0.4.5-sdk2.26.1/tp2-sl2048-bs4-bf16/compiled/*",
    ]);
  });

  test("fromS3: a model exported elsewhere, sized from its options", () => {
    const { json } = synth((s) => {
      new Endpoint(s, "Endpoint", {
        modelData: OptimumNeuronModelData.fromS3({
          bucket: "shared-models",
          prefix: "llama3/8b/compiled/",
          model: LLAMA3_8B(),
          exportOptions: { tensorParallelSize: 2 },
        }),
      });
    });
    const model = only(json, "aws_sagemaker_model");
    expect(model.primary_container.model_data_source.s3_data_source[0].s3_uri).toBe("s3://shared-models/llama3/8b/compiled/");
    expect(model.primary_container.environment.SM_ON_TENSOR_PARALLEL_SIZE).toBe("2");
    expect(only(json, "aws_sagemaker_endpoint_configuration").production_variants[0].instance_type).toBe("ml.inf2.8xlarge");
    expect(
      (
        thrown(() =>
          OptimumNeuronModelData.fromS3({ bucket: "b-1", prefix: "p/", model: LLAMA3_8B(), exportOptions: any({}) }),
        ) as ValidationError
      ).problems,
    ).toEqual(["exportOptions.tensorParallelSize is required: the model was exported for one TP degree and must be served with it"]);
  });

  test("across stacks: fromCompile through generated outputs, and fromCompileOutputs through values the user reads", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(require("os").tmpdir(), "optimum-")) });
    const stack = (id: string) => {
      const s = new TerraformStack(app, id);
      new AwsProvider(s, "aws", { region: "us-east-1" });
      new NullProvider(s, "null");
      return s;
    };
    const compileStack = stack("compile");
    const c = new OptimumNeuronCompile(compileStack, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 } });
    new Endpoint(stack("serve"), "Endpoint", { modelData: OptimumNeuronModelData.fromCompile(c) });
    new Endpoint(stack("serve2"), "Endpoint", {
      modelData: OptimumNeuronModelData.fromCompileOutputs(c, {
        bucketName: "artifacts-bucket",
        bucketArn: "arn:aws:s3:::artifacts-bucket",
        compiledArtifactS3Url: `s3://artifacts-bucket/${c.artifactPrefix}`,
      }),
    });
    app.synth();
    const read = (id: string) => JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", id, "cdk.tf.json"), "utf8"));
    const uri = (j: any) =>
      (Object.values(j.resource.aws_sagemaker_model)[0] as any).primary_container.model_data_source.s3_data_source[0].s3_uri;
    expect(uri(read("serve"))).toMatch(
      /^s3:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-compile\.outputs\.[^}]+\}\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-compile\.outputs\.[^}]+prefix\}compiled\/$/,
    );
    expect(uri(read("serve2"))).toBe(`s3://artifacts-bucket/${c.artifactPrefix}compiled/`);
  });
});

describe("npm run bench's modelled compile of both backends", () => {
  const rows = compileCostRows();

  test("has each README model on each backend and host; Mistral refused by optimum-neuron 0.4.5 only", () => {
    expect(rows.map((r) => [r.model.split("/")[1], r.backend, r.refused === undefined])).toEqual(
      BENCH_MODELS.flatMap((m) => {
        const exportable = !m.id.startsWith("mistralai/");
        return [
          [m.id.split("/")[1], "transformers-neuronx", true],
          [m.id.split("/")[1], "optimum-neuron (inf2 host)", exportable],
          [m.id.split("/")[1], "optimum-neuron (CPU host)", exportable],
        ];
      }),
    );
  });

  test("costs what the price tables and the time model say: the CPU host for less, the same inf2 host for the same", () => {
    const of = (model: string, backend: string) => rows.find((r) => r.model === model && r.backend === backend)!;
    const big = "meta-llama/Meta-Llama-3-70B-Instruct";
    expect([of(big, "transformers-neuronx").usd, of(big, "optimum-neuron (inf2 host)").usd]).toEqual([31.59, 31.59]);
    expect([of(big, "optimum-neuron (CPU host)").instanceType, of(big, "optimum-neuron (CPU host)").usd]).toEqual(["r7i.12xlarge", 7.73]);
    expect(formatCompileCostTable(rows)).toMatch(/on-demand us-east-1 prices of \d{4}-\d{2}-\d{2} \(inf2\) and \d{4}-\d{2}-\d{2} \(r7i\)/);
  });
});

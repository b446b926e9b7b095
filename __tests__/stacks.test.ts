import * as path from "path";
import { Testing } from "cdktf";
import * as fs from "fs";
import { CompileStack } from "../stacks/compile-stack";
import { loadConfig } from "../stacks/config";
import { EndpointStack } from "../stacks/endpoint-stack";
import { buildExampleApp } from "../stacks/app";

function compileStack(env: Record<string, string> = {}) {
  const app = Testing.app();
  const stack = new CompileStack(app, "compile", loadConfig(app, env));
  return { stack, json: JSON.parse(Testing.synth(stack)) };
}

describe("CompileStack", () => {
  const { json } = compileStack();

  test("configures the AWS provider with the region and default tags", () => {
    expect(json.provider.aws[0]).toEqual({
      region: "us-east-1",
      default_tags: [{ tags: { Project: "cdktf-neuronx-patterns", Stack: "compile" } }],
    });
  });

  test("pins the providers the constructs were generated for", () => {
    expect(json.terraform.required_providers).toEqual({
      aws: { source: "aws", version: "6.25.0" },
      null: { source: "null", version: "3.2.4" },
    });
  });

  test("keeps state at the project root through a relative path", () => {
    const statePath: string = json.terraform.backend.local.path;
    expect(path.isAbsolute(statePath)).toBe(false);
    expect(statePath).toBe("../../../terraform.compile.tfstate");
  });

  test("outputs the artifacts, the instance types, the TP degree and the waiter's policy", () => {
    expect(Object.keys(json.output).sort()).toEqual([
      "artifact_bucket",
      "artifact_bucket_arn",
      "artifact_prefix",
      "compile_cost_usd_estimate",
      "compile_cost_usd_max_estimate",
      "compile_expected_minutes_estimate",
      "compile_instance_type",
      "compiled_artifact_s3_url",
      "serving_instance_type",
      "tp_degree",
      "waiter_policy_json",
    ]);
    expect(json.output.waiter_policy_json.value).toBe("${data.aws_iam_policy_document.compile_waiter.json}");
    expect(json.output.tp_degree.value).toBe(2);
    expect(json.output.compiled_artifact_s3_url.value).toMatch(/null_resource\.compile_waiter\.triggers/);
    for (const output of Object.values(json.output) as any[]) expect(output.description).toBeTruthy();
  });

  test("contains no machine-absolute path", () => {
    expect(JSON.stringify(json)).not.toContain(path.resolve(__dirname, ".."));
  });

  test("NEURONX_ARCHITECTURE states the family of a model whose id shows another one", () => {
    expect(() => compileStack({ NEURONX_MODEL_ID: "acme/qwen-data-llama-ft-7b" })).toThrow(/names the qwen2 \/ qwen3 architecture/);
    const { stack } = compileStack({ NEURONX_MODEL_ID: "acme/qwen-data-llama-ft-7b", NEURONX_ARCHITECTURE: "llama" });
    expect(stack).toBeDefined();
    expect(() => compileStack({ NEURONX_MODEL_ID: "acme/bot-7b", NEURONX_ARCHITECTURE: "qwen2" })).toThrow(
      /architecture must be a ModelArchitecture \(llama, code_llama, mistral, mixtral, gpt2, opt, bloom\), got "qwen2"/,
    );
  });

  test("takes the model and options from the environment", () => {
    const { stack } = compileStack({ NEURONX_MODEL_ID: "meta-llama/Meta-Llama-3-8B-Instruct", NEURONX_N_POSITIONS: "8192" });
    const other = JSON.parse(Testing.synth(stack));
    expect(other.output.artifact_prefix.value).toBe("meta-llama/Meta-Llama-3-8B-Instruct/main/neuronx-2.25.0/tp2-np8192-bs1-bf16-opt2/");
    expect(other.output.serving_instance_type.value).toBe("inf2.8xlarge");
  });

  test("fails at synth with the construct's message for an invalid model", () => {
    expect(() => compileStack({ NEURONX_MODEL_ID: "gpt2-xl" })).toThrow(/the model id does not say its size/);
  });
});

describe("EndpointStack", () => {
  const app = Testing.app();
  const config = loadConfig(app, {});
  const compile = new CompileStack(app, "compile", config);
  new EndpointStack(app, "endpoint", config, compile.compile);
  app.synth();
  const json = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "endpoint", "cdk.tf.json"), "utf8"));

  test("reads the compile stack's named outputs from its state", () => {
    expect(json.data.terraform_remote_state.compile).toMatchObject({
      backend: "local",
      config: { path: "../../../terraform.compile.tfstate" },
    });
    const model = json.resource.aws_sagemaker_model.realtime_inference;
    expect(model.primary_container.model_data_source.s3_data_source[0].s3_uri).toBe(
      "${data.terraform_remote_state.compile.outputs.compiled_artifact_s3_url}",
    );
    expect(JSON.stringify(json)).not.toContain("cross-stack");
  });

  test("the compile stack has no generated cross-stack outputs", () => {
    const compile = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "compile", "cdk.tf.json"), "utf8"));
    expect(Object.keys(compile.output).filter((name) => name.startsWith("cross-stack"))).toEqual([]);
  });

  test("serves on the instance type the model was sized for", () => {
    expect(json.resource.aws_sagemaker_endpoint_configuration.realtime_inference.production_variants[0].instance_type).toBe(
      "ml.inf2.xlarge",
    );
  });

  test("outputs the endpoint's name, ARN, instance type, invoke policy and estimated cost", () => {
    expect(Object.keys(json.output).sort()).toEqual([
      "endpoint_arn",
      "endpoint_cost_usd_per_hour_estimate",
      "endpoint_cost_usd_per_month_estimate",
      "endpoint_name",
      "instance_type",
      "invoke_policy_json",
    ]);
    expect(json.output.endpoint_name.value).toBe("endpoint-realtime-inference");
  });

  test("takes the endpoint name and instance count from the configuration", () => {
    const app2 = Testing.app();
    const config2 = loadConfig(app2, { NEURONX_ENDPOINT_NAME: "chat", NEURONX_INSTANCE_COUNT: "2" });
    const compile2 = new CompileStack(app2, "compile", config2);
    const stack = new EndpointStack(app2, "endpoint", config2, compile2.compile);
    expect(stack.endpoint.endpointName).toBe("chat");
    expect(
      JSON.parse(Testing.synth(stack)).resource.aws_sagemaker_endpoint_configuration.realtime_inference.production_variants[0]
        .initial_instance_count,
    ).toBe(2);
  });

  test("is asynchronous, and rolls changes out all at once with a bake, as the configuration says", () => {
    const app2 = Testing.app();
    const config2 = loadConfig(app2, {
      NEURONX_ASYNC_INFERENCE: "true",
      NEURONX_DEPLOYMENT_WAIT_SECONDS: "30",
      NEURONX_AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
    });
    const compile2 = new CompileStack(app2, "compile", config2);
    const json = JSON.parse(Testing.synth(new EndpointStack(app2, "endpoint", config2, compile2.compile)));
    expect(json.resource.aws_sagemaker_endpoint_configuration.realtime_inference.async_inference_config.output_config).toMatchObject({
      s3_output_path: "s3://${aws_s3_bucket.realtime_inference_async.bucket}/async-outputs/",
    });
    // Against an emulator there are no alarms, so nothing to roll back on.
    expect(json.resource.aws_sagemaker_endpoint.realtime_inference.deployment_config).toEqual({
      blue_green_update_policy: expect.objectContaining({
        traffic_routing_configuration: { type: "ALL_AT_ONCE", wait_interval_in_seconds: 30 },
      }),
    });
    expect(json.output.async_input_path.value).toBe("s3://${aws_s3_bucket.realtime_inference_async.bucket}/async-inputs/");
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(["async_input_path", "async_output_path", "cold_start_seconds"]));
  });
});

describe("the example app", () => {
  const synthApp = (env: Record<string, string>) => {
    const app = Testing.app();
    const stacks = buildExampleApp(app, loadConfig(app, env));
    app.synth();
    const read = (id: string) => JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", id, "cdk.tf.json"), "utf8"));
    return { ids: stacks.map((s) => s.node.id), read };
  };

  test("is a compile and an endpoint stack by default", () => {
    expect(synthApp({}).ids).toEqual(["compile", "endpoint"]);
  });

  test("the one-stack layout puts both in one stack, where the model waits for the waiter", () => {
    const { ids, read } = synthApp({ NEURONX_STACK_LAYOUT: "one-stack" });
    expect(ids).toEqual(["serving"]);
    const json = read("serving");
    expect(json.resource.aws_sagemaker_model.realtime_inference.depends_on).toContain("null_resource.compile_waiter");
    expect(json.data.terraform_remote_state).toBeUndefined();
    expect(json.terraform.backend.local.path).toBe("../../../terraform.serving.tfstate");
  });

  test("points every AWS call at an emulator when NEURONX_AWS_ENDPOINT_URL is set", () => {
    const provider = synthApp({ NEURONX_AWS_ENDPOINT_URL: "http://127.0.0.1:5000" }).read("compile").provider.aws[0];
    expect(provider.endpoints[0]).toMatchObject({
      s3: "http://127.0.0.1:5000",
      ec2: "http://127.0.0.1:5000",
      sagemaker: "http://127.0.0.1:5000",
    });
    expect(provider.s3_use_path_style).toBe(true);
  });

  test("without it, the provider has only the region and default tags", () => {
    expect(Object.keys(synthApp({}).read("compile").provider.aws[0]).sort()).toEqual(["default_tags", "region"]);
  });
});

describe("backends", () => {
  const synthBoth = (env: Record<string, string>) => {
    const app = Testing.app();
    buildExampleApp(app, loadConfig(app, env));
    app.synth();
    const read = (id: string) => JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", id, "cdk.tf.json"), "utf8"));
    return { compile: read("compile"), endpoint: read("endpoint") };
  };

  test("s3: a key per stack, encrypted, with S3's lock file, and the endpoint reads the compile key", () => {
    const { compile, endpoint } = synthBoth({ NEURONX_BACKEND: "s3", NEURONX_STATE_BUCKET: "team-state" });
    expect(compile.terraform.backend.s3).toEqual({
      bucket: "team-state",
      key: "cdktf-neuronx-patterns/compile.tfstate",
      region: "us-east-1",
      encrypt: true,
      use_lockfile: true,
    });
    expect(endpoint.terraform.backend.s3.key).toBe("cdktf-neuronx-patterns/endpoint.tfstate");
    expect(endpoint.data.terraform_remote_state.compile).toMatchObject({
      backend: "s3",
      config: { bucket: "team-state", key: "cdktf-neuronx-patterns/compile.tfstate", region: "us-east-1" },
    });
  });

  test("s3 pointed at an emulator (the rehearsal): the backend and the remote state both use its endpoint", () => {
    const url = "http://127.0.0.1:5000";
    const { compile, endpoint } = synthBoth({ NEURONX_BACKEND: "s3", NEURONX_STATE_BUCKET: "state", NEURONX_AWS_ENDPOINT_URL: url });
    const emulator = {
      endpoints: { s3: url, sts: url, iam: url },
      use_path_style: true,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
    };
    expect(compile.terraform.backend.s3).toMatchObject({ ...emulator, use_lockfile: true });
    expect(endpoint.data.terraform_remote_state.compile.config).toMatchObject(emulator);
  });

  test("cloud: a workspace per stack in the organization, no token in any file", () => {
    const { compile, endpoint } = synthBoth({
      NEURONX_BACKEND: "cloud",
      NEURONX_TFC_ORGANIZATION: "acme",
      NEURONX_TFC_WORKSPACE_PREFIX: "llm-",
    });
    expect(compile.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "llm-compile" } });
    expect(endpoint.terraform.cloud.workspaces.name).toBe("llm-endpoint");
    expect(endpoint.data.terraform_remote_state.compile).toMatchObject({
      backend: "remote",
      config: { organization: "acme", workspaces: { name: "llm-compile" } },
    });
    const keys = JSON.stringify([compile.terraform, endpoint.terraform, endpoint.data.terraform_remote_state]);
    expect(keys).not.toMatch(/"token"/);
  });

  test.each([
    [{ NEURONX_BACKEND: "s3" }, /NEURONX_STATE_BUCKET is required with NEURONX_BACKEND=s3/],
    [{ NEURONX_BACKEND: "cloud" }, /NEURONX_TFC_ORGANIZATION is required with NEURONX_BACKEND=cloud/],
    [{ NEURONX_BACKEND: "consul" }, /NEURONX_BACKEND must be "local", "s3" or "cloud", got "consul"/],
  ])("throws for %j", (env, message) => {
    expect(() => loadConfig(Testing.app(), env)).toThrow(message);
  });
});

import { Testing } from "cdktf";
import { CONFIG_SOURCES, EXAMPLE_DEFAULTS, loadConfig } from "../stacks/config";

const load = (env: Record<string, string> = {}, context: Record<string, unknown> = {}) => loadConfig(Testing.app({ context }), env);

describe("loadConfig", () => {
  test("defaults to a small chat model in us-east-1", () => {
    const config = load();
    expect(config.modelId).toBe(EXAMPLE_DEFAULTS.modelId);
    expect(config.region).toBe("us-east-1");
    expect(config.compileOptions.nPositions).toBe(2048);
    expect(config.spot).toBeUndefined();
  });

  test("reads every setting from its environment variable", () => {
    const config = load({
      NEURONX_REGION: "us-west-2",
      NEURONX_MODEL_ID: "meta-llama/Meta-Llama-3-8B-Instruct",
      NEURONX_REVISION: "abc123",
      NEURONX_PARAMETERS_BILLION: "8.03",
      NEURONX_TP_DEGREE: "2",
      NEURONX_N_POSITIONS: "4096",
      NEURONX_BATCH_SIZE: "2",
      NEURONX_AMP: "f16",
      NEURONX_QUANT_DTYPE: "S8",
      NEURONX_OPT_LEVEL: "3",
      NEURONX_SPOT: "true",
      NEURONX_BUCKET: "models",
      NEURONX_SUBNET_ID: "subnet-0123456789abcdef0",
      NEURONX_INSTANCE_TYPE: "inf2.8xlarge",
      NEURONX_SERVING_INSTANCE_TYPE: "inf2.8xlarge",
      NEURONX_AMI_ID: "ami-0123456789abcdef0",
      NEURONX_HF_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:us-west-2:123456789012:secret:hf-AbCdEf",
      NEURONX_DEADLINE_MINUTES: "240",
    });
    expect(config).toEqual({
      region: "us-west-2",
      modelId: "meta-llama/Meta-Llama-3-8B-Instruct",
      revision: "abc123",
      parametersBillion: 8.03,
      compileOptions: { tpDegree: 2, nPositions: 4096, batchSize: 2, amp: "f16", quantDtype: "s8", optLevel: 3 },
      spot: true,
      bucket: "models",
      subnetId: "subnet-0123456789abcdef0",
      instanceType: "inf2.8xlarge",
      servingInstanceType: "inf2.8xlarge",
      amiId: "ami-0123456789abcdef0",
      huggingFaceTokenSecretArn: "arn:aws:secretsmanager:us-west-2:123456789012:secret:hf-AbCdEf",
      deadlineMinutes: 240,
      layout: "two-stacks",
      backend: { type: "local" },
    });
  });

  test("reads cdktf context, and the environment wins over it", () => {
    expect(load({}, { modelId: "Qwen/Qwen2-0.5B", spot: true }).modelId).toBe("Qwen/Qwen2-0.5B");
    expect(load({}, { spot: true }).spot).toBe(true);
    expect(load({ NEURONX_MODEL_ID: "gpt2" }, { modelId: "Qwen/Qwen2-0.5B" }).modelId).toBe("gpt2");
  });

  test("every setting has an environment variable and a context key", () => {
    for (const source of Object.values(CONFIG_SOURCES)) {
      expect(source.env).toMatch(/^NEURONX_[A-Z_]+$/);
      expect(source.context).toMatch(/^[a-z][A-Za-z]+$/);
    }
  });

  test.each([
    [{ NEURONX_N_POSITIONS: "lots" }, /NEURONX_N_POSITIONS must be a whole number, got "lots"/],
    [{ NEURONX_TP_DEGREE: "2.5" }, /NEURONX_TP_DEGREE must be a whole number, got "2\.5"/],
    [{ NEURONX_PARAMETERS_BILLION: "seven" }, /NEURONX_PARAMETERS_BILLION must be a number, got "seven"/],
    [{ NEURONX_SPOT: "maybe" }, /NEURONX_SPOT must be true or false, got "maybe"/],
    [{ NEURONX_STACK_LAYOUT: "three" }, /NEURONX_STACK_LAYOUT must be "two-stacks" or "one-stack", got "three"/],
  ])("throws for %j, naming the variable", (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  test("names the context key when the value came from context", () => {
    expect(() => load({}, { batchSize: "two" })).toThrow(/context "batchSize" must be a whole number, got "two"/);
  });
});

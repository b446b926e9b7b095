import * as path from "path";
import { Testing } from "cdktf";
import { CompileStack } from "../stacks/compile-stack";
import { loadConfig } from "../stacks/config";

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

  test("outputs the artifacts, the instance types and the TP degree", () => {
    expect(Object.keys(json.output).sort()).toEqual([
      "artifact_bucket",
      "artifact_prefix",
      "compile_instance_type",
      "compiled_artifact_s3_url",
      "serving_instance_type",
      "tp_degree",
    ]);
    expect(json.output.tp_degree.value).toBe(2);
    expect(json.output.compiled_artifact_s3_url.value).toMatch(/null_resource\.compile_waiter\.triggers/);
    for (const output of Object.values(json.output) as any[]) expect(output.description).toBeTruthy();
  });

  test("contains no machine-absolute path", () => {
    expect(JSON.stringify(json)).not.toContain(path.resolve(__dirname, ".."));
  });

  test("takes the model and options from the environment", () => {
    const { stack } = compileStack({ NEURONX_MODEL_ID: "meta-llama/Meta-Llama-3-8B-Instruct", NEURONX_N_POSITIONS: "8192" });
    const other = JSON.parse(Testing.synth(stack));
    expect(other.output.artifact_prefix.value).toBe("meta-llama/Meta-Llama-3-8B-Instruct/main/neuronx-2.21.0/tp2-np8192-bs1-bf16-opt2/");
    expect(other.output.serving_instance_type.value).toBe("inf2.8xlarge");
  });

  test("fails at synth with the construct's message for an invalid model", () => {
    expect(() => compileStack({ NEURONX_MODEL_ID: "gpt2-xl" })).toThrow(/the model id does not say its size/);
  });
});

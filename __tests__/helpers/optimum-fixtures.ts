// The optimum-neuron serving fixtures (__tests__/golden/optimum/<name>.json, the format of
// /work/notes/optimum-contract.md "Serving fixture"): for each model size, what the synthesized user data exports to
// the compile job and what the synthesized SageMaker model gives the container. python/tests builds the exported
// neuron config from `compile_environment` with the real optimum-neuron package and checks `container_environment`
// against optimum-neuron's own serve-time rules. optimum-neuron.test.ts fails when a file drifts from the constructs;
// `UPDATE_OPTIMUM_FIXTURES=1 npx jest __tests__/optimum-neuron.test.ts` rewrites them.
import * as path from "path";
import { Model } from "../../lib/model";
import { OptimumNeuronCompile, OptimumNeuronCompileProps } from "../../lib/optimum-neuron-compile";
import { OptimumNeuronModelData, OptimumNeuronSageMakerRealtimeInferenceEndpoint } from "../../lib/optimum-neuron-endpoint";
import { OPTIMUM_MODEL_DIR } from "../../lib/optimum-neuron-spec";
import { Synthesized, only, synth } from "./synth";

/** Where the fixtures are. */
export const OPTIMUM_FIXTURE_DIR = path.join(__dirname, "..", "golden", "optimum");

/**
 * The user data's variables that are the job's plumbing, not the export: where the artifacts go, the instance, the
 * token's secret (the contract leaves these out), and the region, image, code location and lease timing (Terraform
 * references or content hashes that change with python/, not with the export).
 */
const PLUMBING = new Set([
  "NEURONX_BUCKET",
  "NEURONX_PREFIX",
  "NEURONX_INSTANCE_ID",
  "NEURONX_HF_TOKEN_SECRET_ARN",
  "NEURONX_REGION",
  "NEURONX_IMAGE",
  "NEURONX_REGISTRY",
  "NEURONX_CODE_PREFIX",
  "NEURONX_LEASE_CHECK_SECONDS",
  "NEURONX_ABANDON_AFTER_SECONDS",
  "NEURONX_DEADLINE_MINUTES",
]);

/** The model sizes of the fixtures, with the props each is compiled with. */
export const OPTIMUM_FIXTURE_MODELS: readonly { readonly name: string; readonly props: () => OptimumNeuronCompileProps }[] = [
  {
    // TinyLlama's max_position_embeddings is 2048: the default 4096 would fail the export.
    name: "tinyllama-1.1b-chat",
    props: () => ({ model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), exportOptions: { sequenceLength: 2048 } }),
  },
  { name: "meta-llama-3-8b-instruct", props: () => ({ model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct") }) },
  { name: "meta-llama-3-70b-instruct", props: () => ({ model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-70B-Instruct") }) },
];

/** The `export NAME='value'` lines of a user data script, unquoted (literal values only; references are left out). */
export function userDataExports(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of script.matchAll(/^export ([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    const value = match[2].replace(/'\\''/g, "'");
    if (!value.includes("${")) out[match[1]] = value;
  }
  return out;
}

/** Synthesizes a compile and its endpoint in one stack. */
export function synthOptimum(props: OptimumNeuronCompileProps): { json: Synthesized; text: string; compile: OptimumNeuronCompile } {
  let compile: OptimumNeuronCompile | undefined;
  const out = synth((stack) => {
    compile = new OptimumNeuronCompile(stack, "Compile", props);
    new OptimumNeuronSageMakerRealtimeInferenceEndpoint(stack, "Endpoint", { modelData: OptimumNeuronModelData.fromCompile(compile) });
  });
  return { ...out, compile: compile as OptimumNeuronCompile };
}

/** One fixture, from the synthesized Terraform. */
export function renderFixture(json: Synthesized): Record<string, unknown> {
  const exports = userDataExports(json.locals?.compile_user_data ?? "");
  const compileEnvironment = Object.fromEntries(
    Object.entries(exports)
      .filter(([name]) => name.startsWith("NEURONX_") && !PLUMBING.has(name))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const model = only(json, "aws_sagemaker_model");
  const variants = only(json, "aws_sagemaker_endpoint_configuration").production_variants;
  const variant = Array.isArray(variants) ? variants[0] : variants;
  return {
    compile_environment: compileEnvironment,
    container_environment: model.primary_container.environment,
    serving_instance_type: variant.instance_type,
    model_data: OPTIMUM_MODEL_DIR,
  };
}

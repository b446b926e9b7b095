// `npx tsx scripts/render-triton-repository.ts <spec.json> <out-dir>`: the Triton model repository of
// TritonNeuronModelRepository without CDKTF, for the HCL module triton-endpoint. It checks the spec as
// the construct does (renderTritonModelRepository: what Triton would only find at load), writes
// <model>/config.pbtxt, <model>/1/model.py and <model>/1/model.pt (the compiled model, copied) and the
// ensemble's config into out-dir, and prints the module's inputs as JSON on stdout. Then:
//   aws s3 sync <out-dir> s3://<bucket>/<prefix>/
// and give the module repository_s3_uri = "s3://<bucket>/<prefix>/" and the printed inputs.
//
// The spec is TritonModelRepositorySpec (lib/triton-model-repository.ts) as JSON, with each model's
// compiledModel the path of its traced TorchScript file (relative to the spec), and optionally
// neuronSdkVersion (the SDK the models were traced with).
import * as fs from "fs";
import * as path from "path";
import { ValidationError } from "../lib/errors";
import { RULES } from "../lib/patterns";
import {
  TritonCompiledModel,
  TritonModelRepositorySpec,
  TritonNeuronModel,
  renderTritonModelRepository,
} from "../lib/triton-model-repository";

type SpecFile = Omit<TritonModelRepositorySpec, "models"> & {
  models: (Omit<TritonNeuronModel, "compiledModel"> & { compiledModel: string })[];
  neuronSdkVersion?: string;
};

/** The triton-endpoint module's inputs that come from the repository. */
export interface TritonModuleInputs {
  default_model_name: string;
  neuron_cores_used: number;
  largest_batch_bytes: number;
  compiled_bytes: number;
  instance_type: string;
  repository_neuron_sdk_version?: string;
}

/** Renders the repository of `specFile` into `outDir` (which must not exist or be empty); returns the module's inputs. */
export function renderTritonRepositoryDirectory(specFile: string, outDir: string): TritonModuleInputs {
  const where = "render-triton-repository";
  const spec = JSON.parse(fs.readFileSync(specFile, "utf8")) as SpecFile;
  const problems: string[] = [];
  if (!Array.isArray(spec.models)) throw new ValidationError(where, [`${specFile}: models must be a list of models`]);
  if (
    spec.neuronSdkVersion !== undefined &&
    !(typeof spec.neuronSdkVersion === "string" && RULES.neuronSdkVersion.pattern.test(spec.neuronSdkVersion))
  ) {
    problems.push(`neuronSdkVersion must be ${RULES.neuronSdkVersion.allowed}, got ${JSON.stringify(spec.neuronSdkVersion)}`);
  }
  spec.models.forEach((m, i) => {
    if (typeof m.compiledModel !== "string")
      problems.push(`models[${i}].compiledModel must be the path of the traced model file, got ${JSON.stringify(m.compiledModel)}`);
  });
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0)
    problems.push(`${outDir} is not empty: render into a new directory, then aws s3 sync it`);
  if (problems.length > 0) throw new ValidationError(where, problems);

  const compiledFiles = new Map(spec.models.map((m) => [m.name, path.resolve(path.dirname(specFile), m.compiledModel)]));
  const models = spec.models.map((m) => ({ ...m, compiledModel: TritonCompiledModel.fromLocalFile(compiledFiles.get(m.name) as string) }));
  const rendered = renderTritonModelRepository({ ...spec, models }, where);

  for (const [rel, content] of rendered.files) {
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), content);
  }
  for (const [name, file] of compiledFiles) fs.copyFileSync(file, path.join(outDir, name, "1", "model.pt"));
  return {
    default_model_name: rendered.defaultModelName,
    neuron_cores_used: rendered.neuronCoresUsed,
    largest_batch_bytes: rendered.largestBatchBytes,
    compiled_bytes: models.reduce((sum, m) => sum + (m.compiledModel.sizeBytes ?? 0), 0),
    instance_type: `ml.${spec.instanceType.replace(/^ml\./, "")}`,
    ...(spec.neuronSdkVersion ? { repository_neuron_sdk_version: spec.neuronSdkVersion } : {}),
  };
}

if (require.main === module) {
  const [specFile, outDir] = process.argv.slice(2);
  if (!specFile || !outDir || specFile === "--help" || specFile === "-h") {
    process.stderr.write(
      fs
        .readFileSync(__filename, "utf8")
        .split("\nimport ")[0]
        .replace(/^\/\/ ?/gm, "") + "\n",
    );
    process.exit(specFile === "--help" || specFile === "-h" ? 0 : 2);
  }
  try {
    const inputs = renderTritonRepositoryDirectory(specFile, outDir);
    process.stderr.write(`wrote the repository to ${outDir}; the triton-endpoint module's inputs:\n`);
    process.stdout.write(`${JSON.stringify(inputs, null, 2)}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}

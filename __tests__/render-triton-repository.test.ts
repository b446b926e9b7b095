// scripts/render-triton-repository.ts: the Triton repository without CDKTF, for the triton-endpoint
// module. It writes the golden repository byte for byte, copies the compiled model, prints the module's
// inputs, and refuses what the construct refuses.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TRITON_NEURON_MODEL } from "../lib/triton-model-repository";
import { renderTritonRepositoryDirectory } from "../scripts/render-triton-repository";
import { thrown } from "./helpers/thrown";

const GOLDEN = path.join(__dirname, "golden", "triton", "single");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "render-triton-"));
fs.writeFileSync(path.join(tmp, "add_sub.pt"), Buffer.from("traced model bytes"));

/** The golden single repository's spec (__tests__/helpers/triton-specs.ts) as the script's JSON. */
const SPEC = {
  instanceType: "ml.inf2.xlarge",
  neuronSdkVersion: "2.21.0",
  models: [
    {
      name: "add_sub",
      compiledModel: "add_sub.pt",
      compiledBatchSize: 4,
      inputs: [
        { name: "INPUT__0", dataType: "TYPE_FP32", dims: [4] },
        { name: "INPUT__1", dataType: "TYPE_FP32", dims: [4] },
      ],
      outputs: [
        { name: "OUTPUT__0", dataType: "TYPE_FP32", dims: [4] },
        { name: "OUTPUT__1", dataType: "TYPE_FP32", dims: [4] },
      ],
      instanceCount: 2,
      maxBatchSize: 8,
      dynamicBatching: { preferredBatchSizes: [2, 4], maxQueueDelayMicroseconds: 500 },
    },
  ],
};

function specFile(spec: unknown, name = "spec.json"): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

describe("render-triton-repository", () => {
  const out = path.join(tmp, "out");
  const inputs = renderTritonRepositoryDirectory(specFile(SPEC), out);

  test("writes the golden repository, the one model.py and the compiled model", () => {
    const files = (dir: string, prefix = ""): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        return e.isDirectory() ? files(path.join(dir, e.name), rel) : [rel];
      });
    expect(files(out).sort()).toEqual(["add_sub/1/model.pt", "add_sub/1/model.py", "add_sub/config.pbtxt"]);
    expect(fs.readFileSync(path.join(out, "add_sub/config.pbtxt"), "utf8")).toBe(
      fs.readFileSync(path.join(GOLDEN, "add_sub/config.pbtxt"), "utf8"),
    );
    expect(fs.readFileSync(path.join(out, "add_sub/1/model.py"), "utf8")).toBe(fs.readFileSync(TRITON_NEURON_MODEL.file, "utf8"));
    expect(fs.readFileSync(path.join(out, "add_sub/1/model.pt"), "utf8")).toBe("traced model bytes");
  });

  test("prints the triton-endpoint module's inputs: the golden summary's numbers", () => {
    const summary = JSON.parse(fs.readFileSync(path.join(GOLDEN, "repository.json"), "utf8"));
    expect(inputs).toEqual({
      default_model_name: summary.defaultModelName,
      neuron_cores_used: summary.neuronCoresUsed,
      largest_batch_bytes: summary.largestBatchBytes,
      compiled_bytes: "traced model bytes".length,
      instance_type: "ml.inf2.xlarge",
      repository_neuron_sdk_version: "2.21.0",
    });
  });

  test("refuses what the construct refuses, a missing compiled model, a bad SDK and a non-empty output directory", () => {
    const tooMany = { ...SPEC, models: [{ ...SPEC.models[0], instanceCount: 3 }] };
    expect(
      (thrown(() => renderTritonRepositoryDirectory(specFile(tooMany, "many.json"), path.join(tmp, "many"))) as Error).message,
    ).toMatch(/NeuronCores/);
    const missing = { ...SPEC, models: [{ ...SPEC.models[0], compiledModel: "nowhere.pt" }] };
    expect(
      (thrown(() => renderTritonRepositoryDirectory(specFile(missing, "missing.json"), path.join(tmp, "missing"))) as Error).message,
    ).toMatch(/nowhere\.pt.*is not a file/);
    expect(
      (
        thrown(() =>
          renderTritonRepositoryDirectory(specFile({ ...SPEC, neuronSdkVersion: "2.21; rm -rf /" }, "sdk.json"), path.join(tmp, "sdk")),
        ) as Error
      ).message,
    ).toMatch(/neuronSdkVersion must be/);
    expect((thrown(() => renderTritonRepositoryDirectory(specFile(SPEC), out)) as Error).message).toMatch(/is not empty/);
    expect(fs.existsSync(path.join(tmp, "many"))).toBe(false);
  });
});

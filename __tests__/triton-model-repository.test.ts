import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ValidationError } from "../lib/errors";
import {
  TRITON_NEURON_MODEL,
  TritonCompiledModel,
  TritonModelRepositorySpec,
  TritonNeuronModel,
  TritonNeuronModelRepository,
  renderTritonModelRepository,
} from "../lib/triton-model-repository";
import { synth } from "./helpers/synth";
import { addSubModel, goldenTritonSpecs } from "./helpers/triton-specs";
import { thrown } from "./helpers/thrown";

// Golden files: the repositories these specs render, committed under __tests__/golden/triton/<case>/,
// but for each model's 1/model.py, which is python/triton_neuron/model.py itself (a test checks).
// python/tests/test_triton_model.py parses their config.pbtxt with tritonclient's protobuf and runs
// their model.py. After an intended change: UPDATE_GOLDEN=1 npx jest __tests__/triton-model-repository.test.ts
const GOLDEN = path.join(__dirname, "golden", "triton");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "triton-repo-test-"));
const compiled = path.join(tmp, "model.pt");
fs.writeFileSync(compiled, "compiled");

const addSub = (name: string, extra: Partial<TritonNeuronModel> = {}) => addSubModel(compiled, name, extra);
const CASES: Record<string, TritonModelRepositorySpec> = goldenTritonSpecs(compiled);

function goldenFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? goldenFiles(path.join(dir, e.name), rel) : [rel];
  });
}

describe("renderTritonModelRepository: the golden repositories", () => {
  describe.each(Object.entries(CASES))("%s", (name, spec) => {
    const rendered = renderTritonModelRepository(spec);
    const generated = [...rendered.files.keys()].filter((rel) => !rel.endsWith("/1/model.py"));
    const dir = path.join(GOLDEN, name);
    if (process.env.UPDATE_GOLDEN) {
      fs.rmSync(dir, { recursive: true, force: true });
      for (const rel of generated) {
        const content = rendered.files.get(rel) as string;
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
      }
      fs.writeFileSync(path.join(dir, "repository.json"), JSON.stringify(summary(rendered), null, 2) + "\n");
    }

    test("holds exactly the rendered files (UPDATE_GOLDEN=1 after an intended change)", () => {
      expect(goldenFiles(dir).sort()).toEqual([...generated, "repository.json"].sort());
    });

    test.each(generated)("%s is up to date", (rel) => {
      expect(fs.readFileSync(path.join(dir, rel), "utf8")).toBe(rendered.files.get(rel));
    });

    test("its summary (default model, cores, shared memory) is up to date", () => {
      expect(JSON.parse(fs.readFileSync(path.join(dir, "repository.json"), "utf8"))).toEqual(summary(rendered));
    });
  });

  const single = renderTritonModelRepository(CASES.single);
  const ensemble = renderTritonModelRepository(CASES.ensemble);

  test("every model.py is the repository's one Python backend model", () => {
    for (const r of [single, ensemble]) {
      for (const [rel, content] of r.files)
        if (rel.endsWith("model.py")) expect(content).toBe(fs.readFileSync(TRITON_NEURON_MODEL.file, "utf8"));
    }
  });

  test("SageMaker loads the only model, or the ensemble", () => {
    expect(single.defaultModelName).toBe("add_sub");
    expect(ensemble.defaultModelName).toBe("pipeline");
  });

  test("models take consecutive NeuronCores", () => {
    expect(ensemble.models.map((m) => [m.name, m.firstCore, m.instanceCount * m.neuronCoresPerInstance])).toEqual([
      ["first", 0, 4],
      ["second", 4, 4],
    ]);
    expect(ensemble.neuronCoresUsed).toBe(8);
  });

  test("the default preferred batch is what one instance runs at once, and max_batch_size that too", () => {
    const r = renderTritonModelRepository({ instanceType: "inf2.xlarge", models: [addSub("m", { neuronCoresPerInstance: 2 })] });
    expect(r.models[0]).toMatchObject({ maxBatchSize: 8, dynamicBatching: { preferredBatchSizes: [8], maxQueueDelayMicroseconds: 100 } });
  });

  test("the largest batch's bytes size the Python backend's shared memory", () => {
    // 8 requests x 2 tensors x 4 floats x 4 bytes
    expect(single.largestBatchBytes).toBe(8 * 2 * 4 * 4);
  });
});

function summary(r: ReturnType<typeof renderTritonModelRepository>) {
  return {
    defaultModelName: r.defaultModelName,
    neuronCoresUsed: r.neuronCoresUsed,
    largestBatchBytes: r.largestBatchBytes,
    models: r.models,
  };
}

describe("renderTritonModelRepository: what Triton would only find at load fails the synth", () => {
  const problems = (spec: Partial<TritonModelRepositorySpec>) =>
    (thrown(() => renderTritonModelRepository({ instanceType: "inf2.xlarge", models: [addSub("m")], ...spec })) as ValidationError)
      .problems;

  test("instances that need more NeuronCores than the instance type has", () => {
    expect(problems({ models: [addSub("m", { instanceCount: 2, neuronCoresPerInstance: 2 })] })).toEqual([
      "the models' instances need 4 NeuronCores (instanceCount x neuronCoresPerInstance; m: 2 x 2), but inf2.xlarge has 2; use inf2.24xlarge, or fewer instances",
    ]);
  });

  test("preferred batch sizes over max_batch_size or over what an instance runs at once", () => {
    expect(problems({ models: [addSub("m", { maxBatchSize: 8, dynamicBatching: { preferredBatchSizes: [16, 8, 8] } })] })).toEqual([
      "models[0].dynamicBatching.preferredBatchSizes[0] must be a whole number from 1 to maxBatchSize 8, got 16",
      "models[0].dynamicBatching.preferredBatchSizes[1] is 8, more than the 4 one instance runs at once (compiledBatchSize 4 x neuronCoresPerInstance 1); prefer 4 or a divisor of it",
      "models[0].dynamicBatching.preferredBatchSizes[2] is 8, more than the 4 one instance runs at once (compiledBatchSize 4 x neuronCoresPerInstance 1); prefer 4 or a divisor of it",
      "models[0].dynamicBatching.preferredBatchSizes must not repeat a size, got [16, 8, 8]",
    ]);
  });

  test("tensor names that do not say their position, gaps, data types Triton or numpy lack, dynamic dims", () => {
    const bad = addSub("m", {
      inputs: [
        { name: "input_ids", dataType: "TYPE_INT64", dims: [128] },
        { name: "INPUT__2", dataType: "TYPE_BF16" as any, dims: [-1] },
      ],
    });
    expect(problems({ models: [bad] })).toEqual([
      'models[0].inputs[0].name must be <name>__<index> (e.g. INPUT__0): a TorchScript model has no tensor names, so the index is the position; got "input_ids"',
      'models[0].inputs[1].dataType must be one of TYPE_BOOL, TYPE_UINT8, TYPE_UINT16, TYPE_UINT32, TYPE_UINT64, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64, TYPE_STRING (the Python backend gives model.py no numpy array for TYPE_BF16; trace the model with FP32 or FP16 inputs), got "TYPE_BF16"',
      "models[0].inputs[1].dims must be positive whole numbers without the batch dimension (Neuron compiles static shapes, so no -1), got [-1]",
    ]);
    expect(problems({ models: [addSub("m", { inputs: [{ name: "INPUT__1", dataType: "TYPE_FP32", dims: [4] }] })] })).toEqual([
      "models[0].inputs must be numbered __0 to __0 without gaps, as the traced model's positions, got INPUT__1",
    ]);
  });

  test("two models without an ensemble, as SageMaker's serve script refuses them", () => {
    expect(problems({ instanceType: "inf2.24xlarge", models: [addSub("a"), addSub("b")] })).toEqual([
      "models holds 2 models but no ensemble; SageMaker's Triton serve script loads one model, or one ensemble (SAGEMAKER_TRITON_DEFAULT_MODEL_NAME): add an ensemble over them, or serve each from its own endpoint",
    ]);
  });

  test("an ensemble whose steps do not connect, or that leaves a model out", () => {
    const e = CASES.ensemble.ensemble!;
    const broken = { ...e, steps: [{ ...e.steps[0], inputMap: { INPUT__0: "A", INPUT__9: "C" } }] };
    expect(problems({ instanceType: "inf2.24xlarge", models: CASES.ensemble.models, ensemble: broken })).toEqual([
      'ensemble.steps[0].inputMap key "INPUT__9" is not an input of first (INPUT__0, INPUT__1)',
      'ensemble.steps[0].inputMap reads "C", which is neither an ensemble input nor an output of an earlier step',
      "ensemble.steps[0].inputMap does not feed first's input INPUT__1",
      "ensemble.outputs RESULT is written by no step's outputMap",
      'models "second" is in no ensemble step; SageMaker loads only the ensemble and what it uses, so remove it or add a step',
    ]);
  });

  test("an ensemble whose tensors change type between steps, as Triton checks at load", () => {
    const e = CASES.ensemble.ensemble!;
    const retyped = { ...e, outputs: [{ name: "RESULT", dataType: "TYPE_INT64" as const, dims: [4] }] };
    expect(problems({ instanceType: "inf2.24xlarge", models: CASES.ensemble.models, ensemble: retyped })).toEqual([
      "ensemble.outputs RESULT is declared TYPE_INT64 [4], but its step writes TYPE_FP32 [4]",
    ]);
  });

  test("an instance type that is not inf2, and a compiled model that is not there", () => {
    expect(
      problems({
        instanceType: "ml.inf1.xlarge",
        models: [addSub("m", { compiledModel: TritonCompiledModel.fromLocalFile(path.join(tmp, "no.pt")) })],
      }),
    ).toEqual([
      'instanceType must be one of inf2.xlarge, inf2.8xlarge, inf2.24xlarge, inf2.48xlarge (with or without "ml."), got "ml.inf1.xlarge"',
      expect.stringMatching(
        /^models\[0\]\.compiledModel ".*no\.pt" is not a file .*; trace the model with torch_neuronx\.trace and save it with torch\.jit\.save$/,
      ),
    ]);
  });
});

describe("TritonNeuronModelRepository", () => {
  let repo: TritonNeuronModelRepository | undefined;
  const { json } = synth((stack) => {
    repo = new TritonNeuronModelRepository(stack, "Repository", { bucket: "models-bucket", ...CASES.ensemble });
  });

  test("uploads the generated files uncompressed under its prefix, one object a file", () => {
    const files = json.resource.aws_s3_object.repository_files;
    expect(files.key).toBe("triton/repository/${each.value}");
    expect(files.bucket).toBe("models-bucket");
    expect(repo!.s3Uri).toBe("s3://models-bucket/triton/repository/");
  });

  test("puts each compiled model beside its model.py", () => {
    expect(json.resource.aws_s3_object.repository_first_compiled.key).toBe("triton/repository/first/1/model.pt");
    expect(json.resource.aws_s3_object.repository_second_compiled.key).toBe("triton/repository/second/1/model.pt");
    expect(repo!.uploads).toHaveLength(3);
  });

  test("copies a compiled model that is already in S3", () => {
    const out = synth((stack) => {
      new TritonNeuronModelRepository(stack, "Repository", {
        bucket: "models-bucket",
        instanceType: "inf2.xlarge",
        models: [addSub("m", { compiledModel: TritonCompiledModel.fromS3Object("compile-bucket", "bert/model.pt") })],
      });
    });
    expect(out.json.resource.aws_s3_object_copy.repository_m_compiled).toMatchObject({
      bucket: "models-bucket",
      key: "triton/repository/m/1/model.pt",
      source: "compile-bucket/bert/model.pt",
    });
  });

  test("names the model SageMaker must load", () => {
    expect(repo!.defaultModelName).toBe("pipeline");
  });

  test("throws for a bad prefix or bucket before rendering anything", () => {
    const error = thrown(() =>
      synth((stack) => new TritonNeuronModelRepository(stack, "R", { bucket: "Bad_Bucket", keyPrefix: "/x", ...CASES.single })),
    );
    expect((error as ValidationError).problems).toEqual([
      expect.stringMatching(/^bucket must be an S3 bucket name: .* got "Bad_Bucket", which contains "B"$/),
      expect.stringMatching(/^keyPrefix must be an S3 key prefix ending with "\/", .* got "\/x", which starts with "\/"$/),
    ]);
  });
});

describe("model.py and the construct", () => {
  test("name config.pbtxt's parameters alike", () => {
    const source = fs.readFileSync(TRITON_NEURON_MODEL.file, "utf8");
    const constants = Object.fromEntries([...source.matchAll(/^([A-Z_]+) = "([A-Z_]+)"$/gm)].map(([, name, value]) => [name, value]));
    expect(Object.values(constants).sort()).toEqual(Object.values(TRITON_NEURON_MODEL.parameters).sort());
  });
});

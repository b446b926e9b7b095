// The Triton repositories the tests render: the golden ones (__tests__/golden/triton/<case>/) and the endpoint's.
import { TritonCompiledModel, TritonModelRepositorySpec, TritonNeuronModel } from "../../lib/triton-model-repository";

/** The add_sub model of Triton's examples, traced for a batch of 4 vectors of `width`: OUTPUT__0 = a + b, OUTPUT__1 = a - b. */
export function addSubModel(compiledFile: string, name: string, extra: Partial<TritonNeuronModel> = {}, width = 4): TritonNeuronModel {
  return {
    name,
    compiledModel: TritonCompiledModel.fromLocalFile(compiledFile),
    compiledBatchSize: 4,
    inputs: [
      { name: "INPUT__0", dataType: "TYPE_FP32", dims: [width] },
      { name: "INPUT__1", dataType: "TYPE_FP32", dims: [width] },
    ],
    outputs: [
      { name: "OUTPUT__0", dataType: "TYPE_FP32", dims: [width] },
      { name: "OUTPUT__1", dataType: "TYPE_FP32", dims: [width] },
    ],
    ...extra,
  };
}

/** The golden repositories, by case: their compiled models are `compiledFile`. */
export function goldenTritonSpecs(compiledFile: string): Record<"single" | "ensemble", TritonModelRepositorySpec> {
  const addSub = (name: string, extra: Partial<TritonNeuronModel> = {}) => addSubModel(compiledFile, name, extra);
  return {
    // One model, two instances of one NeuronCore each on inf2.xlarge, batches of up to 8 requests.
    single: {
      instanceType: "ml.inf2.xlarge",
      models: [
        addSub("add_sub", {
          instanceCount: 2,
          maxBatchSize: 8,
          dynamicBatching: { preferredBatchSizes: [2, 4], maxQueueDelayMicroseconds: 500 },
        }),
      ],
    },
    // Two models on inf2.24xlarge, cores 0-3 (two instances of two cores) and 4-7 (four of one), behind an ensemble.
    ensemble: {
      instanceType: "inf2.24xlarge",
      models: [
        addSub("first", { instanceCount: 2, neuronCoresPerInstance: 2 }),
        addSub("second", { instanceCount: 4, dynamicBatching: false }),
      ],
      ensemble: {
        name: "pipeline",
        inputs: [
          { name: "A", dataType: "TYPE_FP32", dims: [4] },
          { name: "B", dataType: "TYPE_FP32", dims: [4] },
        ],
        outputs: [{ name: "RESULT", dataType: "TYPE_FP32", dims: [4] }],
        steps: [
          { modelName: "first", inputMap: { INPUT__0: "A", INPUT__1: "B" }, outputMap: { OUTPUT__0: "SUM", OUTPUT__1: "DIFFERENCE" } },
          { modelName: "second", inputMap: { INPUT__0: "SUM", INPUT__1: "DIFFERENCE" }, outputMap: { OUTPUT__0: "RESULT" } },
        ],
      },
    },
  };
}

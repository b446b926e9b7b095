import { CompileSettings, SETTINGS_ENV } from "../lib/compile-settings";
import { Problems } from "../lib/errors";
import { CompileOptions, Model, OptLevel, QuantDtype, resolveCompileOptions } from "../lib/model";

const settings = (o: CompileOptions = {}, tp = 2, sdk = "2.25.0", revision?: string) =>
  new CompileSettings(Model.fromHuggingFace("meta-llama/Llama-2-7b-hf", { revision }), resolveCompileOptions(o, new Problems()), tp, sdk);

describe("CompileSettings", () => {
  test("the cache key encodes model, revision, SDK and every option", () => {
    expect(settings({}).cacheKeyPrefix).toBe("meta-llama/Llama-2-7b-hf/main/neuronx-2.25.0/tp2-np4096-bs1-bf16-opt2/");
    expect(
      settings({ quantDtype: QuantDtype.S8, optLevel: OptLevel.FAST_COMPILE, nPositions: 1024, batchSize: 4, amp: "f16" }, 8)
        .cacheKeyPrefix,
    ).toBe("meta-llama/Llama-2-7b-hf/main/neuronx-2.25.0/tp8-np1024-bs4-f16-opt1-qs8/");
  });

  test("same model, options and SDK give the same prefix", () => {
    expect(settings({ nPositions: 2048 }).cacheKeyPrefix).toBe(settings({ nPositions: 2048 }).cacheKeyPrefix);
  });

  test.each([
    ["the SDK", settings({}, 2, "2.20.2")],
    ["the TP degree", settings({}, 8)],
    ["the revision", settings({}, 2, "2.25.0", "abc123")],
    ["nPositions", settings({ nPositions: 2048 })],
    ["quantization", settings({ quantDtype: QuantDtype.S8 })],
  ])("a change of %s changes the prefix", (_what, other) => {
    expect(other.cacheKeyPrefix).not.toBe(settings({}).cacheKeyPrefix);
  });

  test("the environment carries every setting under its one name", () => {
    expect(settings({ quantDtype: QuantDtype.S8 }).environment).toEqual({
      [SETTINGS_ENV.modelId]: "meta-llama/Llama-2-7b-hf",
      [SETTINGS_ENV.revision]: "main",
      [SETTINGS_ENV.neuronSdkVersion]: "2.25.0",
      [SETTINGS_ENV.tpDegree]: "2",
      [SETTINGS_ENV.nPositions]: "4096",
      [SETTINGS_ENV.batchSize]: "1",
      [SETTINGS_ENV.amp]: "bf16",
      [SETTINGS_ENV.quantDtype]: "s8",
      [SETTINGS_ENV.optLevel]: "2",
      NEURON_CC_FLAGS: "--model-type=transformer -O2",
    });
  });

  test("leaves the quantization variable out when there is none", () => {
    expect(settings({}).environment).not.toHaveProperty(SETTINGS_ENV.quantDtype);
  });
});

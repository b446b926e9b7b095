import { execFileSync } from "child_process";
import * as path from "path";
import { SETTINGS_ENV } from "../lib/compile-settings";
import { MODEL_ARCHITECTURES, SERVED_ARCHITECTURES } from "../lib/model";
import { AMP_BYTES, OPT_LEVELS, QUANT_DTYPE_BYTES, TP_DEGREES } from "../lib/neuron-spec";
import { OPTIMUM_COMPILE_ENV, OPTIMUM_NEURON_BACKEND, OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES } from "../lib/optimum-neuron-spec";
import { ENDPOINT_DEFAULTS, SERVING_ENV } from "../lib/realtime-endpoint";

// The compile script and the inference code read what the constructs write: the same variable names and allowed values.
const python = JSON.parse(
  execFileSync(
    "python3",
    [
      "-c",
      "import json; from neuronx_compile import constants as c; print(json.dumps({k: getattr(c, k) for k in " +
        "('SETTINGS_ENV', 'TP_DEGREES', 'AMP_TYPES', 'QUANT_DTYPES', 'OPT_LEVELS', 'SERVED_MODEL_TYPES', 'UNSAVABLE_MODEL_TYPES', " +
        "'BACKEND_ENV', 'OPTIMUM_NEURON', 'OPTIMUM_NEURON_VERSION_ENV', 'TARGET_INSTANCE_FAMILY_ENV', 'OPTIMUM_CACHE_REPO_ENV', " +
        "'OPTIMUM_DTYPES', 'OPTIMUM_MODEL_TYPES')}))",
    ],
    { cwd: path.join(__dirname, "..", "python"), encoding: "utf8" },
  ),
);

const servingConstants = JSON.parse(
  execFileSync(
    "python3",
    [
      "-c",
      "import json; from neuronx_inference import constants as c; " +
        "print(json.dumps({k: getattr(c, k) for k in ('SETTINGS_ENV', 'MAX_NEW_TOKENS_ENV', 'DEFAULT_MAX_NEW_TOKENS_LIMIT')}))",
    ],
    { cwd: path.join(__dirname, "..", "python", "serving"), encoding: "utf8" },
  ),
);
const serving = servingConstants.SETTINGS_ENV;

describe("the Python compile script, the inference code and the constructs", () => {
  test("name the compile settings' environment variables alike", () => {
    const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const fromPython = Object.fromEntries(Object.entries(python.SETTINGS_ENV).map(([k, v]) => [camel(k), v]));
    expect(fromPython).toEqual(SETTINGS_ENV);
    expect(serving).toEqual(python.SETTINGS_ENV);
  });

  test("allow the same TP degrees, amp types, quantization types and optimization levels", () => {
    expect(python.TP_DEGREES).toEqual(TP_DEGREES);
    expect(python.AMP_TYPES).toEqual(Object.keys(AMP_BYTES));
    expect(python.QUANT_DTYPES).toEqual(Object.keys(QUANT_DTYPE_BYTES));
    expect(python.OPT_LEVELS).toEqual(OPT_LEVELS);
  });

  test("accept and refuse the same model families", () => {
    expect(python.SERVED_MODEL_TYPES).toEqual(SERVED_ARCHITECTURES);
    expect([...python.SERVED_MODEL_TYPES, ...python.UNSAVABLE_MODEL_TYPES].sort()).toEqual(Object.keys(MODEL_ARCHITECTURES).sort());
  });

  test("name the optimum-neuron backend's variables alike, and export the same model families and dtypes", () => {
    expect({
      backend: python.BACKEND_ENV,
      optimumNeuronVersion: python.OPTIMUM_NEURON_VERSION_ENV,
      targetInstanceFamily: python.TARGET_INSTANCE_FAMILY_ENV,
      cacheRepo: python.OPTIMUM_CACHE_REPO_ENV,
    }).toEqual({
      backend: OPTIMUM_COMPILE_ENV.backend,
      optimumNeuronVersion: OPTIMUM_COMPILE_ENV.optimumNeuronVersion,
      targetInstanceFamily: OPTIMUM_COMPILE_ENV.targetInstanceFamily,
      cacheRepo: OPTIMUM_COMPILE_ENV.cacheRepo,
    });
    expect(python.OPTIMUM_NEURON).toBe(OPTIMUM_NEURON_BACKEND);
    expect(python.OPTIMUM_MODEL_TYPES).toEqual(OPTIMUM_NEURON_TEXT_GENERATION_MODEL_TYPES);
    expect(Object.keys(python.OPTIMUM_DTYPES)).toEqual(Object.keys(AMP_BYTES));
  });

  test("name the serving limit alike, with the same default", () => {
    expect(servingConstants.MAX_NEW_TOKENS_ENV).toBe(SERVING_ENV.maxNewTokens);
    expect(servingConstants.DEFAULT_MAX_NEW_TOKENS_LIMIT).toBe(ENDPOINT_DEFAULTS.maxNewTokens);
  });
});

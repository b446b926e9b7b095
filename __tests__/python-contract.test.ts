import { execFileSync } from "child_process";
import * as path from "path";
import { SETTINGS_ENV } from "../lib/compile-settings";
import { AMP_BYTES, OPT_LEVELS, QUANT_DTYPE_BYTES, TP_DEGREES } from "../lib/neuron-spec";

// The compile script reads what the construct writes: the same variable names and allowed values.
const python = JSON.parse(
  execFileSync(
    "python3",
    [
      "-c",
      "import json; from neuronx_compile import constants as c; print(json.dumps({k: getattr(c, k) for k in " +
        "('SETTINGS_ENV', 'TP_DEGREES', 'AMP_TYPES', 'QUANT_DTYPES', 'OPT_LEVELS')}))",
    ],
    { cwd: path.join(__dirname, "..", "python"), encoding: "utf8" },
  ),
);

describe("the Python compile script and the constructs", () => {
  test("name the compile settings' environment variables alike", () => {
    const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const fromPython = Object.fromEntries(Object.entries(python.SETTINGS_ENV).map(([k, v]) => [camel(k), v]));
    expect(fromPython).toEqual(SETTINGS_ENV);
  });

  test("allow the same TP degrees, amp types, quantization types and optimization levels", () => {
    expect(python.TP_DEGREES).toEqual(TP_DEGREES);
    expect(python.AMP_TYPES).toEqual(Object.keys(AMP_BYTES));
    expect(python.QUANT_DTYPES).toEqual(Object.keys(QUANT_DTYPE_BYTES));
    expect(python.OPT_LEVELS).toEqual(OPT_LEVELS);
  });
});

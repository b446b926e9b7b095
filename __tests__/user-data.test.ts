import * as fs from "fs";
import { Lazy } from "cdktf";
import {
  TOKEN_ALLOWANCE_BYTES,
  USER_DATA_BODY_FILE,
  USER_DATA_LIMIT_BYTES,
  escapeTerraformTemplate,
  renderCompileUserData,
  shellQuote,
} from "../lib/user-data";

describe("renderCompileUserData", () => {
  const environment = { NEURONX_MODEL_ID: "org/model-7b", NEURONX_BUCKET: Lazy.stringValue({ produce: () => "bucket" }) };
  const rendered = renderCompileUserData({ constructPath: "stack/Compile", deadlineMinutes: 90, environment });

  test("starts with bash and names the construct", () => {
    expect(rendered.script.split("\n").slice(0, 2)).toEqual([
      "#!/bin/bash",
      "# User data of stack/Compile (cdktf-neuronx-patterns NeuronxCompile):",
    ]);
  });

  test("exports the environment and the deadline, sorted", () => {
    const header = rendered.script.slice(0, rendered.script.indexOf("\n\n"));
    const exports = header.split("\n").filter((l) => l.startsWith("export "));
    expect(exports.map((l) => l.split("=")[0])).toEqual([
      "export NEURONX_BUCKET",
      "export NEURONX_DEADLINE_MINUTES",
      "export NEURONX_MODEL_ID",
    ]);
    expect(rendered.script).toContain("export NEURONX_DEADLINE_MINUTES='90'");
  });

  test("carries the body from scripts/compile-user-data.sh without its header comment", () => {
    const source = fs.readFileSync(USER_DATA_BODY_FILE, "utf8");
    expect(rendered.script).toContain("set -Eeuo pipefail");
    expect(rendered.script).toContain('shutdown -h "+$NEURONX_DEADLINE_MINUTES"');
    expect(rendered.script).not.toContain(source.split("\n")[1]);
  });

  test("escapes the body's shell expansions for Terraform", () => {
    expect(rendered.script).toContain('echo "running the compile in $NEURONX_IMAGE with $${#devices[@]} Neuron devices"');
    expect(rendered.script).not.toMatch(/[^$]\$\{#devices/);
  });

  test("reserves room for each Terraform reference in its size bound", () => {
    const literal = Buffer.byteLength(rendered.script) - Buffer.byteLength(environment.NEURONX_BUCKET);
    expect(rendered.maxBytes).toBe(literal + TOKEN_ALLOWANCE_BYTES);
    expect(rendered.maxBytes).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });
});

describe("shellQuote", () => {
  test.each([
    ["plain", "'plain'"],
    ["it's", `'it'\\''s'`],
    ["$HOME `x`", "'$HOME `x`'"],
  ])("quotes %j", (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});

describe("escapeTerraformTemplate", () => {
  test("doubles the template openers only", () => {
    expect(escapeTerraformTemplate("${a} %{if} $b %d")).toBe("$${a} %%{if} $b %d");
  });
});

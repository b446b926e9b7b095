import { Problems } from "../lib/errors";
import { QuantDtype, resolveCompileOptions, CompileOptions } from "../lib/model";
import { NEURON_CORE_MEMORY_GIB } from "../lib/neuron-spec";
import { SIZING_MODEL, memoryNeeds, sizeModel } from "../lib/sizing";

const GiB = 2 ** 30;
const options = (o: CompileOptions = {}) => resolveCompileOptions(o, new Problems());
const size = (parameters: number, o: CompileOptions = {}, more: object = {}) =>
  sizeModel({ parameters, options: options(o), tpDegree: o.tpDegree, ...more });

describe("sizeModel", () => {
  describe("on real models at the defaults (nPositions 4096, batchSize 1, bf16)", () => {
    test.each([
      // model, parameters, options, TP degree, serving, compile
      ["gpt2", 124e6, {}, 2, "inf2.xlarge", "inf2.xlarge"],
      ["Llama-2-7B", 6.74e9, {}, 2, "inf2.xlarge", "inf2.8xlarge"],
      ["Mistral-7B", 7.24e9, {}, 2, "inf2.xlarge", "inf2.8xlarge"],
      ["Llama-3-8B", 8.03e9, {}, 2, "inf2.8xlarge", "inf2.8xlarge"],
      ["Llama-2-13B", 13.0e9, {}, 2, "inf2.8xlarge", "inf2.8xlarge"],
      ["a 22B", 22e9, {}, 8, "inf2.24xlarge", "inf2.24xlarge"],
      ["a 22B with S8 at nPositions 1024", 22e9, { quantDtype: QuantDtype.S8, nPositions: 1024 }, 2, "inf2.8xlarge", "inf2.8xlarge"],
      ["Mixtral-8x7B", 46.7e9, {}, 8, "inf2.24xlarge", "inf2.24xlarge"],
      ["Llama-3-70B", 70.6e9, {}, 24, "inf2.48xlarge", "inf2.48xlarge"],
      ["Llama-3-70B with S8", 70.6e9, { quantDtype: QuantDtype.S8 }, 8, "inf2.24xlarge", "inf2.24xlarge"],
    ])("sizes %s", (_name, parameters, o, tp, serving, compile) => {
      const sizing = size(parameters, o);
      expect([sizing.tpDegree, sizing.servingInstanceType, sizing.compileInstanceType]).toEqual([tp, serving, compile]);
    });

    test.each([
      ["Llama-3.1-405B", 405e9, {}],
      ["Llama-3.1-405B with S8", 405e9, { quantDtype: QuantDtype.S8 }],
    ])("throws for %s, too large for inf2.48xlarge", (_name, parameters, o) => {
      expect(() => size(parameters, o)).toThrow(
        /is too large for Inferentia2: it needs about \d+ GiB of NeuronCore memory .* more than the 384 GiB of the 24 NeuronCores of inf2\.48xlarge/,
      );
    });

    test("suggests S8 quantization only when it is not already set", () => {
      expect(() => size(405e9)).toThrow(/set compileOptions\.quantDtype to QuantDtype\.S8/);
      expect(() => size(405e9, { quantDtype: QuantDtype.S8 })).not.toThrow(/set compileOptions\.quantDtype/);
    });
  });

  describe("memory figures", () => {
    test("weights take the amp type's bytes, or one byte a weight with S8", () => {
      expect(memoryNeeds(7e9, options()).weightBytes).toBe(14e9);
      expect(memoryNeeds(7e9, options({ amp: "f32" })).weightBytes).toBe(28e9);
      expect(memoryNeeds(7e9, options({ quantDtype: QuantDtype.S8 })).weightBytes).toBe(7e9);
    });

    test("the KV cache grows with nPositions and batchSize, and is not quantized", () => {
      const base = memoryNeeds(7e9, options()).kvCacheBytes;
      expect(memoryNeeds(7e9, options({ nPositions: 2048 })).kvCacheBytes).toBeCloseTo(base / 2);
      expect(memoryNeeds(7e9, options({ batchSize: 4 })).kvCacheBytes).toBeCloseTo(base * 4);
      expect(memoryNeeds(7e9, options({ quantDtype: QuantDtype.S8 })).kvCacheBytes).toBe(base);
    });

    test("estimates Llama-2-7B's KV cache at 4096 positions near its true 2 GiB", () => {
      // 32 layers x 4096 hidden x 4096 positions x K and V x 2 bytes = 2 GiB
      const kv = memoryNeeds(6.74e9, options()).kvCacheBytes / GiB;
      expect(kv).toBeGreaterThan(2);
      expect(kv).toBeLessThan(2.6);
    });

    test("device memory adds the runtime margin to weights and KV cache", () => {
      const m = memoryNeeds(7e9, options());
      expect(m.deviceBytes).toBeCloseTo((m.weightBytes + m.kvCacheBytes) * (1 + SIZING_MODEL.deviceMargin));
    });

    test("compiling needs two checkpoints and the compiler; serving needs one and the OS", () => {
      const m = memoryNeeds(7e9, options());
      expect(m.compileHostBytes).toBe(2 * 14e9 + SIZING_MODEL.compileHostOverheadGiB * GiB);
      expect(m.servingHostBytes).toBe(14e9 + SIZING_MODEL.servingHostOverheadGiB * GiB);
    });

    test("the root volume holds the AMI, the image and three checkpoints, rounded up to 10 GiB", () => {
      const m = memoryNeeds(7e9, options());
      expect(m.rootVolumeGiB % 10).toBe(0);
      expect(m.rootVolumeGiB).toBeGreaterThanOrEqual(SIZING_MODEL.amiGiB + SIZING_MODEL.containerImageGiB + (3 * 14e9) / GiB);
      expect(m.rootVolumeGiB - 10).toBeLessThan(SIZING_MODEL.amiGiB + SIZING_MODEL.containerImageGiB + (3 * 14e9) / GiB);
    });
  });

  describe("the TP degree", () => {
    test("always holds the model in 16 GiB NeuronCores", () => {
      for (const p of [0.1e9, 1e9, 7e9, 13e9, 34e9, 70e9]) {
        const s = size(p);
        expect(s.tpDegree * NEURON_CORE_MEMORY_GIB * GiB).toBeGreaterThanOrEqual(s.deviceBytes);
      }
    });

    test("uses every core the serving instance allows: 8 of the 12 of inf2.24xlarge", () => {
      expect(size(1e9, {}, { servingInstanceType: "inf2.24xlarge" }).tpDegree).toBe(8);
      expect(size(1e9, {}, { servingInstanceType: "inf2.48xlarge" }).tpDegree).toBe(24);
    });

    test("stays within an explicit compile instance's cores", () => {
      const s = size(1e9, {}, { servingInstanceType: "inf2.48xlarge", compileInstanceType: "inf2.24xlarge" });
      expect([s.tpDegree, s.compileInstanceType]).toEqual([8, "inf2.24xlarge"]);
    });
  });

  describe("explicit values", () => {
    test("an explicit TP degree picks instances with that many cores", () => {
      const s = size(7e9, { tpDegree: 24 });
      expect([s.tpDegree, s.servingInstanceType, s.compileInstanceType]).toEqual([24, "inf2.48xlarge", "inf2.48xlarge"]);
    });

    test("an explicit TP degree of 1 serves a small model on one core", () => {
      expect(size(1e9, { tpDegree: 1 }).tpDegree).toBe(1);
    });

    test("throws when an explicit TP degree is too small for the model", () => {
      expect(() => size(13e9, { tpDegree: 1 })).toThrow(
        /compileOptions\.tpDegree 1 gives 16 GiB of NeuronCore memory, but the model .* needs about \d+ GiB .*; set tpDegree to 2 or more/,
      );
    });

    test("throws when the TP degree exceeds the compile instance's cores, naming the fix", () => {
      expect(() => size(7e9, { tpDegree: 8 }, { compileInstanceType: "inf2.8xlarge" })).toThrow(
        "compileOptions.tpDegree must be one of 1, 2, 4, 8, 24 and at most the 2 NeuronCores of inf2.8xlarge, got 8; lower tpDegree or set instanceType to inf2.24xlarge",
      );
    });

    test("throws when the TP degree exceeds the serving instance's cores", () => {
      expect(() => size(7e9, { tpDegree: 8 }, { servingInstanceType: "inf2.xlarge" })).toThrow(
        /at most the 2 NeuronCores of inf2\.xlarge, got 8; lower tpDegree or set servingInstanceType to inf2\.24xlarge/,
      );
    });

    test("throws when the model needs more cores than an explicit instance has", () => {
      expect(() => size(70e9, {}, { servingInstanceType: "inf2.8xlarge" })).toThrow(
        /at most the 2 NeuronCores of inf2\.8xlarge, got 24 \(the least that holds the model .*\); set servingInstanceType to inf2\.48xlarge/,
      );
    });

    test("throws when an explicit compile instance lacks the host memory to compile", () => {
      expect(() => size(7e9, {}, { compileInstanceType: "inf2.xlarge" })).toThrow(
        /instanceType inf2\.xlarge has 16 GiB of host memory, but compiling the model .* needs about 35 GiB; set instanceType to inf2\.8xlarge or leave it unset/,
      );
    });

    test("throws when an explicit serving instance lacks the host memory to serve", () => {
      expect(() => size(8e9, {}, { servingInstanceType: "inf2.xlarge" })).toThrow(
        /servingInstanceType inf2\.xlarge has 16 GiB of host memory, but serving the model .* needs about 17 GiB/,
      );
    });

    test.each([
      ["instanceType", { compileInstanceType: "p4d.24xlarge" }],
      ["servingInstanceType", { servingInstanceType: "ml.inf2.xlarge" }],
    ])("throws for a %s that is not an inf2 type", (prop, more) => {
      expect(() => size(1e9, {}, more)).toThrow(
        new RegExp(`${prop} must be one of inf2\\.xlarge, inf2\\.8xlarge, inf2\\.24xlarge, inf2\\.48xlarge, got "`),
      );
    });

    test.each([
      ["instanceType", { compileInstanceType: "inf1.xlarge" }],
      ["servingInstanceType", { servingInstanceType: "inf1.6xlarge" }],
    ])("throws for an Inf1 %s, pointing to Inf2", (prop, more) => {
      expect(() => size(1e9, {}, more)).toThrow(
        new RegExp(
          `${prop} inf1\\.\\w+ is an Inf1 type\\. Inf1 \\(Inferentia1\\) is not supported: .* use an Inf2 type \\(inf2\\.xlarge, `,
        ),
      );
    });

    test("names the model in messages when given", () => {
      expect(() => sizeModel({ parameters: 405e9, options: options(), modelName: "meta-llama/Llama-3.1-405B" })).toThrow(
        /meta-llama\/Llama-3\.1-405B \(405B parameters, bf16\) is too large/,
      );
    });
  });
});

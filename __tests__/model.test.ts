import { Problems, ValidationError } from "../lib/errors";
import {
  COMPILE_DEFAULTS,
  MODEL_ARCHITECTURES,
  Model,
  ModelArchitecture,
  OptLevel,
  Parameters,
  QuantDtype,
  SERVED_ARCHITECTURES,
  parametersFromModelId,
  refusedNamesPattern,
  resolveCompileOptions,
} from "../lib/model";
import { Token } from "cdktf";
import { thrown } from "./helpers/thrown";

describe("Model.fromHuggingFace", () => {
  describe("when the id says the size", () => {
    test.each([
      ["meta-llama/Llama-2-7b-hf", 7e9],
      ["meta-llama/Meta-Llama-3-8B-Instruct", 8e9],
      ["TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1.1e9],
      ["mistralai/Mistral-7B-Instruct-v0.2", 7e9],
      ["meta-llama/Llama-3.1-70B-Instruct", 70e9],
      ["bigscience/bloom-560m", 560e6],
      ["facebook/opt-13b", 13e9],
      ["meta-llama/llama-2-7B-CHAT-HF", 7e9],
    ])("reads %s as %d parameters", (id, count) => {
      expect(Model.fromHuggingFace(id).parameters.count).toBeCloseTo(count, -3);
    });
  });

  test.each([
    ["Qwen/Qwen2-1.5B-Instruct", 1.5e9],
    ["Qwen/Qwen2-0.5B", 0.5e9],
    ["Qwen/Qwen3-30B-A3B", 30e9],
  ])("parametersFromModelId reads %s as %d parameters", (id, count) => {
    expect((parametersFromModelId(id) as Parameters).count).toBeCloseTo(count, -3);
  });

  test("keeps the id and defaults the revision to main", () => {
    const model = Model.fromHuggingFace("meta-llama/Llama-2-7b-hf");
    expect(model.modelId).toBe("meta-llama/Llama-2-7b-hf");
    expect(model.revision).toBe("main");
  });

  test("takes a pinned revision", () => {
    expect(
      Model.fromHuggingFace("gpt2", { parameters: Parameters.million(124), revision: "607a30d783dfa663caf39e06633721c8d4cfcd7e" }).revision,
    ).toBe("607a30d783dfa663caf39e06633721c8d4cfcd7e");
  });

  test("prefers explicit parameters over the id", () => {
    expect(Model.fromHuggingFace("meta-llama/Llama-2-7b-hf", { parameters: Parameters.billion(6.74) }).parameters.count).toBe(6.74e9);
  });

  test("throws when the id does not say its size, asking for parameters", () => {
    expect(() => Model.fromHuggingFace("gpt2-xl")).toThrow(
      /Model\.fromHuggingFace\("gpt2-xl"\): the model id does not say its size .* parameters is required; pass it, e\.g\. Model\.fromHuggingFace\("gpt2-xl", \{ parameters: Parameters\.billion/,
    );
  });

  test.each(["mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x22B-v0.1"])(
    "throws for the mixture of experts %s instead of reading 7 or 8 billion",
    (id) => {
      expect(() => Model.fromHuggingFace(id)).toThrow(/names a mixture of experts \("8x\d+B"\).*Mixtral-8x7B has 46\.7B, not 56B/);
      expect(Model.fromHuggingFace(id, { parameters: Parameters.billion(46.7) }).parameters.count).toBeCloseTo(46.7e9);
    },
  );

  test("throws when the id names two sizes", () => {
    expect(() => Model.fromHuggingFace("org/Llama-1B-distilled-from-8B")).toThrow(/names more than one size \(1B, 8B\)/);
  });

  test.each(["", "a/b/c", "org/name with space", "org/-bad", "org/a--b", "x".repeat(97)])("throws for the model id %j", (id) => {
    expect(() => Model.fromHuggingFace(id, { parameters: Parameters.billion(1) })).toThrow(
      /the model id must be a Hugging Face repository id/,
    );
  });

  test.each(["", "-main", "a..b", "has space"])("throws for the revision %j", (revision) => {
    expect(() => Model.fromHuggingFace("gpt2", { parameters: Parameters.million(124), revision })).toThrow(
      /revision must be a branch, tag or commit hash: .* got /,
    );
  });

  test("reports a bad id and a bad revision together", () => {
    const error = thrown(() => Model.fromHuggingFace("a/b/c", { revision: "" }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toHaveLength(2);
  });
});

describe("parametersFromModelId", () => {
  test("does not read the 5B inside 1.5B or the active A3B of a MoE as sizes", () => {
    expect((parametersFromModelId("Qwen2-1.5B") as Parameters).count).toBe(1.5e9);
    expect((parametersFromModelId("Qwen3-30B-A3B") as Parameters).count).toBe(30e9);
  });

  test("does not read 4bit as a size", () => {
    expect(parametersFromModelId("llama-4bit")).toMatch(/does not say its size/);
  });
});

describe("Parameters", () => {
  test("billion and million count parameters", () => {
    expect(Parameters.billion(1.5).count).toBe(1.5e9);
    expect(Parameters.million(124).count).toBe(124e6);
  });

  test("prints a short form", () => {
    expect(Parameters.billion(8).toString()).toBe("8B");
    expect(Parameters.billion(1.5).toString()).toBe("1.5B");
    expect(Parameters.million(124).toString()).toBe("124M");
  });

  test.each([0, -1, NaN, Infinity])("throws for %d", (n) => {
    expect(() => Parameters.billion(n)).toThrow(/Parameters\.billion\(.*\) must be a positive number of parameters/);
  });
});

describe("resolveCompileOptions", () => {
  const resolve = (options: object) => {
    const problems = new Problems();
    const resolved = resolveCompileOptions(options, problems);
    return { resolved, problems };
  };
  const problemsOf = (options: object) => {
    const { problems } = resolve(options);
    const error = thrown(() => problems.throwIfAny("x"));
    return error ? (error as ValidationError).problems : [];
  };

  test("applies the documented defaults", () => {
    const { resolved, problems } = resolve({});
    expect(problems.empty).toBe(true);
    expect(resolved).toEqual({ nPositions: 4096, batchSize: 1, amp: "bf16", quantDtype: undefined, optLevel: OptLevel.BALANCED });
    expect(COMPILE_DEFAULTS).toEqual({ nPositions: 4096, batchSize: 1, amp: "bf16", optLevel: 2 });
  });

  test("keeps given values", () => {
    const { resolved } = resolve({
      nPositions: 1024,
      batchSize: 4,
      amp: "f16",
      quantDtype: QuantDtype.S8,
      optLevel: OptLevel.MODEL_EXECUTION_PERFORMANCE,
    });
    expect(resolved).toEqual({ nPositions: 1024, batchSize: 4, amp: "f16", quantDtype: "s8", optLevel: 3 });
  });

  test.each([
    [{ tpDegree: 3 }, /compileOptions\.tpDegree must be one of 1, 2, 4, 8, 24 .*got 3/],
    [{ nPositions: 100 }, /compileOptions\.nPositions must be a whole number from 128 to 131072, got 100/],
    [{ nPositions: 2048.5 }, /compileOptions\.nPositions must be a whole number from 128 to 131072, got 2048\.5/],
    [{ batchSize: 0 }, /compileOptions\.batchSize must be a whole number from 1 to 128, got 0/],
    [{ amp: "fp8" }, /compileOptions\.amp must be one of "bf16", "f16", "f32", got "fp8"/],
    [{ quantDtype: "s4" }, /compileOptions\.quantDtype must be QuantDtype\.S8 \("s8"\) or unset, got "s4"/],
    [{ optLevel: 4 }, /compileOptions\.optLevel must be one of 1, 2, 3 .*got 4/],
  ])("throws for %j", (options, message) => {
    expect(problemsOf(options).join("\n")).toMatch(message);
  });

  test("throws for a Terraform reference, which cannot size instances at synth time", () => {
    expect(problemsOf({ nPositions: Token.asNumber("${var.n_positions}") }).join("\n")).toMatch(
      /compileOptions\.nPositions must be a literal value known at synth time .* got a Terraform reference/,
    );
  });

  test("collects every problem", () => {
    expect(problemsOf({ tpDegree: 3, nPositions: 1, batchSize: 0, amp: "x", optLevel: 9 })).toHaveLength(5);
  });
});

describe("Model.fromHuggingFace architectures", () => {
  test.each([
    ["TinyLlama/TinyLlama-1.1B-Chat-v1.0", ModelArchitecture.LLAMA],
    ["meta-llama/Meta-Llama-3-8B-Instruct", ModelArchitecture.LLAMA],
    ["codellama/CodeLlama-7b-hf", ModelArchitecture.LLAMA],
    ["mistralai/Mistral-7B-Instruct-v0.3", ModelArchitecture.MISTRAL],
    ["mistralai/Mixtral-8x7B-Instruct-v0.1", ModelArchitecture.MIXTRAL],
    ["openai-community/gpt2-large", ModelArchitecture.GPT2],
    ["facebook/opt-1.3b", ModelArchitecture.OPT],
    ["bigscience/bloom-560m", ModelArchitecture.BLOOM],
    ["HuggingFaceH4/zephyr-7b-beta", undefined],
  ])("reads the architecture of %s from its name (only the repository name, not the organization)", (id, architecture) => {
    expect(Model.fromHuggingFace(id, { parameters: Parameters.billion(1) }).architecture).toBe(architecture);
  });

  test.each([
    ["Qwen/Qwen2-1.5B-Instruct", "qwen2 / qwen3"],
    ["Qwen/Qwen2.5-7B-Instruct", "qwen2 / qwen3"],
    ["microsoft/Phi-3-mini-4k-instruct", "phi / phi3"],
    ["microsoft/phi-2", "phi / phi3"],
    ["google/gemma-2b-it", "gemma"],
    ["tiiuae/falcon-7b-instruct", "falcon"],
    ["mosaicml/mpt-7b", "mpt"],
    ["bigcode/starcoder2-3b", "gpt_bigcode / starcoder2"],
  ])("throws at synth for %s, which names an unsupported family, with the served list and the fix", (id, family) => {
    const message = (thrown(() => Model.fromHuggingFace(id, { parameters: Parameters.billion(1) })) as Error).message;
    expect(message).toContain(`the model id names the ${family} architecture, which transformers-neuronx 0.13 does not support`);
    expect(message).toContain("transformers-neuronx 0.13 serves llama, code_llama, mistral, mixtral, gpt2, opt, bloom");
    expect(message).toMatch(/state it, e\.g\. Model\.fromHuggingFace\(".*", \{ architecture: ModelArchitecture\.LLAMA \}\)/);
  });

  test.each(["EleutherAI/gpt-j-6b", "EleutherAI/gpt-neox-20b", "EleutherAI/pythia-1b"])(
    "throws for %s: transformers-neuronx maps it but cannot save its compiled form",
    (id) => {
      expect(() => Model.fromHuggingFace(id, { parameters: Parameters.billion(6) })).toThrow(
        /cannot be served: transformers-neuronx 0\.13 cannot save or load a compiled GPT-(J|NeoX) .* would recompile it at start/,
      );
    },
  );

  test("architecture states the family of a repository whose name shows another one", () => {
    const model = Model.fromHuggingFace("acme/qwen-data-llama-ft-7b", { architecture: ModelArchitecture.LLAMA });
    expect(model.architecture).toBe(ModelArchitecture.LLAMA);
  });

  test("architecture states the family of a repository whose name shows none", () => {
    expect(Model.fromHuggingFace("acme/support-bot-7b", { architecture: ModelArchitecture.MISTRAL }).architecture).toBe(
      ModelArchitecture.MISTRAL,
    );
  });

  test.each([ModelArchitecture.GPTJ, ModelArchitecture.GPT_NEOX])("throws when architecture states %s", (architecture) => {
    expect(() => Model.fromHuggingFace("acme/bot-6b", { architecture })).toThrow(/architecture gpt(j|_neox) cannot be served/);
  });

  test("throws for an id that names two families", () => {
    expect(() => Model.fromHuggingFace("acme/mistral-gpt2-merge-7b")).toThrow(
      /names more than one architecture \(mistral, gpt2\); state the one in its config\.json/,
    );
  });

  test("collects the architecture and the size problems in one error", () => {
    const error = thrown(() => Model.fromHuggingFace("google/gemma")) as ValidationError;
    expect(error.problems).toHaveLength(2);
  });

  test("the served families are the savable ones of the table", () => {
    expect(SERVED_ARCHITECTURES).toEqual(
      (Object.keys(MODEL_ARCHITECTURES) as ModelArchitecture[]).filter((a) => MODEL_ARCHITECTURES[a].served),
    );
    expect(SERVED_ARCHITECTURES).not.toContain(ModelArchitecture.GPTJ);
  });
});

describe("refusedNamesPattern, the HCL module's check", () => {
  const refuses = (id: string) => new RegExp(refusedNamesPattern().replace("(?i)", ""), "i").test(id.slice(id.lastIndexOf("/") + 1));
  test.each([
    "Qwen/Qwen2-1.5B-Instruct",
    "microsoft/Phi-3-mini-4k-instruct",
    "microsoft/phi-2",
    "google/gemma-2b-it",
    "tiiuae/falcon-7b",
    "EleutherAI/gpt-j-6b",
    "EleutherAI/pythia-1b",
    "mosaicml/mpt-7b",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "HuggingFaceH4/zephyr-7b-beta",
    "facebook/opt-1.3b",
    "openai-community/gpt2-large",
    "lmsys/vicuna-7b-v1.5",
    "acme/alphabet-7b",
  ])("refuses %s exactly when Model.fromHuggingFace does", (id) => {
    const construct = thrown(() => Model.fromHuggingFace(id, { parameters: Parameters.billion(1) })) !== undefined;
    expect(refuses(id)).toBe(construct);
  });
});

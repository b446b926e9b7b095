// The modelled compile of the README's public models on both backends: the instance each backend's sizing
// chooses, the expected instance-hours (lib/cost.ts COMPILE_TIME_MODEL: an assumption, not a measurement) and
// their on-demand cost (PRICE_TABLE and CPU_COMPILE_HOSTS, with their region and date). optimum-neuron is modelled
// on its default inf2 host and on the CPU host; a Hub cache hit, which skips the compile, is not modelled.
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { COMPILE_TIME_MODEL, PRICE_TABLE, estimateCompileCost } from "../../lib/cost";
import { ValidationError } from "../../lib/errors";
import { Model } from "../../lib/model";
import { NEURONX_COMPILE_DEFAULTS, NeuronxCompile } from "../../lib/neuronx-compile";
import { CPU_COMPILE_HOSTS, OptimumNeuronCompile, OptimumNeuronCompileHost } from "../../lib/optimum-neuron-compile";

/** The README's public models, with the sequence length each is compiled for (TinyLlama's context is 2048). */
export const BENCH_MODELS = [
  { id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0", sequenceLength: 2048 },
  { id: "meta-llama/Meta-Llama-3-8B-Instruct", sequenceLength: 4096 },
  { id: "mistralai/Mistral-7B-Instruct-v0.3", sequenceLength: 4096 },
  { id: "meta-llama/Meta-Llama-3-70B-Instruct", sequenceLength: 4096 },
] as const;

/** One row: a model on a backend and host, or why that backend refuses it. */
export interface CompileCostRow {
  readonly model: string;
  readonly backend: "transformers-neuronx" | "optimum-neuron (inf2 host)" | "optimum-neuron (CPU host)";
  readonly instanceType?: string;
  readonly tpDegree?: number;
  readonly instanceHours?: number;
  readonly usd?: number;
  readonly refused?: string;
}

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), "bench");
  new AwsProvider(s, "aws", { region: "us-east-1" });
  new NullProvider(s, "null");
  return s;
}

function row(
  model: string,
  backend: CompileCostRow["backend"],
  build: () => { instanceType: string; tp: number; checkpointBytes: number },
): CompileCostRow {
  let built;
  try {
    built = build();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { model, backend, refused: e.problems[0] };
  }
  const hourlyUsd = CPU_COMPILE_HOSTS.types.find((t) => t.name === built.instanceType)?.hourlyUsd;
  const cost = estimateCompileCost({
    instanceType: built.instanceType,
    checkpointBytes: built.checkpointBytes,
    deadlineMinutes: NEURONX_COMPILE_DEFAULTS.deadlineMinutes,
    hourlyUsd,
  });
  return {
    model,
    backend,
    instanceType: built.instanceType,
    tpDegree: built.tp,
    instanceHours: cost.expectedMinutes / 60,
    usd: cost.expectedUsd,
  };
}

/** The rows, for every model and backend. */
export function compileCostRows(): CompileCostRow[] {
  const rows: CompileCostRow[] = [];
  for (const m of BENCH_MODELS) {
    rows.push(
      row(m.id, "transformers-neuronx", () => {
        const c = new NeuronxCompile(stack(), "Compile", {
          model: Model.fromHuggingFace(m.id),
          compileOptions: { nPositions: m.sequenceLength },
        });
        return { instanceType: c.compileInstanceType, tp: c.tpDegree, checkpointBytes: c.sizing.checkpointBytes };
      }),
    );
    for (const host of ["inf2", "cpu"] as OptimumNeuronCompileHost[]) {
      rows.push(
        row(m.id, host === "cpu" ? "optimum-neuron (CPU host)" : "optimum-neuron (inf2 host)", () => {
          const c = new OptimumNeuronCompile(stack(), "Compile", {
            model: Model.fromHuggingFace(m.id),
            compileHost: host,
            exportOptions: { sequenceLength: m.sequenceLength },
          });
          return { instanceType: c.compileInstanceType, tp: c.tensorParallelSize, checkpointBytes: c.sizing.checkpointBytes };
        }),
      );
    }
  }
  return rows;
}

/** The rows as a table, with the price tables' region and date and the time model. */
export function formatCompileCostTable(rows: readonly CompileCostRow[]): string {
  const lines = [
    `modelled compile, both backends (expected minutes ${COMPILE_TIME_MODEL.baseMinutes} + ${COMPILE_TIME_MODEL.minutesPerCheckpointGiB} a checkpoint GiB, ` +
      `an assumption; on-demand ${PRICE_TABLE.region} prices of ${PRICE_TABLE.date} (inf2) and ${CPU_COMPILE_HOSTS.date} (r7i); a Hub cache hit not modelled)`,
    `${"model".padEnd(38)} ${"backend".padEnd(28)} ${"instance".padEnd(14)} ${"tp".padStart(3)} ${"inst-hours".padStart(10)} ${"USD".padStart(8)}`,
  ];
  for (const r of rows) {
    lines.push(
      r.refused
        ? `${r.model.padEnd(38)} ${r.backend.padEnd(28)} refused: ${r.refused.slice(0, 110)}`
        : `${r.model.padEnd(38)} ${r.backend.padEnd(28)} ${r.instanceType!.padEnd(14)} ${String(r.tpDegree).padStart(3)} ${r.instanceHours!.toFixed(2).padStart(10)} ${r.usd!.toFixed(2).padStart(8)}`,
    );
  }
  return lines.join("\n");
}

if (require.main === module) console.log(formatCompileCostTable(compileCostRows()));

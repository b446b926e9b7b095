// Runs the hostile inputs of cases.ts: for the jest test (hostile.test.ts) and `npm run bench`.
import { Testing } from "cdktf";
import { ValidationError } from "../../lib/errors";
import { testStack } from "../helpers/synth";
import { HOSTILE_CASES, HostileCase } from "./cases";

/** What became of a hostile input. */
export interface HostileOutcome {
  readonly case: HostileCase;
  /** Refused at synth by a ValidationError naming the prop; refused at plan by a precondition naming it; or neither. */
  readonly outcome: "synth" | "plan" | "crash" | "accepted" | "refused without naming the prop";
  /** The ValidationError's message, the precondition's, or the crash. */
  readonly message: string;
}

/** The preconditions' messages of a synthesized stack. */
function preconditionMessages(json: any): string[] {
  const messages: string[] = [];
  for (const kind of ["resource", "data"]) {
    for (const byName of Object.values<Record<string, any>>(json[kind] ?? {})) {
      for (const block of Object.values<any>(byName)) {
        for (const p of block.lifecycle?.precondition ?? []) messages.push(p.error_message);
      }
    }
  }
  return messages;
}

/** Runs one case in a fresh stack. */
export function runHostileCase(c: HostileCase): HostileOutcome {
  const stack = testStack();
  try {
    c.build(stack);
  } catch (error) {
    if (!(error instanceof ValidationError)) return { case: c, outcome: "crash", message: String((error as Error)?.stack ?? error) };
    const named = error.problems.some((p) => p.startsWith(c.prop) || p.includes(` ${c.prop}`) || p.includes(`${c.prop} `));
    return { case: c, outcome: named ? "synth" : "refused without naming the prop", message: error.message };
  }
  const json = JSON.parse(Testing.synth(stack));
  const message = preconditionMessages(json).find((m) => m.startsWith(`The value of ${c.prop} must be`));
  return message !== undefined ? { case: c, outcome: "plan", message } : { case: c, outcome: "accepted", message: "" };
}

/** Runs every case. */
export function runHostileCases(): HostileOutcome[] {
  return HOSTILE_CASES.map(runHostileCase);
}

/** "hostile inputs: N of M refused at synth (K more by a plan-time precondition that names the prop)". */
export function hostileSummary(outcomes: readonly HostileOutcome[]): string {
  const synth = outcomes.filter((o) => o.outcome === "synth").length;
  const plan = outcomes.filter((o) => o.outcome === "plan").length;
  const other = outcomes.length - synth - plan;
  return (
    `hostile inputs: ${synth} of ${outcomes.length} refused at synth, ${plan} more at plan time by a precondition that names the prop` +
    ` (Terraform references: ${outcomes
      .filter((o) => o.outcome === "plan")
      .map((o) => o.case.prop)
      .join(", ")})${other ? `; ${other} neither` : ""}`
  );
}

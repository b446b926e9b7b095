// Hostile inputs (hostile/cases.ts): each is refused with a message that names the prop, at synth, or
// (for a Terraform reference, whose value is known only then) at plan time by a precondition.
import { HOSTILE_CASES } from "./hostile/cases";
import { HostileOutcome, hostileSummary, runHostileCase } from "./hostile/run";

const outcomes: HostileOutcome[] = [];

describe("hostile inputs", () => {
  test("are at least 60, in every class", () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(HOSTILE_CASES.map((c) => c.kind)).size).toBeGreaterThanOrEqual(20);
  });

  test.each(HOSTILE_CASES.map((c) => [c.name, c] as const))("%s is refused, naming the prop", (_name, c) => {
    const outcome = runHostileCase(c);
    outcomes.push(outcome);
    expect([outcome.outcome, outcome.message.includes(c.prop) || outcome.message]).toEqual([c.refusedAt, true]);
  });

  afterAll(() => {
    if (outcomes.length === HOSTILE_CASES.length) process.stdout.write(`\n${hostileSummary(outcomes)}\n`);
  });
});

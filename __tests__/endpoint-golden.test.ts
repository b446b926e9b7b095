// The endpoints' synthesized Terraform, pinned by golden files (helpers/endpoint-golden.ts says what each
// holds). A change of what the endpoints render shows here as a diff; when it is intended, rewrite them with
// `npm run golden:endpoints` and review the diff.
import * as fs from "fs";
import * as path from "path";
import { GOLDEN_CONFIGURATIONS, GOLDEN_DIR, REFUSED_CONFIGURATIONS, goldenText } from "./helpers/endpoint-golden";

const ALL = [...GOLDEN_CONFIGURATIONS, ...REFUSED_CONFIGURATIONS];

const STALE = "stale golden file: run `npm run golden:endpoints` if the change is intended, and review the diff";

describe("the endpoints' golden files", () => {
  test("are one a configuration, with no file left from a configuration that is gone", () => {
    const names = ALL.map((c) => `${c.name}.json`);
    expect(new Set(names).size).toBe(names.length);
    expect([STALE, fs.readdirSync(GOLDEN_DIR).sort()]).toEqual([STALE, [...names].sort()]);
  });

  test.each(ALL.map((c) => [c.name, c] as const))("%s: the synthesized endpoints, or the refusal, equal the golden file", (_name, c) => {
    const file = path.join(GOLDEN_DIR, `${c.name}.json`);
    const golden = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no golden file)";
    expect([STALE, goldenText(c.render())]).toEqual([STALE, golden]);
  });
});

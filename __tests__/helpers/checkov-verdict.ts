import * as fs from "fs";
import * as path from "path";
import { checkovFailures } from "./terraform";

/**
 * checkov on a synthesized stack, judged as the project judges it: a failed check must carry its
 * reason in its resource's `"//".checkov.skip`, and a reason for a check that passes is stale.
 * checkov reports a failure by the line its resource starts on in cdk.tf.json.
 */
export function checkovVerdict(dir: string): { unjustified: string[]; stale: string[] } {
  const text = fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8");
  const json = JSON.parse(text);
  const startLines = new Map<number, string>();
  const lines = text.split("\n");
  let type = "";
  lines.forEach((line, i) => {
    const typeMatch = /^ {4}"([a-z0-9_]+)": \{$/.exec(line);
    if (typeMatch) type = typeMatch[1];
    const nameMatch = /^ {6}"([A-Za-z0-9_-]+)": \{$/.exec(line);
    if (nameMatch && type) startLines.set(i + 1, `${type}.${nameMatch[1]}`);
  });
  const failed = new Set(
    checkovFailures(dir, "terraform_json").map(
      (f) => `${startLines.get(f.file_line_range[0]) ?? `line ${f.file_line_range[0]}`} ${f.check_id}`,
    ),
  );
  const reasons = new Map<string, string>();
  for (const [t, blocks] of Object.entries<Record<string, any>>(json.resource ?? {})) {
    for (const [name, block] of Object.entries(blocks)) {
      for (const [id, reason] of Object.entries<string>(block["//"]?.checkov?.skip ?? {})) reasons.set(`${t}.${name} ${id}`, reason);
    }
  }
  return {
    unjustified: [...failed].filter((f) => !((reasons.get(f)?.length ?? 0) > 20)).sort(),
    stale: [...reasons.keys()].filter((r) => !failed.has(r)).sort(),
  };
}

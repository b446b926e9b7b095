import { Token } from "cdktf";
import { Problems } from "../errors";

/**
 * Checks the constructs share (the SageMaker endpoint has the same rules inline; they move here when
 * the endpoint core is extracted).
 */

/** True for a value given as a literal (not unset, not a Terraform reference). */
export function literal(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/** A literal that must be a whole number from `min` to `max` (`unit` reads "of seconds", "of MB", ...). */
export function wholeNumberIn(problems: Problems, prop: string, value: number | undefined, min: number, max: number, unit = ""): void {
  problems.when(
    literal(value) && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max),
    () => `${prop} must be a whole number${unit ? ` ${unit}` : ""} from ${min} to ${max}, got ${value}`,
  );
}

/** AWS tag rules: keys of 1 to 128 characters not starting with "aws:", values of at most 256. */
export function checkTags(problems: Problems, tags: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    problems.when(
      key.length < 1 || key.length > 128 || key.toLowerCase().startsWith("aws:"),
      `tags keys must be 1 to 128 characters and not start with "aws:", got ${JSON.stringify(key)}`,
    );
    problems.when(value.length > 256, `tags["${key}"] must be at most 256 characters, got ${value.length}`);
  }
}

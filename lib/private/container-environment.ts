import { Token } from "cdktf";
import { RULES } from "../patterns";
import { SAGEMAKER_LIMITS } from "../sagemaker-spec";
import { Validator, show, terraformLiteral } from "./validation";

/** The variables an endpoint sets itself, which the `environment` prop may not override. */
export interface ReservedEnvironment {
  /**
   * A refusal of the recipe's own wording for a key, checked first (e.g. the compile settings: "change the
   * compile instead"); undefined when the key is not refused that way.
   */
  readonly problem?: (key: string) => string | undefined;
  /** Variable -> what sets it, for "environment.<key> is set by <what>; remove it from environment". */
  readonly setBy: Readonly<Record<string, string>>;
}

/**
 * The container's environment: the endpoint's own, plus `environment`, whose keys may not override the
 * endpoint's (each refused with what sets it), within SageMaker's limits. Literal values reach SageMaker
 * as typed (Terraform's template sequences escaped).
 */
export function checkContainerEnvironment(
  v: Validator,
  environment: unknown,
  own: Record<string, string>,
  reserved: ReservedEnvironment,
): Record<string, string> {
  const limits = SAGEMAKER_LIMITS.environment;
  if (!v.record("environment", environment, { what: "a map of variable names to string values" }) || environment === undefined) return own;
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (!v.string(`environment key ${show(key)}`, key, RULES.environmentKey, { optional: false })) continue;
    const problem = reserved.problem?.(key);
    if (problem !== undefined) {
      v.problems.add(problem);
      continue;
    }
    if (reserved.setBy[key] !== undefined) {
      v.problems.add(`environment.${key} is set by ${reserved.setBy[key]}; remove it from environment`);
      continue;
    }
    if (typeof value === "string" && Token.isUnresolved(value)) {
      // Known at plan time: refused now if it is a secret's value, else its length is checked then.
      v.string(`environment.${key}`, value, RULES.environmentValue, { optional: false });
      extra[key] = value;
    } else if (v.text(`environment.${key}`, value, { optional: false, maxBytes: limits.keyOrValueBytes })) {
      extra[key] = terraformLiteral(value);
    }
  }
  const all = { ...own, ...extra };
  const entries = Object.keys(all).length;
  v.problems.when(
    entries > limits.entries,
    () =>
      `environment has ${Object.keys(extra).length} variables; with the construct's ${Object.keys(own).length} the container would have ` +
      `${entries}, over SageMaker's limit of ${limits.entries}; remove ${entries - limits.entries} or more`,
  );
  const bytes = Object.entries(all).reduce((sum, [k, value]) => sum + Buffer.byteLength(k) + Buffer.byteLength(value), 0);
  v.problems.when(
    bytes > limits.totalBytes,
    () =>
      `environment's keys and values come to ${bytes} bytes with the construct's own, over SageMaker's limit of ${limits.totalBytes}; shorten them`,
  );
  return all;
}

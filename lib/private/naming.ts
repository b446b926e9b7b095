import { TerraformElement, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ValidationError } from "../errors";

const used = new WeakMap<TerraformStack, Map<string, string>>();

/** `RealtimeInference` -> `realtime_inference`: the construct id as a Terraform name. */
export function snakeCase(id: string): string {
  const snake = id
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  return /^[a-z_]/.test(snake) ? snake : `_${snake}`;
}

/**
 * Gives an element the name a person would write (`aws_launch_template.compile`)
 * instead of cdktf's path-and-hash id (`Compile_LaunchTemplate_1A2B3C4D`): the
 * owning construct's id in snake case, plus a suffix where one construct makes
 * two things of the same type. Two constructs that would get the same name in
 * one stack are a synth-time error, never a silent merge.
 */
export function nameElement<T extends TerraformElement>(element: T, owner: Construct, suffix?: string): T {
  const base = snakeCase(owner.node.id);
  const name = suffix ? `${base}_${suffix}` : base;
  const kind = kindOf(element);
  const key = `${kind}.${name}`;
  const stack = TerraformStack.of(element);
  let names = used.get(stack);
  if (!names) used.set(stack, (names = new Map()));
  const other = names.get(key);
  if (other !== undefined && other !== element.node.path) {
    throw new ValidationError(owner.node.path, [`the Terraform name ${key} is taken by ${other}; give one of the constructs another id`]);
  }
  names.set(key, element.node.path);
  element.overrideLogicalId(name);
  return element;
}

function kindOf(element: TerraformElement): string {
  const el = element as unknown as { terraformResourceType?: string; constructor: { name: string } };
  return el.terraformResourceType ?? element.constructor.name;
}

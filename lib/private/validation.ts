import * as crypto from "crypto";
import { DefaultTokenResolver, Fn, StringConcat, TerraformLocal, TerraformStack, TerraformVariable, Token, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { Problems } from "../errors";
import { RULES, RuleName, StringRule, ruleViolation } from "../patterns";
import { snakeCase } from "./naming";
import { stackSingleton } from "./stack-singletons";

/** A value known only at plan time (a Terraform reference), to be checked then by a precondition. */
export interface PlanCheck {
  /** The prop it comes from, as the user typed it. */
  readonly prop: string;
  /** The rule it must keep. */
  readonly rule: RuleName;
  /** The reference. */
  readonly value: string;
  /** Names the prop and what is allowed; never the value, which may be a secret. */
  readonly errorMessage: string;
}

/** The local that holds the rules' patterns, for preconditions. */
export const RULES_LOCAL = "neuronx_rules";

/**
 * `local.neuronx_rules`: every rule's pattern, length and forbidden forms, as data. Preconditions read the
 * patterns from it rather than writing them inline, because cdktf takes a "}" in literal text (as in
 * `[0-9]{12}`) for the end of the expression around a reference and would then mangle the reference.
 */
function rulesLocal(scope: Construct): TerraformLocal {
  return stackSingleton(scope, RULES_LOCAL, (stack) => {
    const local = new TerraformLocal(
      stack,
      RULES_LOCAL,
      Object.fromEntries(
        Object.entries(RULES).map(([name, rule]) => [
          name,
          {
            pattern: rule.pattern.source,
            min_length: (rule as StringRule).minLength ?? 1,
            max_length: rule.maxLength,
            forbidden: ((rule as StringRule).forbidden ?? []).map((f) => f.pattern.source),
          },
        ]),
      ),
    );
    local.overrideLogicalId(RULES_LOCAL);
    return local;
  });
}

/** The names of the check locals of each stack, and what each checks (construct path and prop). */
const checkLocals = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * The local that holds whether a reference keeps its rule: `local.<construct>_<prop>_ok`, true or false.
 * Preconditions read this boolean rather than test the reference themselves, because Terraform prints
 * the value of every reference in a failed condition, and this value may be a secret passed by mistake.
 */
function checkLocal(scope: Construct, check: PlanCheck): TerraformLocal {
  const stack = TerraformStack.of(scope);
  const key = `${scope.node.path} ${check.prop}`;
  let names = checkLocals.get(stack);
  if (!names) checkLocals.set(stack, (names = new Map()));
  let name = `${snakeCase(scope.node.id)}_${snakeCase(check.prop)}_ok`;
  if (names.has(name) && names.get(name) !== key) name = `${name}_${crypto.createHash("sha256").update(key).digest("hex").slice(0, 8)}`;
  const id = `neuronx-check-${name}`;
  const existing = stack.node.tryFindChild(id) as TerraformLocal | undefined;
  if (existing) return existing;
  names.set(name, key);
  rulesLocal(scope);
  const x = embeddedExpression(check.value);
  const r = `local.${RULES_LOCAL}.${check.rule}`;
  const local = new TerraformLocal(
    stack,
    id,
    `\${can(regex(${r}.pattern, ${x})) && length(${x}) >= ${r}.min_length && length(${x}) <= ${r}.max_length` +
      ` && alltrue([for f in ${r}.forbidden : !can(regex(f, ${x}))])}`,
  );
  local.overrideLogicalId(name);
  return local;
}

/** Plan-time checks as preconditions of a resource or data source of `scope`'s stack. */
export function preconditions(scope: Construct, checks: readonly PlanCheck[]): { condition: unknown; errorMessage: string }[] {
  return checks.map((check) => ({ condition: checkLocal(scope, check).asBoolean, errorMessage: check.errorMessage }));
}

/** AWS's limit of tags on one resource (EC2, S3 buckets, IAM, SageMaker). */
export const MAX_TAGS = 50;
/** S3's limit of tags on one object: objects carry only the constructs' own tags. */
export const MAX_OBJECT_TAGS = 10;

const MAX_SHOWN = 80;

/** A value as a message shows it: strings quoted (and shortened), numbers as typed (-0, NaN, Infinity), other types named. */
export function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return [...value].length > MAX_SHOWN
        ? `${JSON.stringify([...value].slice(0, MAX_SHOWN).join(""))}... (${[...value].length} characters)`
        : JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
    case "bigint":
    case "boolean":
      return `${String(value)}${typeof value === "bigint" ? "n" : ""}`;
    default:
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of ${value.length}`;
      return `an object (${
        Object.keys(value as object)
          .slice(0, 5)
          .join(", ") || "no keys"
      })`;
  }
}

/** "subnet ids" from "a subnet id". */
const plural = (rule: StringRule) => `${rule.what.replace(/^an? /, "")}s`;

/** The JavaScript type of a wrong primitive, for "got "60" (a string)"; {@link show} names the others. */
const typeNote = (value: unknown) =>
  ["string", "number", "boolean", "bigint", "symbol"].includes(typeof value) ? ` (a ${typeof value})` : "";

/**
 * Escapes Terraform's template sequences (`${`, `%{`) in the literal parts of a string, so that a value
 * reaches AWS as typed: cdktf writes literal strings into the JSON as they are, and Terraform would
 * evaluate `${file("...")}` in them. The constructs' own references (`${TfToken[...]}`) stay.
 */
export function terraformLiteral(value: string): string {
  return value.replace(/\$\{(?!TfToken\[)/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * A string with Terraform references as an expression to write inside a literal `${...}` of another
 * string: cdktf writes a reference there as a bare expression (`aws_s3_bucket.x.bucket`), so one
 * reference stays as it is, and text mixing literals and references becomes `tostring("...${...}...")`.
 */
export function embeddedExpression(value: string): string {
  const parts = Tokenization.reverseString(value);
  const single = parts.literals.length === 0 && parts.escapes.length === 0 && parts.tokens.length + parts.intrinsic.length === 1;
  return single ? value : Fn.tostring(value);
}

/**
 * Checks props and collects every problem, for one ValidationError. Literal values are checked now;
 * Terraform references get a plan-time condition (see {@link planChecks}), and a reference to a secret's
 * value is refused now, since it would reach the state and the place the prop goes.
 */
export class Validator {
  /** The problems found at synth time. */
  public readonly problems = new Problems();
  /** Conditions for the references, for preconditions on the resources that use them. */
  public readonly planChecks: PlanCheck[] = [];

  constructor(private readonly scope?: Construct) {}

  /** The plan-time checks of the props whose names start with one of `props`, as preconditions. */
  public preconditionsFor(...props: string[]): { condition: unknown; errorMessage: string }[] {
    if (!this.scope) throw new Error("a Validator without a scope cannot make preconditions");
    const checks = this.planChecks.filter((c) =>
      props.some((p) => c.prop === p || c.prop.startsWith(`${p}.`) || c.prop.startsWith(`${p}[`) || c.prop.startsWith(`${p} `)),
    );
    return preconditions(this.scope, checks);
  }

  /**
   * A string prop that must keep a rule of {@link RULES}. A reference is checked at plan time,
   * or refused when it must be known at synth time (`reference: "refuse"`, with why).
   * @returns true when the value is a literal that keeps the rule
   */
  public string(
    prop: string,
    value: unknown,
    rule: StringRule,
    options: { readonly optional?: boolean; readonly refuseReference?: string } = {},
  ): value is string {
    if (value === undefined && options.optional !== false) return false;
    if (typeof value !== "string") {
      this.problems.add(
        `${prop} must be ${rule.what} (a string), e.g. ${JSON.stringify(rule.example)}; got ${show(value)}${typeNote(value)}`,
      );
      return false;
    }
    if (Token.isUnresolved(value)) {
      this.reference(prop, value, rule, options.refuseReference);
      return false;
    }
    const why = ruleViolation(rule, value);
    if (why !== undefined) {
      const shown = rule.secret ? `a value of ${[...value].length} characters (not shown: it may be the secret itself)` : show(value);
      this.problems.add(`${prop} must be ${rule.allowed}, e.g. ${JSON.stringify(rule.example)}; got ${shown}, which ${why}`);
      return false;
    }
    return true;
  }

  /** A reference to a string: refused when it points at a secret's value, else checked at plan time. */
  private reference(prop: string, value: string, rule: StringRule, refuse?: string): void {
    if (refuse !== undefined) {
      this.problems.add(`${prop} must be a literal ${rule.what} known at synth time (${refuse}), got a Terraform reference`);
      return;
    }
    const secret = this.secretValue(value);
    if (secret !== undefined) {
      this.problems.add(
        `${prop} must be ${rule.what}, but it refers to ${secret}; a secret's value here would be written to the Terraform state ` +
          `and to what the prop configures. Pass an ARN or a non-sensitive value${rule === RULES.secretArn ? " (the secret's arn attribute)" : ""}`,
      );
      return;
    }
    this.planChecks.push({
      prop,
      rule: (Object.keys(RULES) as RuleName[]).find((name) => RULES[name] === rule) as RuleName,
      value,
      errorMessage: terraformLiteral(
        `The value of ${prop} must be ${rule.allowed}. It comes from a Terraform reference and is not shown here, in case it is a secret.`,
      ),
    });
  }

  /** What a reference reads when it reads a secret's value: a secret_string attribute or a sensitive variable. */
  private secretValue(value: string): string | undefined {
    if (!this.scope) return undefined;
    const stack = TerraformStack.of(this.scope);
    let resolved: string;
    try {
      resolved = String(Tokenization.resolve(value, { scope: this.scope, resolver: new DefaultTokenResolver(new StringConcat()) }));
    } catch {
      return undefined;
    }
    const attribute = /\b(secret_string|secret_binary|secret_string_wo)\b/.exec(resolved);
    if (attribute) return `a secret's value (${attribute[1]})`;
    for (const [, name] of resolved.matchAll(/\bvar\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
      const variable = stack.node
        .findAll()
        .find((c): c is TerraformVariable => c instanceof TerraformVariable && c.friendlyUniqueId === name);
      if (variable?.sensitive) return `the sensitive variable var.${name}`;
    }
    return undefined;
  }

  /** A string that is not governed by a rule but must be a string (a literal or a reference), at most `maxLength`. */
  public text(prop: string, value: unknown, options: { readonly optional?: boolean; readonly maxBytes?: number } = {}): value is string {
    if (value === undefined && options.optional !== false) return false;
    if (typeof value !== "string") {
      this.problems.add(`${prop} must be a string, got ${show(value)}${typeNote(value)}`);
      return false;
    }
    if (Token.isUnresolved(value)) {
      const secret = this.secretValue(value);
      if (secret !== undefined) {
        this.problems.add(
          `${prop} must not be a secret's value, but it refers to ${secret}; it would be written to the Terraform state in plain text`,
        );
      }
      return false;
    }
    const bytes = Buffer.byteLength(value);
    if (options.maxBytes !== undefined && bytes > options.maxBytes) {
      this.problems.add(`${prop} must be at most ${options.maxBytes} bytes, got ${bytes}`);
      return false;
    }
    return true;
  }

  /** A whole number from `min` to `max`, known at synth time. */
  public integer(
    prop: string,
    value: unknown,
    min: number,
    max: number,
    options: { readonly unit?: string; readonly optional?: boolean } = {},
  ): value is number {
    if (value === undefined && options.optional !== false) return false;
    const what = `a whole number${options.unit ? ` of ${options.unit}` : ""} from ${min} to ${max}`;
    if (typeof value === "number" && Token.isUnresolved(value)) {
      this.problems.add(`${prop} must be ${what} known at synth time, got a Terraform reference`);
      return false;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || Object.is(value, -0) || value < min || value > max) {
      this.problems.add(`${prop} must be ${what}, got ${show(value)}${typeof value === "number" ? "" : `${typeNote(value)}`}`);
      return false;
    }
    return true;
  }

  /** A finite number in a range, known at synth time. */
  public number(
    prop: string,
    value: unknown,
    range: { readonly greaterThan?: number; readonly min?: number; readonly max: number; readonly what: string },
    options: { readonly optional?: boolean } = {},
  ): value is number {
    if (value === undefined && options.optional !== false) return false;
    const bounds = `${range.greaterThan !== undefined ? `greater than ${range.greaterThan}` : `at least ${range.min}`} and at most ${range.max}`;
    if (typeof value === "number" && Token.isUnresolved(value)) {
      this.problems.add(`${prop} must be ${range.what} known at synth time, got a Terraform reference`);
      return false;
    }
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      !Object.is(value, -0) &&
      (range.greaterThan === undefined || value > range.greaterThan) &&
      (range.min === undefined || value >= range.min) &&
      value <= range.max;
    if (!ok) {
      this.problems.add(
        `${prop} must be ${range.what}, a finite number ${bounds}, got ${show(value)}${typeof value === "number" ? "" : `${typeNote(value)}`}`,
      );
    }
    return ok;
  }

  /** true or false. */
  public boolean(prop: string, value: unknown): value is boolean {
    if (value === undefined) return false;
    if (Token.isUnresolved(value)) {
      this.problems.add(`${prop} must be true or false known at synth time, got a Terraform reference`);
      return false;
    }
    if (typeof value !== "boolean") {
      this.problems.add(`${prop} must be true or false, got ${show(value)}${typeNote(value)}`);
      return false;
    }
    return true;
  }

  /** A plain object (a map or a props object), known at synth time. */
  public record(
    prop: string,
    value: unknown,
    options: { readonly optional?: boolean; readonly what?: string } = {},
  ): value is Record<string, unknown> {
    if (value === undefined && options.optional !== false) return false;
    const what = options.what ?? "an object";
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problems.add(`${prop} must be ${what}, got ${show(value)}${typeNote(value)}`);
      return false;
    }
    if (Token.isUnresolved(value)) {
      this.problems.add(`${prop} must be ${what} written in the code, known at synth time, got a Terraform reference`);
      return false;
    }
    return true;
  }

  /** A list of strings that keep a rule; a list from a Terraform reference is taken as it is. */
  public stringList(prop: string, value: unknown, rule: StringRule, bounds: { readonly min: number; readonly max: number }): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      this.problems.add(`${prop} must be a list of ${bounds.min} to ${bounds.max} ${plural(rule)}, got ${show(value)}${typeNote(value)}`);
      return;
    }
    if (Token.isUnresolved(value)) return;
    if (value.length < bounds.min || value.length > bounds.max) {
      this.problems.add(`${prop} must name ${bounds.min} to ${bounds.max} ${plural(rule)}, got ${value.length}`);
    }
    value.forEach((item, i) => this.string(`${prop}[${i}]`, item, rule, { optional: false }));
  }

  /**
   * Tags: a map of keys and values AWS accepts on every resource they reach (EC2, S3, IAM, SageMaker),
   * at most {@link MAX_TAGS} with the construct's own, and no two keys that differ only in case (IAM
   * treats keys case-insensitively).
   */
  public tags(prop: string, value: unknown, own: Record<string, string>): void {
    if (value === undefined || value === null) return;
    if (!this.record(prop, value, { what: "a map of tag keys to values" })) return;
    for (const [key, tagValue] of Object.entries(value)) {
      if (Token.isUnresolved(key)) {
        this.problems.add(`${prop} keys must be literal strings known at synth time, got a Terraform reference`);
        continue;
      }
      this.string(`${prop} key ${show(key)}`, key, RULES.tagKey, { optional: false });
      this.string(`${prop}[${JSON.stringify(key)}]`, tagValue, RULES.tagValue, { optional: false });
    }
    const keys = [...new Set([...Object.keys(own), ...Object.keys(value)])];
    if (keys.length > MAX_TAGS) {
      this.problems.add(
        `${prop} has ${Object.keys(value).length} tags; with the construct's own (${Object.keys(own).join(", ")}) a resource would carry ` +
          `${keys.length}, over AWS's limit of ${MAX_TAGS} a resource (the provider's default_tags count too); remove ${keys.length - MAX_TAGS} or more`,
      );
    }
    const byCase = new Map<string, string>();
    for (const key of keys) {
      const other = byCase.get(key.toLowerCase());
      if (other !== undefined && other !== key) {
        this.problems.add(
          `${prop} has the keys ${JSON.stringify(other)} and ${JSON.stringify(key)}, which differ only in case; IAM refuses that, keep one`,
        );
      }
      byCase.set(key.toLowerCase(), key);
    }
  }
}

/**
 * Text for a description or a comment that AWS (IAM's role description pattern, EC2's 255-character
 * launch template description) and Terraform accept whatever a construct id holds: characters outside
 * printable ASCII and Latin-1 become "?", template sequences are escaped, and it is cut at `maxLength`.
 */
export function descriptionText(text: string, maxLength: number): string {
  const printable = [...text].map((c) => (/[\x20-\x7E\xA1-\xFF]/.test(c) ? c : "?")).join("");
  const cut = printable.length > maxLength ? `${printable.slice(0, maxLength - 3)}...` : printable;
  return terraformLiteral(cut);
}

/**
 * Checks what a container image resolves to, for images that are not this library's own (a subclass of
 * NeuronxContainerImage is the user's code): its literal URI, registry, repository ARN and SDK release,
 * which reach the user data, the IAM policies and the cache key.
 */
export function checkImageConfig(
  v: Validator,
  prop: string,
  image: { readonly neuronSdkVersion: unknown },
  config: { readonly imageUri: unknown; readonly registry: unknown; readonly repositoryArn: unknown },
): void {
  const literal = (value: unknown) => typeof value !== "string" || !Token.isUnresolved(value);
  v.string(`${prop}.neuronSdkVersion`, image.neuronSdkVersion, RULES.neuronSdkVersion, {
    optional: false,
    refuseReference: "it names the cache key",
  });
  if (literal(config.imageUri)) v.string(`${prop} image URI`, config.imageUri, RULES.ecrImageUri, { optional: false });
  if (literal(config.registry)) v.string(`${prop} registry`, config.registry, RULES.ecrRegistry, { optional: false });
  if (literal(config.repositoryArn)) {
    // The library's own images build the ARN with the partition, a reference; check the rest of it.
    v.string(`${prop} repository ARN`, config.repositoryArn, RULES.ecrRepositoryArn, { optional: false });
  }
}

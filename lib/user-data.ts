import { Token } from "cdktf";
import { packageAsset, readPackageAsset } from "./private/assets";
import { descriptionText, embeddedExpression, terraformLiteral } from "./private/validation";

/** EC2's limit on user data, in raw form before base64. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * Room reserved for each Terraform reference in the user data when its size is
 * checked at synth time, before the values are known: bucket names are at most
 * 63 characters, image URIs and ARNs about 150.
 */
export const TOKEN_ALLOWANCE_BYTES = 256;

/** What the compile instance's user data needs. Values may be Terraform references. */
export interface CompileUserDataInput {
  /** Construct path, for the header comment. */
  readonly constructPath: string;
  /** Environment of the compile: bucket, prefix, image, code location, and the compile settings. */
  readonly environment: Record<string, string>;
  /** Minutes after boot at which the instance shuts itself down (terminates) whatever happens. */
  readonly deadlineMinutes: number;
  /**
   * The construct's class, for the header comment.
   * @default "NeuronxCompile"
   */
  readonly kind?: string;
}

/** Rendered user data and its size bound. */
export interface CompileUserData {
  /** The script, with Terraform references still to be resolved. */
  readonly script: string;
  /** The most bytes it can take once the references are resolved. */
  readonly maxBytes: number;
}

/**
 * Renders the compile instance's user data: a bash script that exports the
 * compile environment, then runs the fixed body below. The body is escaped for
 * Terraform's template syntax, so shell `${VAR}` reaches the instance as written.
 */
export function renderCompileUserData(input: CompileUserDataInput): CompileUserData {
  const exportLines = Object.entries({ ...input.environment, NEURONX_DEADLINE_MINUTES: String(input.deadlineMinutes) })
    // Byte order, as Terraform's sort() in the HCL module: the same names give the same script.
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  const script = [
    "#!/bin/bash",
    // The construct path is the user's text: one line of printable characters, whatever the ids hold.
    `# User data of ${descriptionText(input.constructPath, 200)} (cdktf-neuronx-patterns ${input.kind ?? "NeuronxCompile"}):`,
    "# compiles the model inside the serving container and uploads it to S3, then terminates.",
    ...exportLines,
    "",
    escapeTerraformTemplate(USER_DATA_BODY),
  ].join("\n");
  const tokens = script.match(/\$\{TfToken\[[^\]]+\]\}/g) ?? [];
  const literalBytes = Buffer.byteLength(tokens.reduce((s, t) => s.replace(t, ""), script));
  return { script, maxBytes: literalBytes + tokens.length * TOKEN_ALLOWANCE_BYTES };
}

/**
 * Single-quotes a value for bash, for the user data (a Terraform template). A literal is escaped here
 * (`'` as `'\''`, and Terraform's `${` and `%{` doubled); a Terraform reference is escaped by Terraform
 * when it resolves, with the same `replace()` as the HCL module, so a value holding a quote, `$(...)`,
 * backticks or a newline stays data whatever it is.
 */
export function shellQuote(value: string): string {
  if (Token.isUnresolved(value)) return `'\${replace(${embeddedExpression(value)}, "'", "'\\\\''")}'`;
  return terraformLiteral(`'${value.replace(/'/g, `'\\''`)}'`);
}

/** Escapes `${` and `%{` so Terraform passes them through instead of interpolating. */
export function escapeTerraformTemplate(text: string): string {
  // Replacer functions: in a replacement string, "$$" would mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * The fixed part of the user data, a bash script kept in scripts/ so that
 * shellcheck reads it; its header comment (up to the first blank line) and its
 * comment lines stay out: they are for readers of the file, and EC2 counts the
 * user data's bytes. The HCL module ships the same text.
 */
export const USER_DATA_BODY_FILE = packageAsset("scripts/compile-user-data.sh");
export function userDataBody(source: string): string {
  return (
    source
      .slice(source.indexOf("\n\n") + 2)
      .split("\n")
      .filter((line) => !/^\s*#/.test(line))
      // Indentation costs bytes under EC2's limit and means nothing to bash (the script has no here-documents).
      .map((line) => line.trimStart())
      .join("\n")
  );
}
const USER_DATA_BODY = userDataBody(readPackageAsset("scripts/compile-user-data.sh"));

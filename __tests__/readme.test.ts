// The README is exercised: its TypeScript blocks are the files of examples/ and synthesize; its
// shell commands are run here against moto (the AWS CLI and npm run invoke), or name the test that
// runs them, or say why none can.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { README, includedExamples, renderReadme } from "../scripts/readme-examples";
import { installArgs } from "../scripts/pack-and-consume";
import { Moto, startMoto } from "./helpers/moto";

const ROOT = path.join(__dirname, "..");
const readme = fs.readFileSync(README, "utf8");

/** Each shell command of the README's `sh` blocks (continuation lines joined, comments left out), by block. */
function shellBlocks(text: string): string[][] {
  return [...text.matchAll(/^ *```sh\n([\s\S]*?)^ *```/gm)].map((m) =>
    m[1]
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line && !line.startsWith("#")),
  );
}

/** Commands this test runs, against moto. */
const RUN_HERE = /^(aws |echo |cat |npm run invoke )/;

/** Every other command, and the test that runs it (or why none can). */
const EXERCISED_ELSEWHERE: Record<string, string> = {
  "npm ci": ".ci/run, on a clean clone",
  "npm run synth": ".ci/run without AWS credentials, and the rehearsal's cdktf deploy phase",
  "npm pack": "__tests__/package.test.ts (scripts/pack-and-consume.ts)",
  "npm install ../cdktf-neuronx-patterns/cdktf-neuronx-patterns-0.1.0.tgz cdktf constructs @cdktf/provider-aws @cdktf/provider-null":
    "__tests__/package.test.ts runs this line, with the tarball's path and the peers at their tested versions",
  "npx cdktf deploy chat": "the rehearsal's cdktf phase runs npx cdktf deploy on the example app's stacks, against the emulator",
  "npx cdktf deploy --auto-approve compile endpoint": "the rehearsal's cdktf phase, against the emulator",
  "npx cdktf destroy chat": "the rehearsal's cdktf phase runs npx cdktf destroy on the example app's stacks, against the emulator",
  "(cd cdktf.out/stacks/compile && terraform init && terraform apply)": "the rehearsal's happy path, in each stack's directory",
  "(cd cdktf.out/stacks/endpoint && terraform init && terraform apply)": "the rehearsal's happy path, in each stack's directory",
  "NEURONX_BACKEND=s3 NEURONX_STATE_BUCKET=acme-terraform-state npm run synth":
    "the Terraform tier validates the S3 backend; the rehearsal applies with S3 state in the emulator",
  "terraform login": "not run by a test: it needs a Terraform Cloud account (the cloud backend is validated in the Terraform tier)",
  "NEURONX_BACKEND=cloud NEURONX_TFC_ORGANIZATION=acme npm run synth": "the Terraform tier's Terraform Cloud backend variant",
  "npm run synth:hcl": "__tests__/synth-hcl.test.ts, with Node.js only; the Terraform tier validates its output",
  "cd modules/examples/compile-and-serve": "the rehearsal's HCL modules phase",
  "terraform init": "the rehearsal's HCL modules phase",
  "terraform apply": "the rehearsal's HCL modules phase (with the emulator's variables)",
};

describe("the README", () => {
  test("includes each file of examples/ verbatim, and has no other TypeScript block (npm run generate:readme)", () => {
    expect(renderReadme(readme)).toBe(readme);
    const examples = fs.readdirSync(path.join(ROOT, "examples")).map((f) => `examples/${f}`);
    expect([...includedExamples(readme)].sort()).toEqual(examples.sort());
    expect(readme.match(/^ *```(ts|typescript)$/gm)?.length).toBe(examples.length);
  });

  test("runs or names the test of each of its shell commands", () => {
    const commands = shellBlocks(readme).flat();
    expect(commands.filter((c) => !RUN_HERE.test(c) && !(c in EXERCISED_ELSEWHERE))).toEqual([]);
    expect(Object.keys(EXERCISED_ELSEWHERE).filter((c) => !commands.includes(c))).toEqual([]);
    for (const block of shellBlocks(readme))
      expect(block.every((c) => RUN_HERE.test(c)) || !block.some((c) => RUN_HERE.test(c))).toBe(true);
  });

  test("names npm scripts that exist, and files that exist", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
    for (const doc of ["README.md", "CONTRIBUTING.md", "docs/design.md"]) {
      const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
      for (const [, script] of text.matchAll(/npm run (?:-s |--silent )?([\w:-]+)/g)) expect(scripts).toContain(script);
      for (const [, link] of text.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g))
        expect(fs.existsSync(path.join(ROOT, path.dirname(doc), link))).toBe(true);
    }
  });

  test("gives the package test its install command", () => {
    expect(installArgs("/tmp/x.tgz")).toEqual([
      "install",
      "/tmp/x.tgz",
      "cdktf@0.21.0",
      "constructs@10.4.2",
      "@cdktf/provider-aws@21.22.1",
      "@cdktf/provider-null@11.0.1",
    ]);
  });
});

/** What each example must synthesize: its providers, and resources by type with their count. */
const EXAMPLE_STACKS: Record<string, { providers: string[]; resources: Record<string, number> }> = {
  "examples/public-model.ts": { providers: ["aws", "null"], resources: { null_resource: 1, aws_sagemaker_endpoint: 1 } },
  "examples/gated-model.ts": { providers: ["aws", "null"], resources: { null_resource: 1, aws_sagemaker_endpoint: 1 } },
  "examples/lambda-chat.ts": { providers: ["aws"], resources: { aws_lambda_function: 1, aws_lambda_function_url: 1, aws_lambda_alias: 1 } },
  "examples/optimum-neuron.ts": { providers: ["aws", "null"], resources: { null_resource: 1, aws_sagemaker_endpoint: 1 } },
  "examples/triton-endpoint.ts": {
    providers: ["aws"],
    resources: { aws_s3_object: 1, aws_s3_object_copy: 1, aws_sagemaker_model: 1, aws_sagemaker_endpoint: 1 },
  },
};

describe.each(includedExamples(readme))("the README's %s", (file) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-example-"));
  // The example is a main.ts: it synthesizes when loaded, into CDKTF_OUTDIR as under cdktf synth.
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  jest.isolateModules(() => require(path.join(ROOT, file)));
  process.env.CDKTF_OUTDIR = previous;
  const [stackId] = fs.readdirSync(path.join(outdir, "stacks"));
  const text = fs.readFileSync(path.join(outdir, "stacks", stackId, "cdk.tf.json"), "utf8");
  const stack = JSON.parse(text);

  test("synthesizes one stack with its providers and what it is about", () => {
    expect(fs.readdirSync(path.join(outdir, "stacks"))).toHaveLength(1);
    const expected = EXAMPLE_STACKS[file];
    expect(expected).toBeDefined(); // a new example says here what it must synthesize
    expect(Object.keys(stack.provider).sort()).toEqual(expected.providers);
    for (const [type, count] of Object.entries(expected.resources))
      expect([type, Object.keys(stack.resource[type] ?? {}).length]).toEqual([type, count]);
  });

  test("keeps local state beside the project by a relative path, and holds no absolute path", () => {
    expect(stack.terraform.backend).toEqual({ local: { path: `../../../terraform.${stackId}.tfstate` } });
    for (const absolute of [outdir, ROOT, os.tmpdir(), os.homedir()]) expect(text).not.toContain(absolute);
  });

  if (file.includes("gated")) {
    test("gives the compile instance the token secret's ARN, never its value", () => {
      // A reference reaches the shell single-quoted by Terraform itself (lib/user-data.ts shellQuote).
      const arn = "data.aws_secretsmanager_secret.HuggingFaceToken.arn";
      expect(stack.locals.compile_user_data).toContain(`NEURONX_HF_TOKEN_SECRET_ARN='\${replace(${arn}, "'", "'\\\\''")}'`);
      expect(text).not.toMatch(/secret_string|aws_secretsmanager_secret_version/);
    });
  }
});

describe("the README's commands that run here, against moto", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => moto?.stop());

  const env = () => ({
    ...moto.env,
    PATH: `${path.join(ROOT, ".venv", "bin")}:${process.env.PATH}`,
    HOME: process.env.HOME ?? "",
    AWS_DEFAULT_REGION: "us-east-1", // the AWS CLI v1 reads this one, not AWS_REGION
    HF_TOKEN: "hf_readme_example",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  const runBlock = (block: string[]) => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-readme-"));
    return block.map((command) => {
      // npm run invoke is a script of this repository; the rest runs where a user would, in any directory.
      const r = spawnSync("sh", ["-c", command], { cwd: command.startsWith("npm run") ? ROOT : cwd, env: env(), encoding: "utf8" });
      return { command, status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
    });
  };
  async function queueAnswer(...answers: string[]) {
    const results = answers.map((text) => ({ Body: JSON.stringify({ generated_text: text }), ContentType: "application/json" }));
    const r = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
      method: "POST",
      body: JSON.stringify({ results, region: "us-east-1", account_id: "123456789012" }),
    });
    expect(r.status).toBe(201);
  }
  const blocks = shellBlocks(readme).filter((block) => block.some((c) => RUN_HERE.test(c)));

  test("creates the token secret as the README says, with the token as its secret string", () => {
    const block = blocks.find((b) => b.some((c) => c.startsWith("aws secretsmanager create-secret")));
    const results = runBlock(block!);
    expect(results.map((r) => [r.status, r.stderr])).toEqual(results.map(() => [0, ""]));
    const value = spawnSync(
      "aws",
      ["secretsmanager", "get-secret-value", "--secret-id", "hugging-face-token", "--query", "SecretString", "--output", "text"],
      {
        env: env(),
        encoding: "utf8",
      },
    );
    expect(value.stdout.trim()).toBe("hf_readme_example");
  }, 60_000);

  test("invokes the endpoint with the AWS CLI and prints the answer", async () => {
    await queueAnswer("2");
    const block = blocks.find((b) => b.some((c) => c.startsWith("aws sagemaker-runtime invoke-endpoint")));
    const results = runBlock(block!);
    expect(results.map((r) => [r.status, r.stderr])).toEqual(results.map(() => [0, ""]));
    expect(JSON.parse(results[results.length - 1].stdout)).toEqual({ generated_text: "2" });
  }, 60_000);

  test("invokes the example app's endpoint with npm run invoke", async () => {
    const block = blocks.find((b) => b.every((c) => c.startsWith("npm run invoke")))!;
    await queueAnswer(...block.map((_, i) => `answer ${i}`));
    const results = runBlock(block);
    expect(results.map((r) => r.status)).toEqual(block.map(() => 0));
    expect(results.map((r) => r.stdout.trim().split("\n").pop())).toEqual(block.map((_, i) => `answer ${i}`));
  }, 60_000);

  test("asks an asynchronous endpoint with npm run invoke --async", async () => {
    const block = blocks.find((b) => b.some((c) => c.includes(" --async ")))!;
    const bucket = /s3:\/\/([^/]+)\//.exec(block[0])![1];
    expect((await fetch(`${moto.url}/${bucket}`, { method: "PUT" })).status).toBe(200);
    const r = await fetch(`${moto.url}/moto-api/static/sagemaker/async-endpoint-results`, {
      method: "POST",
      body: JSON.stringify({ results: [{ data: JSON.stringify({ generated_text: "a summary" }) }], region: "us-east-1" }),
    });
    expect(r.status).toBe(201);
    const results = runBlock(block);
    // npm prints its banner first; the answer is the last line.
    expect(results.map((x) => [x.status, x.stdout.trim().split("\n").pop()])).toEqual([[0, "a summary"]]);
    expect(results[0].stderr).toMatch(/^queued s3:\/\/my-bucket\/async-inputs\/my-async-endpoint-/);
  }, 60_000);

  test("asks an optimum-neuron endpoint with npm run invoke --api openai", async () => {
    const block = blocks.find((b) => b.every((c) => c.includes(" --api openai ")))!;
    const results = block.map((_, i) => ({
      Body: JSON.stringify({ object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: `vllm ${i}` } }] }),
      ContentType: "application/json",
    }));
    const r = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
      method: "POST",
      body: JSON.stringify({ results, region: "us-east-1", account_id: "123456789012" }),
    });
    expect(r.status).toBe(201);
    const ran = runBlock(block);
    expect(ran.map((x) => [x.status, x.stdout.trim().split("\n").pop()])).toEqual(block.map((_, i) => [0, `vllm ${i}`]));
  }, 60_000);

  test("has no other block that runs here", () => {
    expect(blocks).toHaveLength(5);
  });
});

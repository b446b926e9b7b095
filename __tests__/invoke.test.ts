import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ModelError } from "@aws-sdk/client-sagemaker-runtime";
import { DeleteObjectCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import {
  ASYNC_WAIT_DEFAULTS,
  HELP,
  UsageError,
  clientConfig,
  describeError,
  invokeAsync,
  parseCommandLine,
  parseS3Uri,
  requestBody,
  requestKey,
} from "../scripts/invoke";
import { Moto, startMoto } from "./helpers/moto";

const ROOT = path.join(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

function run(args: string[], env: Record<string, string>) {
  // The SDK warns on stderr that its 2027 releases need Node 22; true, and not what these tests read.
  const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  const r = spawnSync(TSX, ["scripts/invoke.ts", ...args], { cwd: ROOT, env: { ...base, ...env }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An OpenAI chat completion as vLLM 0.11's OpenAI server answers it (ChatCompletionResponse). */
const chatCompletion = (content: string) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1764676800,
    model: "meta-llama/Meta-Llama-3-8B-Instruct",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 14, completion_tokens: 1, total_tokens: 15 },
  });

describe("npm run invoke", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => moto?.stop());

  // moto answers InvokeEndpoint with the results queued here, in order, for the region the request is signed for.
  async function queue(...bodies: string[]) {
    await queueIn("us-east-1", ...bodies);
  }
  async function queueIn(region: string, ...bodies: string[]) {
    const results = bodies.map((Body) => ({ Body, ContentType: "application/json" }));
    const r = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
      method: "POST",
      body: JSON.stringify({ results, region, account_id: "123456789012" }),
    });
    expect(r.status).toBe(201);
  }

  /** A profile-based setup: no region or key variables; shared config and credentials files with two profiles. */
  function withProfiles(): Record<string, string> {
    const { AWS_REGION: _r, AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...env } = moto.env;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-aws-config-"));
    fs.writeFileSync(path.join(dir, "config"), "[default]\nregion = eu-west-1\n\n[profile team]\nregion = us-west-2\n");
    const keys = "aws_access_key_id = testing\naws_secret_access_key = testing\n";
    fs.writeFileSync(path.join(dir, "credentials"), `[default]\n${keys}\n[team]\n${keys}`);
    return { ...env, AWS_CONFIG_FILE: path.join(dir, "config"), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials") };
  }

  test("--help prints the usage and the options, and nothing else", () => {
    const r = run(["--help"], moto.env);
    expect(r).toEqual({ code: 0, stdout: `${HELP}\n`, stderr: "" });
    expect(HELP).toMatch(/^usage: npm run invoke -- --endpoint NAME/);
  });

  test.each([
    ["the default profile's region", [], {}, "eu-west-1"],
    ["AWS_PROFILE's region", [], { AWS_PROFILE: "team" }, "us-west-2"],
    ["--profile's region", ["--profile", "team"], {}, "us-west-2"],
    ["AWS_DEFAULT_REGION (the AWS CLI's variable) before the profile's", [], { AWS_DEFAULT_REGION: "ap-south-1" }, "ap-south-1"],
    ["AWS_REGION before AWS_DEFAULT_REGION", [], { AWS_REGION: "sa-east-1", AWS_DEFAULT_REGION: "ap-south-1" }, "sa-east-1"],
    ["--region before everything", ["--region", "ca-central-1"], { AWS_REGION: "sa-east-1", AWS_PROFILE: "team" }, "ca-central-1"],
  ])(
    "without AWS_REGION, finds the region in %s",
    async (_where, args, env, region) => {
      // The answer is queued for that region only: another region would get moto's default answer.
      await queueIn(region, JSON.stringify({ generated_text: `from ${region}` }));
      const r = run(["--endpoint", "chat", ...args, "hi"], { ...withProfiles(), ...env });
      expect(r).toEqual({ code: 0, stdout: `from ${region}\n`, stderr: "" });
    },
    30_000,
  );

  test("fails with where to set a region when there is none", () => {
    const r = run(["--endpoint", "chat", "hi"], { ...withProfiles(), AWS_CONFIG_FILE: "/dev/null" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "invoke chat failed: no AWS region: give --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set the profile's region (aws configure set region REGION)\n",
    );
  }, 30_000);

  test("prints the generated text", async () => {
    await queue(JSON.stringify({ generated_text: "2" }));
    const r = run(["--endpoint", "chat", "what is 1+1?"], moto.env);
    expect(r).toEqual({ code: 0, stdout: "2\n", stderr: "" });
  }, 30_000);

  test("--api openai prints the assistant's message of the chat completion", async () => {
    await queue(chatCompletion("2"));
    const r = run(["--endpoint", "vllm", "--api", "openai", "what is 1+1?"], moto.env);
    expect(r).toEqual({ code: 0, stdout: "2\n", stderr: "" });
  }, 30_000);

  test("--api openai fails with vLLM's error message, or with what the endpoint answered", async () => {
    await queue(
      JSON.stringify({
        error: { message: "This model's maximum context length is 4096 tokens.", type: "BadRequestError", param: null, code: 400 },
      }),
      JSON.stringify({ generated_text: "2" }),
    );
    const error = run(["--endpoint", "vllm", "--api", "openai", "hi"], moto.env);
    expect([error.code, error.stderr]).toEqual([
      1,
      "invoke vllm failed: Error: the endpoint answered an error: This model's maximum context length is 4096 tokens.\n",
    ]);
    // moto answers a repeated request (same endpoint and body) as before: another question takes the next result.
    const other = run(["--endpoint", "vllm", "--api", "openai", "hello"], moto.env);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /the endpoint did not answer an OpenAI chat completion .*; it answered "\{\\"generated_text\\":\\"2\\"\}"/,
    );
  }, 30_000);

  test("fails with what the endpoint answered when it is not the chat contract", async () => {
    await queue("<html>oops</html>");
    const r = run(["--endpoint", "chat2", "hello?"], moto.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /invoke chat2 failed: Error: the endpoint did not answer \{"generated_text": \.\.\.\}; it answered "<html>oops<\/html>"/,
    );
  }, 30_000);

  test("fails with the SDK's message when the service cannot be reached", () => {
    const r = run(["--endpoint", "chat", "hello?"], { ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^invoke chat failed: \w+: .*ECONNREFUSED/s);
  }, 30_000);

  test("fails with the SDK's message without credentials", () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...env } = moto.env;
    const r = run(["--endpoint", "chat", "hello?"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invoke chat failed: CredentialsProviderError: /);
  }, 30_000);

  test.each([
    [["hello?"], /--endpoint is required/],
    [["--endpoint", "chat"], /give one question, in quotes/],
    [["--endpoint", "chat", "--max-new-tokens", "many", "hi"], /--max-new-tokens must be a positive whole number, got "many"/],
    [["--endpoint", "chat", "--bogus", "hi"], /^Unknown option '--bogus'\nusage:/],
    [["--endpoint", "chat", "--api", "tgi", "hi"], /^--api must be one of neuronx, openai, got "tgi"/],
    [["--endpoint", "chat", "--api", "openai", "--role", "ai", "hi"], /^--role goes with --api neuronx/],
    [["--endpoint", "chat", "--model", "m", "hi"], /^--model goes with --api openai/],
  ])(
    "exits 2 with the usage for %j",
    (args, message) => {
      const r = run(args, moto.env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/usage: npm run invoke -- --endpoint NAME/);
    },
    30_000,
  );
});

describe("npm run invoke -- --async", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    // The bucket callers put requests in (the endpoint's asyncInference input location).
    expect((await fetch(`${moto.url}/requests`, { method: "PUT" })).status).toBe(200);
  }, 60_000);
  afterAll(async () => moto?.stop());

  // moto answers InvokeEndpointAsync with the next queued result, written to S3 at once; a failure goes to its failure location.
  async function queueAsync(...results: { data: string; is_failure?: boolean }[]) {
    const r = await fetch(`${moto.url}/moto-api/static/sagemaker/async-endpoint-results`, {
      method: "POST",
      body: JSON.stringify({ results, region: "us-east-1", account_id: "123456789012" }),
    });
    expect(r.status).toBe(201);
  }
  const s3 = () =>
    new S3Client({ region: "us-east-1", endpoint: moto.url, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

  test("puts the request in S3, invokes asynchronously, waits and prints the response", async () => {
    await queueAsync({ data: JSON.stringify({ generated_text: "4" }) });
    const r = run(["--endpoint", "chat", "--async", "--input-location", "s3://requests/in/", "--poll", "1", "what is 2+2?"], moto.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("4\n");
    const queued =
      /^queued (s3:\/\/requests\/in\/chat-[0-9a-f-]{36}\.json) as inference [0-9a-f-]{36}; waiting for s3:\/\/\S+ or s3:\/\/\S+\n$/.exec(
        r.stderr,
      );
    expect(queued).not.toBeNull();
    // The request SageMaker reads is the chat contract's.
    const { bucket, key } = parseS3Uri(queued![1]);
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({ messages: [{ role: "user", content: "what is 2+2?" }] });
    expect(object.ContentType).toBe("application/json");
  }, 30_000);

  test("--api openai: the request in S3 is an OpenAI chat completion request, the answer its message", async () => {
    await queueAsync({ data: chatCompletion("4") });
    const r = run(
      ["--endpoint", "vllm", "--api", "openai", "--async", "--input-location", "s3://requests/in/", "--poll", "1", "what is 2+2?"],
      moto.env,
    );
    expect([r.code, r.stdout]).toEqual([0, "4\n"]);
    const { bucket, key } = parseS3Uri(/^queued (\S+) /.exec(r.stderr)![1]);
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({
      messages: [{ role: "user", content: "what is 2+2?" }],
      temperature: 0,
    });
  }, 30_000);

  test("fails with the failure object's content when the request failed", async () => {
    await queueAsync({ is_failure: true, data: "ModelError: the model could not load onto the NeuronCores" });
    const r = run(["--endpoint", "chat", "--async", "--input-location", "s3://requests/in", "--poll", "1", "hi"], moto.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /invoke chat failed: Error: the request failed: ModelError: the model could not load onto the NeuronCores \(s3:\/\/\S+\)\n$/,
    );
  }, 30_000);

  test("times out, with progress, when no response appears; says where it will appear", async () => {
    const options = parseCommandLine([
      "--endpoint",
      "slow",
      "--async",
      "--input-location",
      "s3://requests/in/",
      "--timeout",
      "2",
      "--poll",
      "0.5",
      "hi",
    ]);
    const config = { region: "us-east-1", endpoint: moto.url, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
    const clients = { runtime: new SageMakerRuntimeClient(config), s3: s3() };
    await queueAsync({ data: JSON.stringify({ generated_text: "late" }) });
    const lines: string[] = [];
    expect(await invokeAsync(options, (l) => lines.push(l), clients, "fixed")).toBe("late");
    // moto writes the response at once and answers the same input location with the same locations: with the
    // response removed, the second request's response is still to come, as while SageMaker runs it.
    const output = /waiting for (s3:\/\/\S+) or/.exec(lines[0])![1];
    await clients.s3.send(new DeleteObjectCommand({ Bucket: parseS3Uri(output).bucket, Key: parseS3Uri(output).key }));
    lines.length = 0;
    const started = Date.now();
    await expect(invokeAsync(options, (l) => lines.push(l), clients, "fixed")).rejects.toThrow(
      new RegExp(
        `^no response after 2 s \\(--timeout 2\\); inference [0-9a-f-]{36} may still run: its response will be at ${output.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(lines[0]).toMatch(/^queued s3:\/\/requests\/in\/slow-fixed\.json as inference/);
    expect(lines.slice(1).every((l) => /^waiting for inference [0-9a-f-]{36}: \d+ s of 2 s$/.test(l))).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(4);
  }, 30_000);

  test.each([
    [["--endpoint", "chat", "--async", "hi"], /--async needs --input-location s3:\/\/bucket\/prefix\//],
    [["--endpoint", "chat", "--input-location", "s3://requests/in/", "hi"], /--input-location goes with --async/],
    [
      ["--endpoint", "chat", "--async", "--input-location", "/tmp/in", "hi"],
      /--input-location must be s3:\/\/bucket\/prefix\/, got "\/tmp\/in"/,
    ],
    [
      ["--endpoint", "chat", "--async", "--input-location", "s3://requests/", "--timeout", "0", "hi"],
      /--timeout must be a positive number, got "0"/,
    ],
  ])(
    "exits 2 with the usage for %j",
    (args, message) => {
      const r = run(args, moto.env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    },
    30_000,
  );
});

describe("the invoke client", () => {
  test("--async's defaults and the request's key", () => {
    expect(parseCommandLine(["--endpoint", "e", "--async", "--input-location", "s3://bkt/p", "hi"]).async).toEqual({
      inputLocation: "s3://bkt/p",
      timeoutSeconds: ASYNC_WAIT_DEFAULTS.timeoutSeconds,
      pollSeconds: ASYNC_WAIT_DEFAULTS.pollSeconds,
    });
    expect(requestKey("s3://b/p", "e", "1")).toEqual({ bucket: "b", key: "p/e-1.json" });
    expect(requestKey("s3://b/p/", "e", "1")).toEqual({ bucket: "b", key: "p/e-1.json" });
    expect(requestKey("s3://b", "e", "1")).toEqual({ bucket: "b", key: "e-1.json" });
  });

  test("sends the chat contract's request", () => {
    const options = parseCommandLine([
      "--endpoint",
      "e",
      "--system",
      "be brief",
      "--role",
      "ai",
      "--max-new-tokens",
      "16",
      "--temperature",
      "0.5",
      "hi",
    ]);
    expect(JSON.parse(requestBody(options))).toEqual({
      role: "ai",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      parameters: { max_new_tokens: 16, temperature: 0.5, do_sample: true },
    });
    expect(JSON.parse(requestBody(parseCommandLine(["--endpoint", "e", "hi"])))).toEqual({ messages: [{ role: "user", content: "hi" }] });
  });

  test("sends OpenAI's chat completion request with --api openai: greedy unless --temperature, max_tokens, the model if named", () => {
    const options = parseCommandLine([
      "--endpoint",
      "e",
      "--api",
      "openai",
      "--model",
      "meta-llama/Meta-Llama-3-8B-Instruct",
      "--system",
      "be brief",
      "--max-new-tokens",
      "16",
      "--temperature",
      "0.5",
      "hi",
    ]);
    expect(JSON.parse(requestBody(options))).toEqual({
      model: "meta-llama/Meta-Llama-3-8B-Instruct",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      max_tokens: 16,
      temperature: 0.5,
    });
    expect(JSON.parse(requestBody(parseCommandLine(["--endpoint", "e", "--api", "openai", "hi"])))).toEqual({
      messages: [{ role: "user", content: "hi" }],
      temperature: 0,
    });
  });

  test("reports a model error with the model's own status and message", () => {
    const error = new ModelError({
      $metadata: {},
      message: "Received client error (400) from primary",
      OriginalStatusCode: 400,
      OriginalMessage: "messages[0].role must be one of system, user, assistant, got 'bot'\n",
      LogStreamArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/chat",
    });
    expect(describeError(error)).toBe(
      "the model answered 400: messages[0].role must be one of system, user, assistant, got 'bot' (log stream arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/chat)",
    );
  });

  test("passes --region and --profile to the SDK, and leaves the rest to its own resolution", () => {
    const o = parseCommandLine(["--endpoint", "e", "--profile", "team", "hi"]);
    expect(clientConfig(o, {})).toEqual({ profile: "team" });
    expect(clientConfig(o, { AWS_DEFAULT_REGION: "eu-west-3" })).toEqual({ profile: "team", region: "eu-west-3" });
    expect(clientConfig(parseCommandLine(["--endpoint", "e", "--region", "us-east-2", "hi"]), { AWS_REGION: "x" })).toEqual({
      region: "us-east-2",
    });
  });

  test("usage errors are UsageErrors", () => {
    expect(() => parseCommandLine([])).toThrow(UsageError);
  });
});

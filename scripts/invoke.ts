// `npm run invoke -- --endpoint NAME [options] "question"`: asks a chat endpoint and prints its answer: one of
// the default inference code (`--api neuronx`, the default), or the vLLM Neuron container of an
// OptimumNeuronSageMakerRealtimeInferenceEndpoint (`--api openai`: an OpenAI chat completion request, which vLLM's
// /invocations answers as /v1/chat/completions does). Exits 1 with the service's message when the call fails,
// 2 on a usage error, 0 with the usage for --help. Credentials come from the AWS SDK's usual sources
// (the environment, the shared config and credentials files, --profile or AWS_PROFILE); so does the
// region, after --region, AWS_REGION and AWS_DEFAULT_REGION (the AWS CLI's variable, which the SDK
// for JavaScript does not read). With --async, it asks an asynchronous endpoint: puts the request in S3, calls
// InvokeEndpointAsync and waits for the response or failure object, with progress on stderr and a timeout.
import { randomUUID } from "crypto";
import { parseArgs } from "util";
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const USAGE = `usage: npm run invoke -- --endpoint NAME [--region REGION] [--profile PROFILE] [--system TEXT]
                         [--api neuronx|openai] [--model NAME] [--role ROLE] [--max-new-tokens N] [--temperature T]
                         [--async --input-location S3URI [--timeout SECONDS] [--poll SECONDS]] "question"`;

/** The wait's defaults: an hour, SageMaker's longest asynchronous invocation, and a look every 10 seconds. */
export const ASYNC_WAIT_DEFAULTS = { timeoutSeconds: 3600, pollSeconds: 10 } as const;

/** --help: the usage and what each option means. */
export const HELP = `${USAGE}

Asks a SageMaker chat endpoint one question and prints the answer.

  --endpoint NAME       the endpoint name (the endpoint stack's endpoint_name output)
  --region REGION       its region; default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
  --profile PROFILE     a profile of the shared AWS config files; default: AWS_PROFILE, then "default"
  --system TEXT         a system message before the question
  --api API             the endpoint's chat API: "neuronx" (default), the default inference code's
                        ({"messages", "parameters"} -> {"generated_text"}), or "openai", an OpenAI chat
                        completion (the vLLM Neuron container of an optimum-neuron endpoint)
  --model NAME          with --api openai, the model name the request carries (the endpoint's served
                        name, its Hugging Face model id); default: none, vLLM serves its one model
  --role ROLE           with --api neuronx, the name of the answering role (default "assistant")
  --max-new-tokens N    most tokens to generate
  --temperature T       sample with this temperature (default: greedy)
  --async               the endpoint is asynchronous (asyncInference): put the request in S3, call
                        InvokeEndpointAsync and wait for the response or failure in S3
  --input-location URI  with --async, where requests go, s3://bucket/prefix/ (the endpoint's
                        execution role reads below it: its asyncInference.inputPath, or the
                        created bucket's async-inputs/ prefix)
  --timeout SECONDS     with --async, how long to wait (default ${ASYNC_WAIT_DEFAULTS.timeoutSeconds}); an endpoint scaled to zero
                        first waits for an instance (its coldStartSeconds)
  --poll SECONDS        with --async, seconds between looks at S3 (default ${ASYNC_WAIT_DEFAULTS.pollSeconds})
  --help                this text

Exits 0 with the answer, 1 when the call fails (with the service's or the model's message; with
--async also when the request failed or the wait timed out), 2 on a usage error.`;

/** The user asked for --help: not an error. */
export class HelpRequested extends Error {}

/** A usage error: exit code 2. */
export class UsageError extends Error {}

/** The chat APIs the client speaks. */
export const CHAT_APIS = ["neuronx", "openai"] as const;

/** A chat API: the default inference code's, or OpenAI's chat completions (vLLM). */
export type ChatApi = (typeof CHAT_APIS)[number];

/** The chat request for a question, per the endpoint's chat API. */
export interface InvokeOptions {
  readonly endpoint: string;
  /** The endpoint's chat API. @default "neuronx" */
  readonly api?: ChatApi;
  /** With api "openai", the model name the request carries. */
  readonly model?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly question: string;
  readonly system?: string;
  readonly role?: string;
  readonly maxNewTokens?: number;
  readonly temperature?: number;
  /** Ask an asynchronous endpoint, with requests under this S3 location. */
  readonly async?: { readonly inputLocation: string; readonly timeoutSeconds: number; readonly pollSeconds: number };
}

/** Reads the command line. */
export function parseCommandLine(argv: string[]): InvokeOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        endpoint: { type: "string" },
        region: { type: "string" },
        profile: { type: "string" },
        system: { type: "string" },
        api: { type: "string" },
        model: { type: "string" },
        role: { type: "string" },
        "max-new-tokens": { type: "string" },
        temperature: { type: "string" },
        async: { type: "boolean" },
        "input-location": { type: "string" },
        timeout: { type: "string" },
        poll: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    // Node's message ends in a quoted example whose quote it never closes; the first sentence says it all.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(`${message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new HelpRequested(HELP);
  if (!values.endpoint) throw new UsageError(`--endpoint is required\n${USAGE}`);
  if (positionals.length !== 1 || !positionals[0].trim()) throw new UsageError(`give one question, in quotes\n${USAGE}`);
  const number = (name: string, text: string | undefined, integer: boolean) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n <= 0) {
      throw new UsageError(`--${name} must be a positive ${integer ? "whole number" : "number"}, got ${JSON.stringify(text)}\n${USAGE}`);
    }
    return n;
  };
  const api = values.api ?? "neuronx";
  if (!(CHAT_APIS as readonly string[]).includes(api)) {
    throw new UsageError(`--api must be one of ${CHAT_APIS.join(", ")}, got ${JSON.stringify(api)}\n${USAGE}`);
  }
  if (api === "openai" && values.role !== undefined)
    throw new UsageError(`--role goes with --api neuronx (OpenAI's answer is always the assistant's)\n${USAGE}`);
  if (api !== "openai" && values.model !== undefined) throw new UsageError(`--model goes with --api openai\n${USAGE}`);
  const asyncOnly = (["input-location", "timeout", "poll"] as const).filter((o) => values[o] !== undefined);
  if (!values.async && asyncOnly.length > 0) throw new UsageError(`--${asyncOnly[0]} goes with --async\n${USAGE}`);
  const inputLocation = values["input-location"];
  if (values.async && inputLocation === undefined) throw new UsageError(`--async needs --input-location s3://bucket/prefix/\n${USAGE}`);
  if (inputLocation !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(inputLocation)) {
    throw new UsageError(`--input-location must be s3://bucket/prefix/, got ${JSON.stringify(inputLocation)}\n${USAGE}`);
  }
  return {
    endpoint: values.endpoint,
    api: api as ChatApi,
    model: values.model,
    region: values.region,
    profile: values.profile,
    question: positionals[0],
    system: values.system,
    role: values.role,
    maxNewTokens: number("max-new-tokens", values["max-new-tokens"], true),
    temperature: number("temperature", values.temperature, false),
    async: values.async
      ? {
          inputLocation: inputLocation!,
          timeoutSeconds: number("timeout", values.timeout, false) ?? ASYNC_WAIT_DEFAULTS.timeoutSeconds,
          pollSeconds: number("poll", values.poll, false) ?? ASYNC_WAIT_DEFAULTS.pollSeconds,
        }
      : undefined,
  };
}

/**
 * The request body: `{role?, messages, parameters?}` for the default inference code; for OpenAI's chat completions
 * `{model?, messages, max_tokens?, temperature}`, greedy (temperature 0) unless --temperature is given.
 */
export function requestBody(o: InvokeOptions): string {
  const messages = [...(o.system ? [{ role: "system", content: o.system }] : []), { role: "user", content: o.question }];
  if (o.api === "openai") {
    return JSON.stringify({
      ...(o.model !== undefined ? { model: o.model } : {}),
      messages,
      ...(o.maxNewTokens !== undefined ? { max_tokens: o.maxNewTokens } : {}),
      temperature: o.temperature ?? 0,
    });
  }
  const parameters = {
    ...(o.maxNewTokens !== undefined ? { max_new_tokens: o.maxNewTokens } : {}),
    ...(o.temperature !== undefined ? { temperature: o.temperature, do_sample: true } : {}),
  };
  return JSON.stringify({
    ...(o.role ? { role: o.role } : {}),
    messages,
    ...(Object.keys(parameters).length ? { parameters } : {}),
  });
}

/** What went wrong, in one line: the model's own status and message for a ModelError. */
export function describeError(error: unknown): string {
  if (error instanceof ModelError) {
    const status = error.OriginalStatusCode ? ` ${error.OriginalStatusCode}` : "";
    const log = error.LogStreamArn ? ` (log stream ${error.LogStreamArn})` : "";
    return `the model answered${status}: ${(error.OriginalMessage ?? error.message).trim()}${log}`;
  }
  if (error instanceof Error && error.message === "Region is missing") {
    return "no AWS region: give --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set the profile's region (aws configure set region REGION)";
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The client's region and profile: --region, then AWS_REGION and AWS_DEFAULT_REGION; without any of
 * them the SDK reads the profile's region from the shared config file (~/.aws/config), as it reads
 * the credentials.
 */
export function clientConfig(o: InvokeOptions, env: NodeJS.ProcessEnv = process.env): { region?: string; profile?: string } {
  const region = o.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  return { ...(region ? { region } : {}), ...(o.profile ? { profile: o.profile } : {}) };
}

/** Invokes the endpoint and returns the generated text. */
export async function invoke(o: InvokeOptions, client = new SageMakerRuntimeClient(clientConfig(o))): Promise<string> {
  const response = await client.send(
    new InvokeEndpointCommand({
      EndpointName: o.endpoint,
      Body: new TextEncoder().encode(requestBody(o)),
      ContentType: "application/json",
      Accept: "application/json",
    }),
  );
  return answerText(new TextDecoder().decode(response.Body), o.api);
}

/** `s3://bucket/key` -> bucket and key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${JSON.stringify(uri)}`);
  return { bucket: m[1], key: m[2] };
}

/** The request's key under the input location: `<prefix>/<endpoint>-<uuid>.json`. */
export function requestKey(inputLocation: string, endpoint: string, id: string = randomUUID()): { bucket: string; key: string } {
  const { bucket, key } = parseS3Uri(inputLocation);
  const prefix = key === "" || key.endsWith("/") ? key : `${key}/`;
  return { bucket, key: `${prefix}${endpoint}-${id}.json` };
}

/** The clients an asynchronous invocation uses. */
export interface AsyncClients {
  readonly runtime: SageMakerRuntimeClient;
  readonly s3: S3Client;
}

/** Where a progress line goes (stderr, so that stdout holds the answer only). */
export type Progress = (line: string) => void;

/**
 * Puts the request in S3, calls InvokeEndpointAsync, then looks for the response or the failure object every
 * `pollSeconds` until `timeoutSeconds`; returns the generated text, or throws with the failure's content or the timeout.
 */
export async function invokeAsync(
  o: InvokeOptions,
  progress: Progress = (line) => process.stderr.write(`${line}\n`),
  clients: AsyncClients = { runtime: new SageMakerRuntimeClient(clientConfig(o)), s3: new S3Client(clientConfig(o)) },
  requestId: string = randomUUID(),
): Promise<string> {
  const wait = o.async!;
  const input = requestKey(wait.inputLocation, o.endpoint, requestId);
  await clients.s3.send(
    new PutObjectCommand({ Bucket: input.bucket, Key: input.key, Body: requestBody(o), ContentType: "application/json" }),
  );
  const inputLocation = `s3://${input.bucket}/${input.key}`;
  const queued = await clients.runtime.send(
    new InvokeEndpointAsyncCommand({
      EndpointName: o.endpoint,
      InputLocation: inputLocation,
      ContentType: "application/json",
      Accept: "application/json",
      InvocationTimeoutSeconds: Math.min(3600, Math.max(1, Math.ceil(wait.timeoutSeconds))),
    }),
  );
  const output = queued.OutputLocation;
  if (!output) throw new Error(`InvokeEndpointAsync answered no OutputLocation (inference ${queued.InferenceId ?? "without an id"})`);
  const failure = queued.FailureLocation;
  progress(`queued ${inputLocation} as inference ${queued.InferenceId}; waiting for ${output}${failure ? ` or ${failure}` : ""}`);
  const started = Date.now();
  for (;;) {
    const answer = await readIfThere(clients.s3, output);
    if (answer !== undefined) return answerText(answer, o.api);
    const failed = failure ? await readIfThere(clients.s3, failure) : undefined;
    if (failed !== undefined) throw new Error(`the request failed: ${failed.trim().slice(0, 2000)} (${failure})`);
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= wait.timeoutSeconds) {
      throw new Error(
        `no response after ${Math.round(elapsed)} s (--timeout ${wait.timeoutSeconds}); inference ${queued.InferenceId} may still run: ` +
          `its response will be at ${output}${failure ? `, a failure at ${failure}` : ""}`,
      );
    }
    progress(`waiting for inference ${queued.InferenceId}: ${Math.round(elapsed)} s of ${wait.timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait.pollSeconds, wait.timeoutSeconds - elapsed) * 1000));
  }
}

/** The object's text, or undefined while it does not exist. */
async function readIfThere(s3: S3Client, uri: string): Promise<string | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body!.transformToString();
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** The answer's text, per the chat API. */
export function answerText(text: string, api: ChatApi = "neuronx"): string {
  return api === "openai" ? chatCompletionText(text) : generatedText(text);
}

/**
 * The assistant's message of an OpenAI chat completion (`choices[0].message.content`); vLLM's error body
 * (`{"error": {"message"}}`, or `{"message"}` in older releases) becomes the error's message.
 */
export function chatCompletionText(text: string): string {
  let answer: any;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const content = answer?.choices?.[0]?.message?.content;
  if (typeof content === "string") return content;
  const message = answer?.error?.message ?? (answer?.object === "error" ? answer?.message : undefined);
  if (typeof message === "string") throw new Error(`the endpoint answered an error: ${message}`);
  throw new Error(
    `the endpoint did not answer an OpenAI chat completion ({"choices": [{"message": ...}]}); it answered ${JSON.stringify(text.slice(0, 200))}`,
  );
}

/** The generated text of the chat contract's answer. */
export function generatedText(text: string): string {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const generated = (answer as { generated_text?: unknown } | undefined)?.generated_text;
  if (typeof generated !== "string") {
    throw new Error(`the endpoint did not answer {"generated_text": ...}; it answered ${JSON.stringify(text.slice(0, 200))}`);
  }
  return generated;
}

async function main(): Promise<number> {
  let options: InvokeOptions;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${error.message}\n`);
      return 0;
    }
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(`${options.async ? await invokeAsync(options) : await invoke(options)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`invoke ${options.endpoint} failed: ${describeError(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}

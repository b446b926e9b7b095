// `npm run invoke -- --endpoint NAME [options] "question"`: asks a chat endpoint of the default
// inference code and prints its answer. Exits 1 with the service's message when the call fails,
// 2 on a usage error, 0 with the usage for --help. Credentials come from the AWS SDK's usual sources
// (the environment, the shared config and credentials files, --profile or AWS_PROFILE); so does the
// region, after --region, AWS_REGION and AWS_DEFAULT_REGION (the AWS CLI's variable, which the SDK
// for JavaScript does not read).
import { parseArgs } from "util";
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";

const USAGE = `usage: npm run invoke -- --endpoint NAME [--region REGION] [--profile PROFILE] [--system TEXT]
                         [--role ROLE] [--max-new-tokens N] [--temperature T] "question"`;

/** --help: the usage and what each option means. */
export const HELP = `${USAGE}

Asks a SageMaker endpoint that runs the default inference code (a chat API) one question and
prints the answer.

  --endpoint NAME       the endpoint name (the endpoint stack's endpoint_name output)
  --region REGION       its region; default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
  --profile PROFILE     a profile of the shared AWS config files; default: AWS_PROFILE, then "default"
  --system TEXT         a system message before the question
  --role ROLE           the name of the answering role in the conversation (default "assistant")
  --max-new-tokens N    most tokens to generate
  --temperature T       sample with this temperature (default: greedy)
  --help                this text

Exits 0 with the answer, 1 when the call fails (with the service's or the model's message), 2 on a
usage error.`;

/** The user asked for --help: not an error. */
export class HelpRequested extends Error {}

/** A usage error: exit code 2. */
export class UsageError extends Error {}

/** The chat request for a question, per the default inference code's contract. */
export interface InvokeOptions {
  readonly endpoint: string;
  readonly region?: string;
  readonly profile?: string;
  readonly question: string;
  readonly system?: string;
  readonly role?: string;
  readonly maxNewTokens?: number;
  readonly temperature?: number;
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
        role: { type: "string" },
        "max-new-tokens": { type: "string" },
        temperature: { type: "string" },
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
  return {
    endpoint: values.endpoint,
    region: values.region,
    profile: values.profile,
    question: positionals[0],
    system: values.system,
    role: values.role,
    maxNewTokens: number("max-new-tokens", values["max-new-tokens"], true),
    temperature: number("temperature", values.temperature, false),
  };
}

/** The request body: `{role?, messages, parameters?}`. */
export function requestBody(o: InvokeOptions): string {
  const messages = [...(o.system ? [{ role: "system", content: o.system }] : []), { role: "user", content: o.question }];
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
  const text = new TextDecoder().decode(response.Body);
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
    process.stdout.write(`${await invoke(options)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`invoke ${options.endpoint} failed: ${describeError(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}

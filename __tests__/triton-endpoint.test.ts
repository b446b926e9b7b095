// TritonSageMakerRealtimeInferenceEndpoint: the Triton recipe on the endpoint core. What it synthesizes (model
// data = the repository's prefix, the user's image, the serve script's environment, no code) and what it refuses.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Construct } from "constructs";
import { ValidationError } from "../lib/errors";
import {
  TRITON_RESERVED_ENVIRONMENT,
  TRITON_SERVING_ENV,
  TritonSageMakerRealtimeInferenceEndpoint,
  TritonSageMakerRealtimeInferenceEndpointProps,
  tritonSharedMemory,
} from "../lib/triton-endpoint";
import { TritonImage } from "../lib/triton-image";
import { TritonNeuronModel, TritonNeuronModelRepository, TritonNeuronModelRepositoryProps } from "../lib/triton-model-repository";
import { Synthesized, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";
import { addSubModel, goldenTritonSpecs } from "./helpers/triton-specs";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tritonserver-neuronx:24.12";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "triton-endpoint-test-"));
const compiled = path.join(tmp, "model.pt");
fs.writeFileSync(compiled, Buffer.alloc(3 * 1024 * 1024)); // 3 MiB

const addSub = (name: string, extra: Partial<TritonNeuronModel> = {}, width = 4) => addSubModel(compiled, name, extra, width);

const SINGLE: Omit<TritonNeuronModelRepositoryProps, "bucket"> = {
  instanceType: "ml.inf2.xlarge",
  neuronSdkVersion: "2.21.0",
  models: [addSub("add_sub", { instanceCount: 2, maxBatchSize: 8 })],
};
/** Two models on 8 NeuronCores behind an ensemble: the golden ensemble repository. */
const ENSEMBLE: Omit<TritonNeuronModelRepositoryProps, "bucket"> = goldenTritonSpecs(compiled).ensemble;

function endpoint(
  repository: Omit<TritonNeuronModelRepositoryProps, "bucket"> = SINGLE,
  props: Partial<TritonSageMakerRealtimeInferenceEndpointProps> = {},
) {
  let construct: TritonSageMakerRealtimeInferenceEndpoint | undefined;
  let repo: TritonNeuronModelRepository | undefined;
  const out = synth((stack: Construct) => {
    repo = new TritonNeuronModelRepository(stack, "Repository", { bucket: "my-models", ...repository });
    construct = new TritonSageMakerRealtimeInferenceEndpoint(stack, "Triton", {
      repository: repo,
      image: TritonImage.fromEcrUri(IMAGE, "2.21.0"),
      ...props,
    });
  });
  return { ...out, construct: construct!, repository: repo! };
}
const problems = (
  repository: Omit<TritonNeuronModelRepositoryProps, "bucket">,
  props: Partial<TritonSageMakerRealtimeInferenceEndpointProps>,
) => {
  const error = thrown(() => endpoint(repository, props));
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${error}`);
  return error.problems;
};
const model = (json: Synthesized) => json.resource.aws_sagemaker_model.triton;
const variant = (json: Synthesized) => json.resource.aws_sagemaker_endpoint_configuration.triton.production_variants[0];

describe("TritonSageMakerRealtimeInferenceEndpoint", () => {
  describe("one model", () => {
    const { json, construct } = endpoint();

    test("serves the repository's prefix as an uncompressed S3Prefix, after every upload, with the user's image", () => {
      expect(model(json).primary_container).toMatchObject({
        image: IMAGE,
        mode: "SingleModel",
        model_data_source: {
          s3_data_source: [{ s3_uri: "s3://my-models/triton/repository/", s3_data_type: "S3Prefix", compression_type: "None" }],
        },
      });
      expect(model(json).depends_on).toEqual([
        "aws_iam_role_policy.triton",
        "aws_s3_object.repository_files",
        "aws_s3_object.repository_add_sub_compiled",
      ]);
    });

    test("uploads no code: Triton's serve script is the entry point and model.py is in the repository", () => {
      expect(Object.keys(json.resource.aws_s3_object).sort()).toEqual(["repository_add_sub_compiled", "repository_files"]);
      expect(Object.keys(model(json).primary_container.environment).filter((k) => k.startsWith("SAGEMAKER_PROGRAM"))).toEqual([]);
    });

    test("loads the one model, with the serve script's shared memory defaults (its batches are small) and no verbose log", () => {
      expect(model(json).primary_container.environment).toEqual({
        SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: "add_sub",
        SAGEMAKER_TRITON_SHM_DEFAULT_BYTE_SIZE: "16777216",
        SAGEMAKER_TRITON_SHM_GROWTH_BYTE_SIZE: "1048576",
        SAGEMAKER_TRITON_LOG_VERBOSE: "false",
      });
    });

    test("runs on the repository's instance type, with the volume and timeouts sized from the compiled models", () => {
      expect(variant(json)).toMatchObject({
        instance_type: "ml.inf2.xlarge",
        volume_size_in_gb: 30,
        model_data_download_timeout_in_seconds: expect.any(Number),
        container_startup_health_check_timeout_in_seconds: expect.any(Number),
      });
      expect(construct.instanceType).toBe("ml.inf2.xlarge");
    });

    test("its role reads the repository's prefix only and pulls the user's image only", () => {
      const statements = Object.fromEntries(json.data.aws_iam_policy_document.triton.statement.map((s: any) => [s.sid, s]));
      expect(statements.ReadModelArtifacts.resources).toEqual([
        "arn:${data.aws_partition.current.partition}:s3:::my-models/triton/repository/*",
      ]);
      expect(statements.ListModelArtifacts.condition[0].values).toEqual(["triton/repository/*"]);
      expect(statements.PullServingImage.resources).toEqual([
        "arn:${data.aws_partition.current.partition}:ecr:us-east-1:123456789012:repository/tritonserver-neuronx",
      ]);
    });

    test("tags its resources with the model it loads", () => {
      expect(json.resource.aws_sagemaker_endpoint.triton.tags).toEqual({
        "neuronx:triton-model": "add_sub",
        ManagedBy: "cdktf-neuronx-patterns",
      });
    });
  });

  test("an ensemble: loads the ensemble by name on the repository's inf2.24xlarge", () => {
    const { json } = endpoint(ENSEMBLE);
    expect(model(json).primary_container.environment.SAGEMAKER_TRITON_DEFAULT_MODEL_NAME).toBe("pipeline");
    expect(variant(json).instance_type).toBe("ml.inf2.24xlarge");
  });

  test("large tensors: shared memory of twice the largest batch, and growth of one batch, in whole MiB", () => {
    // 8 requests of 1,048,576 float32 values: 32 MiB a tensor, 64 MiB for the two inputs (or the two outputs) of a batch.
    const big = { ...SINGLE, models: [addSub("big", { maxBatchSize: 8, compiledBatchSize: 8 }, 1024 * 1024)] };
    const { json } = endpoint(big);
    expect(model(json).primary_container.environment).toMatchObject({
      SAGEMAKER_TRITON_SHM_DEFAULT_BYTE_SIZE: String(128 * 2 ** 20),
      SAGEMAKER_TRITON_SHM_GROWTH_BYTE_SIZE: String(64 * 2 ** 20),
    });
    expect(tritonSharedMemory(1)).toEqual({ defaultBytes: 16 * 2 ** 20, growthBytes: 2 ** 20 });
    expect(tritonSharedMemory(10 * 2 ** 20 + 1)).toEqual({ defaultBytes: 21 * 2 ** 20, growthBytes: 11 * 2 ** 20 });
  });

  test("props over the defaults: instance type, volume, the core's options", () => {
    const { json } = endpoint(SINGLE, {
      instanceType: "ml.inf2.8xlarge",
      volumeSizeGiB: 64,
      instanceCount: 2,
      environment: { LOG_LEVEL: "1" },
    });
    expect(variant(json)).toMatchObject({ instance_type: "ml.inf2.8xlarge", volume_size_in_gb: 64, initial_instance_count: 2 });
    expect(model(json).primary_container.environment.LOG_LEVEL).toBe("1");
  });

  describe("refuses", () => {
    test("an instance type with fewer NeuronCores than the repository's instances use, naming one that fits", () => {
      expect(problems(ENSEMBLE, { instanceType: "ml.inf2.xlarge" })).toEqual([
        "instanceType ml.inf2.xlarge has 2 NeuronCores, but the repository's model instances use 8 (cores 0 to 7); use ml.inf2.24xlarge or give the models fewer instances",
      ]);
    });

    test("a type that is not ml.inf2, and Inf1 with the reason", () => {
      expect(problems(SINGLE, { instanceType: "ml.g5.xlarge" })[0]).toMatch(
        /^instanceType must be one of ml\.inf2\.xlarge, .* got "ml\.g5\.xlarge"$/,
      );
      expect(problems(SINGLE, { instanceType: "ml.inf1.xlarge" })[0]).toMatch(
        /^instanceType ml\.inf1\.xlarge is an Inf1 type: the Neuron SDK no longer supports Inf1/,
      );
    });

    test("an image of another Neuron SDK than the one that traced the models", () => {
      const image = TritonImage.fromEcrUri(IMAGE, "2.25.0");
      expect(problems(SINGLE, { image })).toEqual([
        "image carries the Neuron SDK 2.25.0, but the repository's models were traced with 2.21.0 (its neuronSdkVersion); " +
          "a Neuron model loads only in the runtime of the SDK that traced it, so serve with an image of 2.21.0 or trace again",
      ]);
      expect(() => endpoint({ ...SINGLE, neuronSdkVersion: "2.21" })).not.toThrow();
    });

    test("variables the endpoint sets, and those that would break per-instance core pinning or the single-model layout", () => {
      const environment = Object.fromEntries(
        [...Object.values(TRITON_SERVING_ENV), ...Object.keys(TRITON_RESERVED_ENVIRONMENT)].map((k) => [k, "x"]),
      );
      const found = problems(SINGLE, { environment });
      expect(found).toEqual([
        ...Object.values(TRITON_SERVING_ENV).map(
          (k) => `environment.${k} is set by the endpoint (from the repository); remove it from environment`,
        ),
        ...Object.entries(TRITON_RESERVED_ENVIRONMENT).map(([k, why]) => `environment.${k} must not be set: ${why}`),
      ]);
      // A key every object inherits is not reserved (the core looked it up on a plain object before).
      expect(() => endpoint(SINGLE, { environment: { constructor: "x", toString: "y" } })).not.toThrow();
    });

    test("a repository or image of another kind, naming the Dockerfile to build", () => {
      const found = problems(SINGLE, {
        repository: { s3Uri: "s3://x/" } as never,
        image: "nvcr.io/nvidia/tritonserver:24.12-py3" as never,
      });
      expect(found).toEqual([
        "repository must be a TritonNeuronModelRepository, got an object (s3Uri)",
        expect.stringMatching(
          /^image must be a TritonImage, got "nvcr\.io\/nvidia\/tritonserver:24\.12-py3"; .* build docker\/triton-neuron\/Dockerfile, push it to ECR/,
        ),
      ]);
    });
  });
});

// The endpoint core with a recipe of the test's own, shaped like the coming ones (Triton: a model repository
// prefix, the user's ECR image, its own environment, no code; optimum-neuron: no code either): what the core
// does with what a recipe answers, and that it asks the recipe rather than knowing it.
// The transformers-neuronx recipe is tested in realtime-endpoint.test.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ContainerImageConfig, NeuronxContainerImage } from "../lib/container-images";
import { ValidationError } from "../lib/errors";
import { Validator, show } from "../lib/private/validation";
import { RULES } from "../lib/patterns";
import {
  SageMakerEndpointCode,
  SageMakerEndpointCommonProps,
  SageMakerEndpointRecipe,
  SageMakerEndpointRecipeConfig,
  SageMakerInferenceEndpointBase,
  SageMakerServingImage,
} from "../lib/sagemaker-endpoint-core";
import { Synthesized, synth } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tritonserver-neuronx:24.12";

interface RepositoryEndpointProps extends SageMakerEndpointCommonProps {
  /** The repository's default model. */
  readonly defaultModelName: string;
  /** NeuronCores the repository uses. */
  readonly neuronCores?: number;
  /** The serving image. */
  readonly image?: SageMakerServingImage;
  /** Code to ship, for the recipes that have some. */
  readonly code?: SageMakerEndpointCode;
}

/** Asks of the recipe, in the order the core made them. */
const asked: string[] = [];

class RepositoryRecipe implements SageMakerEndpointRecipe {
  public readonly propsDescription = "the endpoint's props (an object with at least defaultModelName)";
  constructor(private readonly props: RepositoryEndpointProps) {}

  public bind(endpoint: Construct, v: Validator): SageMakerEndpointRecipeConfig {
    asked.push("bind");
    const props = this.props;
    v.string("defaultModelName", props.defaultModelName, RULES.environmentKey, { optional: false });
    const variable = new TerraformVariable(endpoint, "repository_bucket", { type: "string" });
    variable.overrideLogicalId("repository_bucket");
    const bucket = variable.stringValue;
    return {
      modelData: {
        bucketName: bucket,
        bucketArn: `arn:aws:s3:::${bucket}`,
        prefix: "repositories/add-sub/",
        s3Uri: `s3://${bucket}/repositories/add-sub/`,
        dependsOn: [],
        preconditions: [
          { prop: "repository bucket", rule: "bucketName", value: bucket, errorMessage: "The repository bucket must be a bucket name." },
        ],
      },
      code: props.code,
      tags: { "neuronx:repository": "add-sub" },
      defaults: {
        instanceType: "ml.inf2.xlarge",
        volumeSizeGiB: 40,
        modelDataDownloadTimeoutSeconds: 700,
        containerStartupHealthCheckTimeoutSeconds: 900,
      },
      image: { prop: "image", image: props.image ?? NeuronxContainerImage.fromEcrUri(IMAGE, "2.25.0") },
      reservedEnvironment: {
        problem: (key) => (key.startsWith("NEURON_RT_") ? `environment.${key} is pinned per model instance by model.py` : undefined),
        setBy: { SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: "defaultModelName" },
      },
      checkInstanceType: (checks, instanceType) => {
        asked.push("checkInstanceType");
        checks.problems.when(
          instanceType !== "ml.inf2.xlarge" && instanceType !== "ml.inf2.24xlarge",
          () => `instanceType is not an inf2 type for the repository, got ${show(instanceType)}`,
        );
      },
      checkProps: (checks) => {
        asked.push("checkProps");
        checks.integer("neuronCores", props.neuronCores, 1, 24);
      },
      environment: (_checks, context) => {
        asked.push("environment");
        return {
          SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: props.defaultModelName,
          SAGEMAKER_TRITON_LOG_VERBOSE: "false",
          STARTUP_SECONDS: String(context.containerStartupHealthCheckTimeoutSeconds),
          ENDPOINT: context.endpointName,
        };
      },
    };
  }
}

class RepositoryEndpoint extends SageMakerInferenceEndpointBase {
  constructor(scope: Construct, id: string, props: RepositoryEndpointProps) {
    super(scope, id, props, new RepositoryRecipe(props));
  }
}

function endpoint(props: Partial<RepositoryEndpointProps> = {}) {
  asked.length = 0;
  let construct: RepositoryEndpoint | undefined;
  const out = synth((stack) => {
    construct = new RepositoryEndpoint(stack, "Triton", { defaultModelName: "add_sub", ...props });
  });
  return { ...out, construct: construct as RepositoryEndpoint };
}
const problems = (props: Partial<RepositoryEndpointProps>) => {
  const error = thrown(() => endpoint(props));
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${error}`);
  return error.problems;
};
const model = (json: Synthesized) => json.resource.aws_sagemaker_model.triton;
const variant = (json: Synthesized) => json.resource.aws_sagemaker_endpoint_configuration.triton.production_variants[0];

describe("SageMakerInferenceEndpointBase", () => {
  describe("with a recipe that has no code", () => {
    const { json, construct } = endpoint();

    test("uploads nothing, and the model waits for its role policy only", () => {
      expect(json.resource.aws_s3_object).toBeUndefined();
      expect(model(json).depends_on).toEqual(["aws_iam_role_policy.triton"]);
    });

    test("serves the recipe's model data as an uncompressed S3Prefix, with the recipe's image", () => {
      expect(model(json).primary_container).toMatchObject({
        image: IMAGE,
        mode: "SingleModel",
        model_data_source: {
          s3_data_source: [
            { s3_uri: "s3://${var.repository_bucket}/repositories/add-sub/", s3_data_type: "S3Prefix", compression_type: "None" },
          ],
        },
      });
    });

    test("the role reads the recipe's prefix only and pulls the recipe's image", () => {
      const statements = Object.fromEntries(json.data.aws_iam_policy_document.triton.statement.map((s: any) => [s.sid, s]));
      expect(statements.ReadModelArtifacts.resources).toEqual(["arn:aws:s3:::${var.repository_bucket}/repositories/add-sub/*"]);
      expect(statements.ListModelArtifacts.condition[0].values).toEqual(["repositories/add-sub/*"]);
      expect(statements.PullServingImage.resources).toEqual([
        "arn:${data.aws_partition.current.partition}:ecr:us-east-1:123456789012:repository/tritonserver-neuronx",
      ]);
    });

    test("the recipe's model data checks are preconditions of the model and the role policy, before the props' own", () => {
      for (const block of [model(json), json.data.aws_iam_policy_document.triton]) {
        expect(block.lifecycle.precondition.map((p: any) => p.error_message)).toEqual(["The repository bucket must be a bucket name."]);
      }
    });

    test("the environment is the recipe's, given the endpoint name and the startup timeout", () => {
      expect(model(json).primary_container.environment).toEqual({
        SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: "add_sub",
        SAGEMAKER_TRITON_LOG_VERBOSE: "false",
        STARTUP_SECONDS: "900",
        ENDPOINT: "test-triton",
      });
    });

    test("the production variant takes the recipe's sized defaults", () => {
      expect(variant(json)).toMatchObject({
        instance_type: "ml.inf2.xlarge",
        volume_size_in_gb: 40,
        model_data_download_timeout_in_seconds: 700,
        container_startup_health_check_timeout_in_seconds: 900,
        inference_ami_version: "al2-ami-sagemaker-inference-neuron-2",
      });
      expect(construct.instanceType).toBe("ml.inf2.xlarge");
    });

    test("every resource carries the recipe's tags and ManagedBy", () => {
      expect(json.resource.aws_sagemaker_endpoint.triton.tags).toEqual({
        "neuronx:repository": "add-sub",
        ManagedBy: "cdktf-neuronx-patterns",
      });
    });

    test("the core asks the recipe in the order of the props", () => {
      expect(asked).toEqual(["bind", "checkInstanceType", "checkProps", "environment"]);
    });
  });

  describe("with a recipe that has code", () => {
    test("uploads it to <prefix><folder><endpoint name>/ with the recipe's tags, before the model", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "core-code-"));
      fs.writeFileSync(path.join(dir, "model.py"), "X = 1\n");
      const { json } = endpoint({ code: { dir, exclude: [], folder: "scripts/" }, endpointName: "triton-prod" });
      expect(json.resource.aws_s3_object.triton_code).toMatchObject({
        key: "repositories/add-sub/scripts/triton-prod/${each.value}",
        tags: { "neuronx:repository": "add-sub", ManagedBy: "cdktf-neuronx-patterns" },
      });
      expect(model(json).depends_on).toEqual(["aws_iam_role_policy.triton", "aws_s3_object.triton_code"]);
    });
  });

  describe("props over the recipe's defaults", () => {
    test("the startup timeout reaches the recipe's environment", () => {
      const { json } = endpoint({ containerStartupHealthCheckTimeoutSeconds: 1800, volumeSizeGiB: 80, instanceType: "ml.inf2.24xlarge" });
      expect(model(json).primary_container.environment.STARTUP_SECONDS).toBe("1800");
      expect(variant(json)).toMatchObject({ volume_size_in_gb: 80, instance_type: "ml.inf2.24xlarge" });
    });

    test("environment adds to the recipe's", () => {
      expect(model(endpoint({ environment: { LOG_LEVEL: "debug" } }).json).primary_container.environment.LOG_LEVEL).toBe("debug");
    });
  });

  describe("validation", () => {
    test("refuses the recipe's reserved variables, in the recipe's words or with what sets them", () => {
      expect(problems({ environment: { NEURON_RT_VISIBLE_CORES: "0", SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: "x" } })).toEqual([
        "environment.NEURON_RT_VISIBLE_CORES is pinned per model instance by model.py",
        "environment.SAGEMAKER_TRITON_DEFAULT_MODEL_NAME is set by defaultModelName; remove it from environment",
      ]);
    });

    test("collects the recipe's problems and the common props' in one error, in the order of the props", () => {
      const found = problems({
        defaultModelName: "bad-name",
        instanceType: "ml.g5.xlarge",
        instanceCount: 0,
        neuronCores: 99,
        inferenceAmiVersion: "al2-ami-sagemaker-inference-gpu-3-1",
        environment: { NEURON_RT_NUM_CORES: "2" },
        tags: { "aws:x": "y" },
      });
      expect(found.map((p) => p.split(" ")[0])).toEqual([
        "defaultModelName",
        "instanceType",
        "instanceCount",
        "neuronCores",
        "inferenceAmiVersion",
        "environment.NEURON_RT_NUM_CORES",
        "tags",
      ]);
    });

    test("names the recipe's image prop when the image resolves to what SageMaker cannot pull", () => {
      const image: SageMakerServingImage = {
        neuronSdkVersion: "2.25.0",
        bind: (): ContainerImageConfig => ({ imageUri: "docker.io/triton:latest", registry: "docker.io", repositoryArn: IMAGE }),
      };
      const error = thrown(() => endpoint({ image })) as ValidationError;
      expect(error.problems[0]).toMatch(/^image image URI must be a private ECR image/);
    });

    test("refuses props that are not an object in the recipe's words", () => {
      expect(thrown(() => synth((stack) => new RepositoryEndpoint(stack, "Triton", null as never)))).toEqual(
        new ValidationError("test/Triton", ["props must be the endpoint's props (an object with at least defaultModelName), got null"]),
      );
    });
  });
});

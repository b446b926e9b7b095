import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Construct } from "constructs";
import { LambdaInferenceFrontDoor } from "../../lib/lambda-inference-front-door";
import { LAMBDA_INFERENCE_MODEL, LambdaInferenceModel } from "../../lib/lambda-inference-model";
import { LambdaInferenceDependencies, LambdaInferenceFunction } from "../../lib/lambda-inference";
import { TritonSageMakerRealtimeInferenceEndpoint } from "../../lib/triton-endpoint";
import { TritonImage } from "../../lib/triton-image";
import { TritonCompiledModel, TritonNeuronModelRepository } from "../../lib/triton-model-repository";

/**
 * Every storage and front door of LambdaInferenceFunction, and a TritonNeuronModelRepository with its endpoint, in one
 * stack, for the Terraform tier (terraform validate and checkov). `fixtures` receives a model
 * directory, a layer .zip and a compiled model, small files with the right names.
 */
export function buildServingSystems(scope: Construct, fixtures: string): void {
  const model = path.join(fixtures, "tiny-chat");
  fs.mkdirSync(model, { recursive: true });
  for (const file of LAMBDA_INFERENCE_MODEL.requiredFiles) fs.writeFileSync(path.join(model, file), "{}");
  fs.mkdirSync(path.join(fixtures, "layer", "python"), { recursive: true });
  fs.writeFileSync(path.join(fixtures, "layer", "python", "placeholder.py"), "");
  const layer = path.join(fixtures, "layer.zip");
  execFileSync("python3", ["-m", "zipfile", "-c", layer, "python/"], { cwd: path.join(fixtures, "layer") });
  const compiled = path.join(fixtures, "model.pt");
  fs.writeFileSync(compiled, "compiled");

  new LambdaInferenceFunction(scope, "ChatS3", {
    model: LambdaInferenceModel.fromLocalDirectory(model, { bucket: "models-bucket" }),
    dependencies: LambdaInferenceDependencies.fromLayerZip(layer, "models-bucket"),
    snapStart: true,
    reservedConcurrentExecutions: 5,
  });
  new LambdaInferenceFunction(scope, "ChatEfs", {
    model: LambdaInferenceModel.fromEfs({
      fileSystemId: "fs-0123456789abcdef0",
      path: "/models/tiny-chat",
      sizeMiB: 100,
      subnetIds: ["subnet-0123abcd", "subnet-4567ef01"],
      mountTargetSecurityGroupId: "sg-0123abcd",
    }),
    dependencies: LambdaInferenceDependencies.fromLayerArn("arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:3", 150),
    frontDoor: LambdaInferenceFrontDoor.httpApi(),
    tracing: true,
  });
  new LambdaInferenceFunction(scope, "ChatImage", {
    model: LambdaInferenceModel.fromContainerImage({
      imageUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-inference:1",
      sizeMiB: 300,
    }),
    frontDoor: LambdaInferenceFrontDoor.httpApi({ authorization: { jwt: { issuer: "https://issuer.example.com", audience: ["chat"] } } }),
    architecture: "x86_64",
  });
  const repository = new TritonNeuronModelRepository(scope, "Repository", {
    bucket: "models-bucket",
    instanceType: "ml.inf2.xlarge",
    models: [
      {
        name: "bert",
        compiledModel: TritonCompiledModel.fromLocalFile(compiled),
        compiledBatchSize: 4,
        inputs: [{ name: "INPUT__0", dataType: "TYPE_INT64", dims: [128] }],
        outputs: [{ name: "OUTPUT__0", dataType: "TYPE_FP32", dims: [2] }],
        instanceCount: 2,
      },
    ],
  });
  new TritonSageMakerRealtimeInferenceEndpoint(scope, "Triton", {
    repository,
    image: TritonImage.fromEcrUri("123456789012.dkr.ecr.us-east-1.amazonaws.com/tritonserver-neuronx:24.12", "2.21.0"),
  });
}

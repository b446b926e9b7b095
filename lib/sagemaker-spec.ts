/**
 * The SageMaker facts the endpoints validate against and the generated HCL derives from: the limits of a
 * production variant, a model's container and its VPC, and the inference AMIs that carry the Neuron driver.
 */

/** SageMaker's limits for a production variant. */
export const SAGEMAKER_LIMITS = {
  /** ModelDataDownloadTimeoutInSeconds and ContainerStartupHealthCheckTimeoutInSeconds. */
  timeoutSeconds: { min: 60, max: 3600 },
  /** VolumeSizeInGB. */
  volumeSizeGiB: { min: 1, max: 512 },
  /** InitialInstanceCount, and the autoscaling bounds we accept. */
  instanceCount: { min: 1, max: 100 },
  /** Endpoint, model and endpoint configuration names. */
  nameLength: 63,
  /**
   * The container's environment: entries, bytes of a key or a value, bytes of all keys and values
   * (botocore's SageMaker model, EnvironmentMap, and the ContainerDefinition documentation).
   */
  environment: { entries: 100, keyOrValueBytes: 1024, totalBytes: 32 * 1024 },
  /** Subnets and security groups of a VpcConfig. */
  vpc: { subnets: 16, securityGroups: 5 },
  /** Application Auto Scaling's TargetValue range (MetricScale: -2^360 to 2^360). */
  targetValueMax: 2 ** 360,
} as const;

/**
 * The `InferenceAmiVersion`s of a production variant that carry the Neuron driver, from the SageMaker API's
 * `ProductionVariantInferenceAmiVersion` enum (botocore 1.44.8, data/sagemaker/2017-07-24/service-2.json:
 * al2-ami-sagemaker-inference-gpu-2, -gpu-2-1, -gpu-3-1, al2023-ami-sagemaker-inference-gpu-4-1 and
 * al2-ami-sagemaker-inference-neuron-2, "Accelerator: Inferentia2 and Trainium, Neuron driver version: 2.19").
 * The AWS provider validates the value against the same enum (aws_sagemaker_endpoint_configuration,
 * production_variants.inference_ami_version). Without it, inf2 hosts run the default host AMI and its older driver.
 */
export const NEURON_INFERENCE_AMI_VERSIONS: readonly string[] = ["al2-ami-sagemaker-inference-neuron-2"];

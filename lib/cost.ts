/**
 * Cost, before apply: an estimate of what an endpoint costs an hour and what a compile costs, from a price
 * table kept in the repository. An estimate only: prices differ by region and change; savings plans,
 * reserved capacity, spot's market price, storage, data transfer, CloudWatch and S3 are not in it.
 */
import { Inf2InstanceTypeName } from "./neuron-spec";

const GiB = 2 ** 30;

/**
 * USD an hour, US East (N. Virginia), on-demand, Linux, as the source pages below publish them. `date` is the
 * day the table was written; the figures were not read from those pages that day (this repository's machines
 * have no network to them) and no test or synth fetches them: check them for your region and date.
 */
export const PRICE_TABLE = {
  region: "us-east-1",
  date: "2026-12-02",
  sources: {
    sagemaker: "https://aws.amazon.com/sagemaker/pricing/ (Real-Time Inference, US East (N. Virginia), ml.inf2.*)",
    ec2: "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, US East (N. Virginia), inf2.*)",
  },
  /** SageMaker real-time inference, per instance hour. */
  sagemakerHourlyUsd: {
    "ml.inf2.xlarge": 0.99,
    "ml.inf2.8xlarge": 2.36,
    "ml.inf2.24xlarge": 7.79,
    "ml.inf2.48xlarge": 15.58,
  } as Readonly<Record<string, number>>,
  /** EC2 on-demand, per instance hour (the compile instance; spot is charged at its market price, below this). */
  ec2HourlyUsd: {
    "inf2.xlarge": 0.7582,
    "inf2.8xlarge": 1.9679,
    "inf2.24xlarge": 6.4906,
    "inf2.48xlarge": 12.9813,
  } as Readonly<Record<Inf2InstanceTypeName, number>>,
} as const;

/**
 * How long a compile is expected to take: an assumption, not a measurement (no inf2 instance here). The
 * instance boots and sets up, downloads the checkpoint, loads and compiles it for the NeuronCores, saves and
 * uploads the artifacts; all but the boot scale with the checkpoint's size.
 */
export const COMPILE_TIME_MODEL = {
  baseMinutes: 15,
  minutesPerCheckpointGiB: 1,
} as const;

/** An endpoint's modelled cost. */
export interface EndpointCostEstimate {
  /** USD an hour at the initial instance count. */
  readonly hourlyUsd: number;
  /** USD an hour at the most instances it may run: autoScaling's maxCapacity, doubled while a blue/green deployment runs. */
  readonly peakHourlyUsd: number;
}

/** A compile's modelled cost. */
export interface CompileCostEstimate {
  /** Expected minutes of the compile instance ({@link COMPILE_TIME_MODEL}). */
  readonly expectedMinutes: number;
  /** USD for the expected minutes at the on-demand price (with spot, at most this). */
  readonly expectedUsd: number;
  /** USD if the compile runs to its deadline, when the instance is terminated. */
  readonly maxUsd: number;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/**
 * The hourly cost of an endpoint, or undefined when its instance type is not in the table (a Terraform reference,
 * or a type the table lacks).
 */
export function estimateEndpointCost(options: {
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxCapacity?: number;
  readonly blueGreenDeployment?: boolean;
}): EndpointCostEstimate | undefined {
  const price = PRICE_TABLE.sagemakerHourlyUsd[options.instanceType];
  if (price === undefined) return undefined;
  const peakInstances = (options.maxCapacity ?? options.instanceCount) * (options.blueGreenDeployment ? 2 : 1);
  return { hourlyUsd: cents(price * options.instanceCount), peakHourlyUsd: cents(price * peakInstances) };
}

/**
 * The cost of a compile on an instance type, for a checkpoint of a size, with the compile's deadline: an inf2 type
 * at PRICE_TABLE's price, or another type (optimum-neuron's CPU compile host) at the price given.
 */
export function estimateCompileCost(options: {
  readonly instanceType: Inf2InstanceTypeName | string;
  readonly checkpointBytes: number;
  readonly deadlineMinutes: number;
  /** USD an hour, for a type PRICE_TABLE does not have. */
  readonly hourlyUsd?: number;
}): CompileCostEstimate {
  const price = options.hourlyUsd ?? PRICE_TABLE.ec2HourlyUsd[options.instanceType as Inf2InstanceTypeName];
  if (price === undefined) throw new Error(`no price for ${options.instanceType}: give hourlyUsd`);
  const m = COMPILE_TIME_MODEL;
  const expectedMinutes = Math.min(
    options.deadlineMinutes,
    Math.ceil(m.baseMinutes + m.minutesPerCheckpointGiB * (options.checkpointBytes / GiB)),
  );
  return {
    expectedMinutes,
    expectedUsd: cents((price * expectedMinutes) / 60),
    maxUsd: cents((price * options.deadlineMinutes) / 60),
  };
}

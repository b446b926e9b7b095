// Cost before apply: the price table, the modelled endpoint and compile costs, and the example stacks' cost outputs.
import * as fs from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { COMPILE_TIME_MODEL, PRICE_TABLE, estimateCompileCost, estimateEndpointCost } from "../lib/cost";
import { INF2_INSTANCE_TYPES } from "../lib/neuron-spec";
import { CompileStack } from "../stacks/compile-stack";
import { loadConfig } from "../stacks/config";
import { EndpointStack } from "../stacks/endpoint-stack";

const GiB = 2 ** 30;

describe("the price table", () => {
  test("prices every inf2 type, for SageMaker and EC2, with its region, date and sources", () => {
    for (const t of INF2_INSTANCE_TYPES) {
      expect(PRICE_TABLE.ec2HourlyUsd[t.name]).toBeGreaterThan(0);
      expect(PRICE_TABLE.sagemakerHourlyUsd[`ml.${t.name}`]).toBeGreaterThan(PRICE_TABLE.ec2HourlyUsd[t.name]);
    }
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.sources.sagemaker).toMatch(/^https:\/\/aws\.amazon\.com\/sagemaker\/pricing\//);
    expect(PRICE_TABLE.sources.ec2).toMatch(/^https:\/\/aws\.amazon\.com\/ec2\/pricing\/on-demand\//);
  });

  test("is the README's table, with its date", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    for (const t of INF2_INSTANCE_TYPES) {
      expect(readme).toContain(`| ${t.name} | ${PRICE_TABLE.sagemakerHourlyUsd[`ml.${t.name}`]} | ${PRICE_TABLE.ec2HourlyUsd[t.name]} |`);
    }
    expect(readme).toContain(`taken on ${PRICE_TABLE.date}`);
  });
});

describe("estimateEndpointCost", () => {
  test("the initial count's hourly price; the peak at maxCapacity, doubled for blue/green", () => {
    expect(estimateEndpointCost({ instanceType: "ml.inf2.xlarge", instanceCount: 2 })).toEqual({ hourlyUsd: 1.98, peakHourlyUsd: 1.98 });
    expect(estimateEndpointCost({ instanceType: "ml.inf2.48xlarge", instanceCount: 1, maxCapacity: 3, blueGreenDeployment: true })).toEqual(
      {
        hourlyUsd: 15.58,
        peakHourlyUsd: 93.48,
      },
    );
  });

  test("nothing for a type the table lacks (or a Terraform reference)", () => {
    expect(estimateEndpointCost({ instanceType: "ml.g5.xlarge", instanceCount: 1 })).toBeUndefined();
    expect(estimateEndpointCost({ instanceType: "${var.instance_type}", instanceCount: 1 })).toBeUndefined();
  });
});

describe("estimateCompileCost", () => {
  test("expected minutes from the checkpoint's size, at the on-demand price; the deadline bounds both", () => {
    const c = estimateCompileCost({ instanceType: "inf2.8xlarge", checkpointBytes: 15 * GiB, deadlineMinutes: 180 });
    expect(c.expectedMinutes).toBe(COMPILE_TIME_MODEL.baseMinutes + 15);
    expect(c.expectedUsd).toBe(Math.round(((1.9679 * 30) / 60) * 100) / 100);
    expect(c.maxUsd).toBe(Math.round(1.9679 * 3 * 100) / 100);
    const capped = estimateCompileCost({ instanceType: "inf2.48xlarge", checkpointBytes: 400 * GiB, deadlineMinutes: 60 });
    expect(capped.expectedMinutes).toBe(60);
    expect(capped.expectedUsd).toBe(capped.maxUsd);
  });
});

describe("the example stacks' cost outputs", () => {
  const app = Testing.app();
  const config = loadConfig(app, { NEURONX_INSTANCE_COUNT: "2" });
  const compile = new CompileStack(app, "compile", config);
  const endpoint = new EndpointStack(app, "endpoint", config, compile.compile);
  const compileJson = JSON.parse(Testing.synth(compile));
  const endpointJson = JSON.parse(Testing.synth(endpoint));

  test("the compile stack: expected minutes, expected and worst-case USD, described as estimates", () => {
    const expected = estimateCompileCost({
      instanceType: compile.compile.compileInstanceType,
      checkpointBytes: compile.compile.sizing.checkpointBytes,
      deadlineMinutes: 180,
    });
    expect(compileJson.output.compile_cost_usd_estimate.value).toBe(expected.expectedUsd);
    expect(compileJson.output.compile_cost_usd_max_estimate.value).toBe(expected.maxUsd);
    expect(compileJson.output.compile_expected_minutes_estimate.value).toBe(expected.expectedMinutes);
    expect(compileJson.output.compile_cost_usd_estimate.description).toMatch(
      /^Estimated USD .*on-demand, us-east-1 prices of \d{4}-\d{2}-\d{2}/,
    );
  });

  test("the endpoint stack: hourly and monthly USD at the instance count", () => {
    const hourly = PRICE_TABLE.sagemakerHourlyUsd[endpoint.endpoint.instanceType] * 2;
    expect(endpointJson.output.endpoint_cost_usd_per_hour_estimate.value).toBe(Math.round(hourly * 100) / 100);
    expect(endpointJson.output.endpoint_cost_usd_per_month_estimate.value).toBe(Math.round((Math.round(hourly * 100) / 100) * 730));
    expect(endpointJson.output.endpoint_cost_usd_per_hour_estimate.description).toMatch(/2 x ml\.inf2\.\w+, on-demand/);
  });
});

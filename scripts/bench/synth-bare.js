// A bare cdktf app in plain JavaScript, run with plain node: one stack with the AWS provider and
// argv[3] aws_ssm_parameter resources, synthesized into argv[2]. The floor for the example app's synth.
// Prints the milliseconds to construct and synthesize (module loading counts only in the wall time).
"use strict";
const { App, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { SsmParameter } = require("@cdktf/provider-aws/lib/ssm-parameter");

const started = performance.now();
const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "bare");
new AwsProvider(stack, "aws", { region: "us-east-1" });
for (let i = 0; i < Number(process.argv[3]); i++) {
  new SsmParameter(stack, `p${i}`, { name: `/bench/p${i}`, type: "String", value: String(i) });
}
app.synth();
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);

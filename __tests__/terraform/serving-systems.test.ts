// The Terraform tier for the Lambda inference function (every storage and front door) and the Triton
// model repository: one stack through terraform init and validate, and checkov.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkovVerdict } from "../helpers/checkov-verdict";
import { buildServingSystems } from "../helpers/serving-systems";
import { terraform } from "../helpers/terraform";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-systems-"));
const app = new App({ outdir });
const stack = new TerraformStack(app, "serving-systems");
new AwsProvider(stack, "aws", { region: "us-east-1" });
buildServingSystems(stack, fs.mkdtempSync(path.join(os.tmpdir(), "serving-systems-fixtures-")));
app.synth();
const dir = path.join(outdir, "stacks", "serving-systems");

describe("a stack with LambdaInferenceFunction and TritonNeuronModelRepository", () => {
  test("passes terraform init and validate", () => {
    const init = terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    expect(init.out).toContain("Terraform has been successfully initialized");
    const validate = JSON.parse(terraform(dir, ["validate", "-json", "-no-color"]).out);
    expect(validate.diagnostics).toEqual([]);
    expect(validate.valid).toBe(true);
  });

  test("passes checkov, each failed check justified on its resource and no reason stale", () => {
    expect(checkovVerdict(dir)).toEqual({ unjustified: [], stale: [] });
  });
});

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { PortableLocalBackend } from "../lib/portable-local-backend";
import { thrown } from "./helpers/thrown";

/** Synthesizes stacks into a fresh directory; returns each stack's JSON. */
function synthesize(build: (app: App) => void): Record<string, any> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "neuronx-backend-"));
  const app = new App({ outdir });
  build(app);
  app.synth();
  return Object.fromEntries(
    fs
      .readdirSync(path.join(outdir, "stacks"))
      .map((s) => [s, JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8"))]),
  );
}

describe("PortableLocalBackend", () => {
  test("keeps terraform.<stack>.tfstate in the directory that holds cdktf.out, by a path relative to the stack", () => {
    const { chat } = synthesize((app) => new PortableLocalBackend(new TerraformStack(app, "chat")));
    expect(chat.terraform.backend).toEqual({ local: { path: "../../../terraform.chat.tfstate" } });
  });

  test("puts the state in stateDirectory, relative to the project directory", () => {
    const { chat } = synthesize((app) => new PortableLocalBackend(new TerraformStack(app, "chat"), { stateDirectory: "state/dev" }));
    expect(chat.terraform.backend.local.path).toBe("../../../state/dev/terraform.chat.tfstate");
  });

  test("gives cdktf's cross-stack references the same relative path", () => {
    const stacks = synthesize((app) => {
      const compile = new TerraformStack(app, "compile");
      new NullProvider(compile, "null");
      new PortableLocalBackend(compile);
      const made = new Resource(compile, "made");
      const serve = new TerraformStack(app, "serve");
      new PortableLocalBackend(serve);
      new TerraformOutput(serve, "uses", { value: made.id });
    });
    const remote = Object.values<any>(stacks.serve.data.terraform_remote_state)[0];
    expect(remote).toMatchObject({ backend: "local", config: { path: "../../../terraform.compile.tfstate" } });
  });

  test("says the path another stack's state has, for DataTerraformRemoteStateLocal", () => {
    expect(PortableLocalBackend.statePath("compile")).toBe("../../../terraform.compile.tfstate");
  });

  test.each(["/var/state", "C:\\state", "state\\dev"])("throws for stateDirectory %j, naming the prop and the fix", (dir) => {
    expect(String(thrown(() => PortableLocalBackend.statePath("chat", { stateDirectory: dir })))).toMatch(
      /^ValidationError: PortableLocalBackend: stateDirectory must be a path relative to the project directory, with "\/" separators, got .*; an absolute path would tie the stack to one machine$/,
    );
  });
});

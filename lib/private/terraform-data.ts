import { TerraformMetaArguments, TerraformResource } from "cdktf";
import { Construct } from "constructs";

/** Props of {@link TerraformData}. */
export interface TerraformDataConfig extends TerraformMetaArguments {
  /** Stored in state; a change updates the resource in place. */
  readonly input: Record<string, string>;
  /** A change replaces the resource (a new `id`). */
  readonly triggersReplace?: Record<string, string>;
}

/**
 * Terraform's built-in `terraform_data` resource (Terraform 1.4 and later). cdktf's `DataResource`
 * renders the same, but adds a validation that runs `terraform version` at every synth: an app
 * using the constructs would then need a terraform binary to synthesize (and `npm run synth:hcl`
 * runs with Node.js only). The stacks already need Terraform 1.11 for their backends.
 */
export class TerraformData extends TerraformResource {
  private readonly config: TerraformDataConfig;

  constructor(scope: Construct, id: string, config: TerraformDataConfig) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      dependsOn: config.dependsOn,
      lifecycle: config.lifecycle,
    });
    this.config = config;
  }

  /** The resource's id: a UUID, new at every replacement. */
  public get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return {
      input: this.config.input,
      ...(this.config.triggersReplace ? { triggers_replace: this.config.triggersReplace } : {}),
    };
  }
}

import { TerraformMetaArguments, TerraformResource } from "cdktf";
import { Construct } from "constructs";

/** Props of {@link TerraformData}. */
export interface TerraformDataConfig extends TerraformMetaArguments {
  /** Stored in state; a change updates the resource in place. */
  readonly input: Record<string, string>;
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

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return { input: this.config.input };
  }
}

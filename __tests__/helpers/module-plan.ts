// What the Terraform tier's module tests share: the AWS provider of a root module that plans against
// moto, and one shape for Terraform's planned values and the synthesized JSON.
import { EMULATED_SERVICES } from "../../stacks/provider";
import { Moto } from "./moto";

/** The lines of an `aws` provider block whose every emulated service is the moto server. */
export function emulatedAwsProvider(moto: Moto): string[] {
  return [
    `provider "aws" {`,
    `  region                      = "us-east-1"`,
    `  s3_use_path_style           = true`,
    `  skip_credentials_validation = true`,
    `  skip_metadata_api_check     = true`,
    `  skip_requesting_account_id  = true`,
    `  endpoints {`,
    ...EMULATED_SERVICES.map((s) => `    ${s} = "${moto.url}"`),
    `  }`,
    `}`,
  ];
}

/** Terraform's plan and the synthesized JSON in one shape: a block list of one is its block; no nulls or empty lists. */
export function blocks(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(blocks);
    return items.length === 1 && typeof items[0] === "object" && items[0] !== null ? items[0] : items.length === 0 ? undefined : items;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, blocks(v)] as const)
      .filter(([, v]) => v !== null && v !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

import { TerraformElement } from "cdktf";

/**
 * Records, in the element's "//" comment block of the synthesized JSON, why a checkov
 * check does not apply to it. checkov reads no skip comments from Terraform JSON, so the
 * Terraform tier (`npm run test:terraform`) accepts a failed check only where the element
 * carries its reason; the generated HCL turns each into a `#checkov:skip=ID:reason` comment.
 */
export function justifyCheckovSkip(element: TerraformElement, checkId: string, reason: string): void {
  element.addOverride(`//.checkov.skip.${checkId}`, reason);
}

// Local stand-in for Terraform's nested "oci" state-backend module, which the
// Go module proxy does not serve. Its import path lets it import Terraform's
// internal packages, exactly as the real nested module does.
module github.com/hashicorp/terraform/internal/backend/remote-state/oci

go 1.24.5

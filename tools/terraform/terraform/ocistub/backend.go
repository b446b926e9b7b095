// Package oci stands in for Terraform's "oci" state backend (OCI object
// storage), whose nested Go module the Go module proxy does not serve. Every
// operation fails with a clear error; the other backends are the real ones.
package oci

import (
	"errors"

	"github.com/zclconf/go-cty/cty"

	"github.com/hashicorp/terraform/internal/backend"
	"github.com/hashicorp/terraform/internal/configs/configschema"
	"github.com/hashicorp/terraform/internal/states/statemgr"
	"github.com/hashicorp/terraform/internal/tfdiags"
)

var errUnavailable = errors.New(`the "oci" state backend is not included in this build of Terraform (see scripts/install-terraform.sh)`)

// Backend implements backend.Backend and refuses every operation.
type Backend struct{}

var _ backend.Backend = (*Backend)(nil)

// New returns the stub backend; Terraform's backend registry calls it.
func New() backend.Backend { return &Backend{} }

func (b *Backend) ConfigSchema() *configschema.Block { return &configschema.Block{} }

func (b *Backend) PrepareConfig(v cty.Value) (cty.Value, tfdiags.Diagnostics) {
	var diags tfdiags.Diagnostics
	return v, diags.Append(errUnavailable)
}

func (b *Backend) Configure(cty.Value) tfdiags.Diagnostics {
	var diags tfdiags.Diagnostics
	return diags.Append(errUnavailable)
}

func (b *Backend) StateMgr(string) (statemgr.Full, error) { return nil, errUnavailable }

func (b *Backend) DeleteWorkspace(string, bool) error { return errUnavailable }

func (b *Backend) Workspaces() ([]string, error) { return nil, errUnavailable }

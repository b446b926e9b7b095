//go:build tools

// Package tools pins the provider's main package as a dependency of this
// wrapper module, so that `go build github.com/hashicorp/terraform-provider-aws`
// run in this directory uses this go.mod and go.sum.
package tools

import _ "github.com/hashicorp/terraform-provider-aws"

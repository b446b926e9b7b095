//go:build tools

// Package tools pins the Terraform CLI's main package as a dependency of
// this wrapper module, so that `go build github.com/hashicorp/terraform`
// run in this directory uses this go.mod and go.sum.
package tools

import _ "github.com/hashicorp/terraform"

// Command terraform-provider-null is a small stand-in for the hashicorp/null
// provider, used only by scripts/install-terraform.sh.
//
// The Go module proxy serves no usable version of
// github.com/hashicorp/terraform-provider-null (only v1.0.0 from 2017, which
// speaks a plugin protocol that Terraform 1.x no longer supports), so this
// re-implements the provider's public schema with terraform-plugin-framework:
// the null_resource resource and the (deprecated) null_data_source data
// source, with the same attributes and replace behaviour as hashicorp/null
// 3.x. It is enough for `terraform init`/`validate`/`plan` of configurations
// that use hashicorp/null; it is not the upstream binary.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "start the provider in debug mode")
	flag.Parse()

	err := providerserver.Serve(context.Background(), newProvider(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/hashicorp/null",
		Debug:           *debug,
		ProtocolVersion: 5,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// The source filter of scripts/install-terraform.sh (standard library only);
// see main.go.
module cdktf-neuronx-patterns/tools/terraform/sourcefilter

go 1.24

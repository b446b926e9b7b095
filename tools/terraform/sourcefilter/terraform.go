package main

// The Terraform CLI, reduced to the state backends of
// tools/terraform/terraform/backends.txt. internal/backend/init/init.go is
// the one file that names every backend: the others are taken out of its
// registry and their packages are no longer imported, so their modules and
// cloud SDKs (Azure, Google Cloud, Kubernetes, Alibaba, Tencent, Oracle,
// Consul, PostgreSQL) are neither downloaded nor compiled. Each one left out
// is recorded in RemovedBackends, whose message Terraform prints as the
// error of a configuration (or a terraform_remote_state) that selects it.

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

const (
	tfInit        = "internal/backend/init/init.go"
	tfFilterNote  = "Filtered by tools/terraform/sourcefilter to the state backends in tools/terraform/terraform/backends.txt."
	tfRemovedMap  = "\tRemovedBackends = map[string]string{\n"
	tfLeftOutText = "The %q state backend is left out of this build of Terraform (scripts/install-terraform.sh builds it with %s only). Use a Terraform release for this backend."
)

func filterTerraform(keep map[string]string, t *tree) (string, error) {
	init, err := parse(t, tfInit)
	if err != nil {
		return "", err
	}
	registry := backendsLiteral(init.file)
	if registry == nil {
		return "", fmt.Errorf("%s: no backends map literal; has the file changed shape?", tfInit)
	}
	var all, left []string
	registry.Elts = slices.DeleteFunc(registry.Elts, func(e ast.Expr) bool {
		name := backendName(e)
		all = append(all, name)
		if _, kept := keep[name]; kept {
			return false
		}
		left = append(left, name)
		init.drop(e)
		return true
	})
	if bad := unknown(keep, all); len(bad) > 0 {
		return "", fmt.Errorf("not state backends of Terraform: %s", strings.Join(bad, ", "))
	}
	init.dropUnusedImports()

	var kept []string
	for name := range keep {
		kept = append(kept, name)
	}
	slices.Sort(kept)
	slices.Sort(left)
	addRemoved := func(text string) (string, error) {
		var entries strings.Builder
		for _, name := range left {
			msg := fmt.Sprintf(tfLeftOutText, name, strings.Join(kept, ", "))
			fmt.Fprintf(&entries, "\t\t%s: %s,\n", strconv.Quote(name), strconv.Quote(msg))
		}
		if !strings.Contains(text, tfRemovedMap) {
			return "", fmt.Errorf("no %q line; has the file changed shape?", strings.TrimSpace(tfRemovedMap))
		}
		return strings.Replace(text, tfRemovedMap, tfRemovedMap+entries.String(), 1), nil
	}
	if err := t.copy(func(string) bool { return false }); err != nil {
		return "", err
	}
	if err := init.write(t, tfFilterNote, addRemoved); err != nil {
		return "", err
	}
	return fmt.Sprintf("terraform: %d of %d state backends (%s); left out: %s",
		len(kept), len(all), strings.Join(kept, ", "), strings.Join(left, ", ")), nil
}

// backendsLiteral is the map literal assigned to backends in Init.
func backendsLiteral(f *ast.File) *ast.CompositeLit {
	var lit *ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		if assign, ok := n.(*ast.AssignStmt); ok && len(assign.Lhs) == 1 && len(assign.Rhs) == 1 {
			if id, ok := assign.Lhs[0].(*ast.Ident); ok && id.Name == "backends" {
				lit, _ = assign.Rhs[0].(*ast.CompositeLit)
			}
		}
		return lit == nil
	})
	return lit
}

// backendName is the key of an element "name": func() ..., else "".
func backendName(e ast.Expr) string {
	if kv, ok := e.(*ast.KeyValueExpr); ok {
		if lit, ok := kv.Key.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			return name
		}
	}
	return ""
}

package main

// The hashicorp/aws provider, reduced to the service packages of
// tools/terraform/aws/services.txt (23 of 265, and as many of the AWS SDK's
// clients): the build compiles nothing else.
//
// Two generated files of the provider name every service:
//
//   - internal/provider/sdkv2/service_packages_gen.go, the registry of
//     service packages (the SDKv2 and the framework halves of the provider
//     both take their resources, data sources and clients from it);
//   - internal/conns/awsclient_gen.go, one client accessor a service.
//
// Both are rewritten to the listed services. Dropping the other accessors
// makes the compiler refuse any code that would call the client of an
// unregistered service, which would panic at run time instead. A listed
// service that imports an unlisted service package, or calls its client
// accessor, is an error naming both, found before anything compiles: the
// list says why every compiled service is there.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	awsModule      = "github.com/hashicorp/terraform-provider-aws"
	awsServices    = awsModule + "/internal/service/"
	awsRegistry    = "internal/provider/sdkv2/service_packages_gen.go"
	awsClients     = "internal/conns/awsclient_gen.go"
	awsNameConsts  = "names/consts_gen.go"
	awsFilterNote  = "Filtered by tools/terraform/sourcefilter to the %d of %d service packages in tools/terraform/aws/services.txt."
	awsShapeChange = "has the generated file changed shape?"
)

func filterAWS(keep map[string]string, t *tree) (string, error) {
	registry, err := parse(t, awsRegistry)
	if err != nil {
		return "", err
	}
	lit := servicePackagesLiteral(registry.file)
	if lit == nil {
		return "", fmt.Errorf("%s: no servicePackages literal; %s", awsRegistry, awsShapeChange)
	}
	var all []string
	for _, e := range lit.Elts {
		all = append(all, servicePackageOf(e))
	}
	if bad := unknown(keep, all); len(bad) > 0 {
		return "", fmt.Errorf("not service packages of %s: %s", awsModule, strings.Join(bad, ", "))
	}
	consts, err := nameConstants(filepath.Join(t.src, awsNameConsts))
	if err != nil {
		return "", err
	}
	clients, err := parse(t, awsClients)
	if err != nil {
		return "", err
	}
	clientService := map[string]string{} // accessor name -> service package
	for _, decl := range clients.file.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv != nil {
			service := serviceOfClient(fn, consts)
			if service == "" {
				return "", fmt.Errorf("%s: %s names no service (names.X); %s", awsClients, fn.Name.Name, awsShapeChange)
			}
			clientService[fn.Name.Name] = service
		}
	}
	if err := checkKeptServices(t.src, keep, clientService); err != nil {
		return "", err
	}
	err = t.copy(func(rel string) bool {
		service, found := strings.CutPrefix(rel, "internal/service/")
		_, kept := keep[service]
		return found && !strings.Contains(service, "/") && !kept
	})
	if err != nil {
		return "", err
	}
	note := fmt.Sprintf(awsFilterNote, len(keep), len(all))

	lit.Elts = slices.DeleteFunc(lit.Elts, func(e ast.Expr) bool {
		_, kept := keep[servicePackageOf(e)]
		if !kept {
			registry.drop(e)
		}
		return !kept
	})
	registry.dropImports(func(_, p string) bool {
		_, kept := keep[strings.TrimPrefix(p, awsServices)]
		return strings.HasPrefix(p, awsServices) && !kept
	})
	if err := registry.write(t, note, nil); err != nil {
		return "", err
	}

	var decls []ast.Decl
	kept, total := 0, 0
	for _, decl := range clients.file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv == nil {
			decls = append(decls, decl)
			continue
		}
		total++
		if _, ok := keep[clientService[fn.Name.Name]]; ok {
			decls = append(decls, decl)
			kept++
		}
	}
	clients.file.Decls = decls
	clients.dropUnusedImports()
	if err := clients.write(t, note, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("hashicorp/aws: %d of %d service packages, %d of %d AWS SDK clients", len(keep), len(all), kept, total), nil
}

// servicePackagesLiteral is the slice literal that servicePackages returns.
func servicePackagesLiteral(f *ast.File) *ast.CompositeLit {
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "servicePackages" {
			var lit *ast.CompositeLit
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CompositeLit); ok && lit == nil {
					lit = c
				}
				return lit == nil
			})
			return lit
		}
	}
	return nil
}

// servicePackageOf is X of an element X.ServicePackage(ctx), else "".
func servicePackageOf(e ast.Expr) string {
	if call, ok := e.(*ast.CallExpr); ok {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ServicePackage" {
			if id, ok := sel.X.(*ast.Ident); ok {
				return id.Name
			}
		}
	}
	return ""
}

// serviceOfClient is the value of the names.X constant an accessor passes.
func serviceOfClient(fn *ast.FuncDecl, consts map[string]string) string {
	service := ""
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "names" {
				service = consts[sel.Sel.Name]
			}
		}
		return service == ""
	})
	return service
}

// nameConstants maps the names package's string constants to their values
// (names.EC2 = "ec2", the service package's name).
func nameConstants(file string) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	consts := map[string]string{}
	for _, decl := range f.Decls {
		if gen, ok := decl.(*ast.GenDecl); ok && gen.Tok == token.CONST {
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	if len(consts) == 0 {
		return nil, fmt.Errorf("%s: no constants; %s", file, awsShapeChange)
	}
	return consts, nil
}

// checkKeptServices fails when a kept service's code imports a service
// package that is not kept, or calls the client accessor of one (which the
// compiler would refuse, after minutes, once the accessor is dropped).
func checkKeptServices(src string, keep, clientService map[string]string) error {
	var missing []string
	need := func(service, file, why string) {
		rel, _ := filepath.Rel(src, file)
		missing = append(missing, fmt.Sprintf("%s (%s in %s)", service, why, filepath.ToSlash(rel)))
	}
	for name := range keep {
		root := filepath.Join(src, "internal", "service", name)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go"):
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				imported, _ := strconv.Unquote(imp.Path.Value)
				other, _, _ := strings.Cut(strings.TrimPrefix(imported, awsServices), "/")
				if _, kept := keep[other]; strings.HasPrefix(imported, awsServices) && !kept {
					need(other, p, "imported")
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if other, ok := clientService[sel.Sel.Name]; ok {
						if _, kept := keep[other]; !kept {
							need(other, p, sel.Sel.Name+" called")
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("the listed services need services that are not listed; list them too, each with its reason: %s",
			strings.Join(slices.Compact(missing), "; "))
	}
	return nil
}

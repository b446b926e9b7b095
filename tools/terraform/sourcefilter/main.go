// Command sourcefilter makes the Terraform toolchain build less. It writes a
// private copy of a pinned upstream module in which the few files that name
// every part of it (every state backend of Terraform, every service of the
// AWS provider) name only the parts this project lists, so that a build
// compiles nothing else; scripts/install-terraform.sh builds the copy through
// a replace directive of the wrapper module, whose go.sum still pins every
// other module.
//
//	sourcefilter aws       -list tools/terraform/aws/services.txt -src DIR -out DIR
//	sourcefilter terraform -list tools/terraform/terraform/backends.txt -src DIR -out DIR
//
// -src is the upstream module as the Go module cache holds it (`go mod
// download -json` verifies it against go.sum and prints the directory); -out
// must not exist. A list has one name a line followed by the reason it is
// kept; blank lines and # comments are skipped. Every file but the rewritten
// ones is copied byte for byte, so the same inputs give the same output.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "aws" && os.Args[1] != "terraform") {
		fmt.Fprintln(os.Stderr, "usage: sourcefilter aws|terraform -list FILE -src DIR -out DIR")
		os.Exit(2)
	}
	flags := flag.NewFlagSet("sourcefilter "+os.Args[1], flag.ExitOnError)
	list := flags.String("list", "", "the names to keep, each with its reason")
	src := flags.String("src", "", "the upstream module's directory (read only)")
	out := flags.String("out", "", "directory to create with the filtered copy")
	flags.Parse(os.Args[2:])
	if *list == "" || *src == "" || *out == "" || flags.NArg() > 0 {
		flags.Usage()
		os.Exit(2)
	}
	t := &tree{src: *src, out: *out}
	var summary string
	keep, err := readList(*list)
	if err == nil {
		if os.Args[1] == "aws" {
			summary, err = filterAWS(keep, t)
		} else {
			summary, err = filterTerraform(keep, t)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sourcefilter %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Println(summary)
}

var lineRE = regexp.MustCompile(`^([a-z0-9]+)\s+(\S.*)$`)

// readList reads the "name reason..." lines of a list.
func readList(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keep := map[string]string{}
	scanner := bufio.NewScanner(f)
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: want a name and the reason it is kept, got %q", file, n, line)
		}
		if _, dup := keep[m[1]]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", file, n, m[1])
		}
		keep[m[1]] = m[2]
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%s lists nothing", file)
	}
	return keep, nil
}

// unknown lists, sorted, the kept names that are not in all.
func unknown(keep map[string]string, all []string) []string {
	var names []string
	for name := range keep {
		if !slices.Contains(all, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// A tree is the upstream module (src) and its filtered copy (out).
type tree struct{ src, out string }

// copy copies src to out but the directories skip accepts (paths relative to
// src). Files are made writable: the module cache's are read only.
func (t *tree) copy(skip func(rel string) bool) error {
	if _, err := os.Stat(t.out); err == nil {
		return fmt.Errorf("%s already exists", t.out)
	}
	return filepath.WalkDir(t.src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(t.src, p)
		target := filepath.Join(t.out, rel)
		switch {
		case d.IsDir() && skip(filepath.ToSlash(rel)):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, target)
		default:
			return fmt.Errorf("%s: neither a regular file nor a directory", p)
		}
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// A source is one upstream Go file being rewritten.
type source struct {
	rel     string // path in the module
	fset    *token.FileSet
	file    *ast.File
	dropped []int // lines of deleted one-line nodes
}

func parse(t *tree, rel string) (*source, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(t.src, rel), nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	return &source{rel: rel, fset: fset, file: f}, nil
}

// drop records the line of a deleted node, so that printing leaves no gap.
func (s *source) drop(n ast.Node) { s.dropped = append(s.dropped, s.fset.Position(n.Pos()).Line) }

// dropImports deletes the imports for which remove(name, path) is true; name
// is the import's name, or its path's last element.
func (s *source) dropImports(remove func(name, path string) bool) {
	for _, decl := range s.file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.IMPORT {
			continue
		}
		gen.Specs = slices.DeleteFunc(gen.Specs, func(spec ast.Spec) bool {
			imp := spec.(*ast.ImportSpec)
			p, _ := strconv.Unquote(imp.Path.Value)
			name := path.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if name == "_" || name == "." || !remove(name, p) {
				return false
			}
			s.drop(imp)
			return true
		})
	}
}

// dropUnusedImports deletes the imports that no declaration refers to.
func (s *source) dropUnusedImports() {
	used := map[string]bool{}
	for _, decl := range s.file.Decls {
		if gen, ok := decl.(*ast.GenDecl); ok && gen.Tok == token.IMPORT {
			continue
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					used[id.Name] = true
				}
			}
			return true
		})
	}
	s.dropImports(func(name, _ string) bool { return !used[name] })
}

// write prints the file into the copy (edit, if set, rewrites the text), with
// a note of the filter under its first comment line.
func (s *source) write(t *tree, note string, edit func(string) (string, error)) error {
	lines := s.fset.File(s.file.Pos())
	slices.Sort(s.dropped)
	for _, line := range slices.Backward(slices.Compact(s.dropped)) {
		lines.MergeLine(line) // the deleted node's line joins the next one
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, s.fset, s.file); err != nil {
		return fmt.Errorf("%s: %w", s.rel, err)
	}
	text := buf.String()
	if edit != nil {
		var err error
		if text, err = edit(text); err != nil {
			return fmt.Errorf("%s: %w", s.rel, err)
		}
	}
	first, rest, _ := strings.Cut(text, "\n")
	text = first + "\n// " + note + "\n" + rest
	formatted, err := format.Source([]byte(text))
	if err != nil {
		return fmt.Errorf("%s: %w", s.rel, err)
	}
	return os.WriteFile(filepath.Join(t.out, s.rel), formatted, 0o644)
}

// The app module of build-fixture: example.com/fixtureapp importing packages of the roots, checked
// with go/build so that it never imports a package of a stub module.
package main

import (
	"encoding/json"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// extraImports are subpackages worth importing when their module is a root.
var extraImports = map[string][]string{
	"github.com/spf13/cobra":      {"github.com/spf13/cobra/doc"},
	"github.com/stretchr/testify": {"github.com/stretchr/testify/assert", "github.com/stretchr/testify/require", "github.com/stretchr/testify/mock"},
	"golang.org/x/text":           {"golang.org/x/text/language", "golang.org/x/text/cases", "golang.org/x/text/encoding/charmap", "golang.org/x/text/unicode/norm", "golang.org/x/text/message"},
	"golang.org/x/net":            {"golang.org/x/net/html", "golang.org/x/net/idna"},
	"golang.org/x/crypto":         {"golang.org/x/crypto/ssh", "golang.org/x/crypto/bcrypt"},
	"github.com/sirupsen/logrus":  {"github.com/sirupsen/logrus/hooks/test"},
	"github.com/spf13/afero":      {"github.com/spf13/afero/mem"},
}

type appResult struct{ imports []string }

func (g *graphBuilder) writeApp(dir string, roots []string, selected map[string]string) (*appResult, error) {
	ctx := build.Default
	ctx.GOPATH = filepath.Dir(g.src)
	ctx.CgoEnabled = false
	var imports []string
	for _, r := range roots {
		for _, p := range append([]string{r}, extraImports[r]...) {
			pkg, err := ctx.Import(p, "", 0)
			if err != nil || pkg.Name == "main" {
				if err == nil {
					err = fmt.Errorf("is a command")
				}
				g.skipped = append(g.skipped, skipped{Module: r, Reason: "app does not import " + p + ": " + err.Error()})
				continue
			}
			imports = append(imports, p)
		}
	}
	sort.Strings(imports)
	direct, err := g.checkImports(&ctx, imports, selected)
	if err != nil {
		return nil, err
	}

	var src strings.Builder
	src.WriteString("// Command fixtureapp imports packages of the fixture's root modules; it only has to build.\npackage main\n\nimport (\n\t\"fmt\"\n\n")
	for _, p := range imports {
		fmt.Fprintf(&src, "\t_ %q\n", p)
	}
	src.WriteString(")\n\nfunc main() {\n\tfmt.Println(\"fixtureapp ok\")\n}\n")

	f := &modfile.File{}
	f.AddModuleStmt("example.com/fixtureapp")
	f.AddGoStmt("1.17")
	paths := make([]string, 0, len(selected))
	for p := range selected {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var reqs []*modfile.Require
	for _, p := range paths {
		if g.mods[p].Dir == "" {
			continue // stubs provide no packages; the go command finds them in the graph
		}
		reqs = append(reqs, &modfile.Require{Mod: module.Version{Path: p, Version: selected[p]}, Indirect: !direct[p]})
	}
	f.SetRequireSeparateIndirect(reqs)
	f.Cleanup()
	modData, err := f.Format()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), modData, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
		return nil, err
	}
	return &appResult{imports: imports}, nil
}

// checkImports walks the non-test imports of the app's packages and fails if any package comes
// from a stub or from no module of the selected graph; it returns the directly imported modules.
func (g *graphBuilder) checkImports(ctx *build.Context, imports []string, selected map[string]string) (map[string]bool, error) {
	direct := map[string]bool{}
	seen := map[string]bool{}
	var walk func(path, from string) error
	walk = func(path, from string) error {
		if seen[path] || path == "C" {
			return nil
		}
		seen[path] = true
		pkg, err := ctx.Import(path, "", 0)
		if err != nil {
			return fmt.Errorf("import %s (from %s): %v", path, from, err)
		}
		if pkg.Goroot {
			return nil
		}
		mod := g.moduleOf(path, selected)
		if mod == nil {
			return fmt.Errorf("package %s (from %s) is in no module of the graph", path, from)
		}
		if mod.Dir == "" {
			return fmt.Errorf("package %s (from %s) is in stub module %s", path, from, mod.Path)
		}
		for _, imp := range pkg.Imports {
			if err := walk(imp, path); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range imports {
		if m := g.moduleOf(p, selected); m != nil {
			direct[m.Path] = true
		}
	}
	for _, p := range imports {
		if err := walk(p, "fixtureapp"); err != nil {
			return nil, err
		}
	}
	return direct, nil
}

// moduleOf is the selected module with the longest path that is a prefix of the package path.
func (g *graphBuilder) moduleOf(pkg string, selected map[string]string) *fixtureModule {
	var best *fixtureModule
	for p := range selected {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && (best == nil || len(p) > len(best.Path)) {
			best = g.mods[p]
		}
	}
	return best
}

func writeJSONFile(path string, v interface{}) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// The build-fixture subcommand: a realistic module graph in GOPROXY layout built from the Go module
// sources Debian ships under /usr/share/gocode/src, plus an app module that builds against it. The
// modules built from source are exactly those of the -modules list (fixture-modules.txt); every
// other module reached is a go.mod-only stub, so extra installed packages change nothing.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// fixtureModule is one module of the graph: real (Debian source) or a stub (go.mod only).
type fixtureModule struct {
	Path       string
	Dir        string // source directory; "" for stubs
	DebVersion string // version derived from the Debian package; "" for stubs
	GoMod      []byte // .mod bytes served for every version
	HasGoMod   bool   // the source has its own go.mod (else the .mod is synthesized)
	Requires   []module.Version
	versions   map[string]bool
}

type skipped struct {
	Module  string `json:"module"`
	Version string `json:"version,omitempty"`
	Reason  string `json:"reason"`
}

type manifestModule struct {
	Path       string   `json:"path"`
	Stub       bool     `json:"stub"`
	DebVersion string   `json:"debVersion,omitempty"`
	Versions   []string `json:"versions"`
	Selected   string   `json:"selected"`
	Filtered   []string `json:"filteredFiles,omitempty"`
}

type manifest struct {
	Roots    []string         `json:"roots"`
	App      string           `json:"app"`
	Imports  []string         `json:"imports"`
	Modules  []manifestModule `json:"modules"`
	Skipped  []skipped        `json:"skipped"`
	Versions int              `json:"versionCount"`
}

type graphBuilder struct {
	src     string
	deb     *debianIndex
	listed  map[string]string // module path → Debian package: the modules built from source
	mods    map[string]*fixtureModule
	skipped []skipped
	missing []string // listed modules whose source could not be used, with the package to install
}

// readModuleList parses a -modules file: "module-path debian-package" lines, # comments.
func readModuleList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	listed := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"module-path debian-package\", got %q", path, n, line)
		}
		listed[fields[0]] = fields[1]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(listed) == 0 {
		return nil, fmt.Errorf("%s lists no modules", path)
	}
	return listed, nil
}

func cmdBuildFixture(args []string) error {
	fs := flag.NewFlagSet("build-fixture", flag.ContinueOnError)
	src := fs.String("src", "/usr/share/gocode/src", "GOPATH src directory with Debian's Go sources")
	out := fs.String("out", "", "output directory (proxy/, app/, manifest.json)")
	rootsFlag := fs.String("roots", "", "comma-separated root module paths")
	modulesFlag := fs.String("modules", "", "file listing the modules built from source (module-path debian-package lines)")
	jobs := fs.Int("j", 2, "parallel zip builders")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *rootsFlag == "" || *modulesFlag == "" {
		return errors.New("-out, -roots and -modules are required")
	}
	listed, err := readModuleList(*modulesFlag)
	if err != nil {
		return err
	}
	os.Setenv("GO111MODULE", "off") // go/build below must stay in GOPATH mode
	var roots []string
	for _, r := range strings.Split(*rootsFlag, ",") {
		if r = strings.TrimSpace(r); r != "" {
			roots = append(roots, r)
		}
	}
	deb, err := loadDebianIndex(*src)
	if err != nil {
		return err
	}
	g := &graphBuilder{src: filepath.Clean(*src), deb: deb, listed: listed, mods: map[string]*fixtureModule{}}
	for _, r := range roots {
		if _, ok := listed[r]; !ok {
			return fmt.Errorf("root %s is not listed in %s", r, *modulesFlag)
		}
		g.load(r)
	}
	for _, p := range sortedKeys(listed) {
		if g.mods[p] == nil {
			g.missing = append(g.missing, fmt.Sprintf("%s (%s): listed but not reached from the roots; remove it from the list", p, listed[p]))
		}
	}
	if len(g.missing) > 0 {
		return fmt.Errorf("the fixture's module set (%s) cannot be built from %s:\n  %s\nscripts/ensure-deps.sh installs every listed package", *modulesFlag, *src, strings.Join(g.missing, "\n  "))
	}
	g.fixVersions()
	selected := g.selected(roots)

	proxyDir := filepath.Join(*out, "proxy")
	if err := os.MkdirAll(proxyDir, 0o755); err != nil {
		return err
	}
	filtered, err := g.writeProxy(proxyDir, *jobs)
	if err != nil {
		return err
	}
	app, err := g.writeApp(filepath.Join(*out, "app"), roots, selected)
	if err != nil {
		return err
	}
	man := manifest{Roots: roots, App: "example.com/fixtureapp", Imports: app.imports, Skipped: g.skipped}
	if man.Skipped == nil {
		man.Skipped = []skipped{}
	}
	for _, p := range g.sortedPaths() {
		m := g.mods[p]
		mm := manifestModule{Path: p, Stub: m.Dir == "", DebVersion: m.DebVersion, Versions: m.sortedVersions(), Selected: selected[p], Filtered: filtered[p]}
		man.Versions += len(mm.Versions)
		man.Modules = append(man.Modules, mm)
	}
	if err := writeJSONFile(filepath.Join(*out, "manifest.json"), man); err != nil {
		return err
	}
	printJSON(map[string]interface{}{"out": *out, "modules": len(man.Modules), "versions": man.Versions, "skipped": man.Skipped})
	return nil
}

func (g *graphBuilder) sortedPaths() []string {
	return sortedKeys(g.mods)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (m *fixtureModule) sortedVersions() []string {
	vs := make([]string, 0, len(m.versions))
	for v := range m.versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool {
		if c := semver.Compare(vs[i], vs[j]); c != 0 {
			return c < 0
		}
		return vs[i] < vs[j]
	})
	return vs
}

// load returns the module for path, reading its Debian source and following its requirements.
func (g *graphBuilder) load(path string) *fixtureModule {
	if m := g.mods[path]; m != nil {
		return m
	}
	m := &fixtureModule{Path: path, versions: map[string]bool{}}
	g.mods[path] = m
	pkg, isListed := g.listed[path]
	var err error
	if isListed {
		err = g.loadSource(m)
	}
	if !isListed || err != nil {
		if err != nil {
			reason := err.Error()
			if errors.Is(err, os.ErrNotExist) {
				reason = "source not installed"
			}
			g.missing = append(g.missing, fmt.Sprintf("%s: %s; install Debian package %s", path, reason, pkg))
		}
		m.Dir, m.DebVersion, m.Requires = "", "", nil
		m.GoMod = []byte("module " + modfile.AutoQuote(path) + "\n")
	} else {
		m.versions[m.DebVersion] = true
	}
	for _, r := range m.Requires {
		dep := g.load(r.Path)
		dep.versions[r.Version] = true
	}
	return m
}

func (g *graphBuilder) loadSource(m *fixtureModule) error {
	dir := filepath.Join(g.src, filepath.FromSlash(m.Path))
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if real != dir {
		return fmt.Errorf("%s is a symlink", dir)
	}
	m.Dir = dir
	m.DebVersion = semverFromDebian(g.deb.versionOf(dir))
	if m.DebVersion == "" {
		return fmt.Errorf("no Debian version for %s", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if errors.Is(err, os.ErrNotExist) {
		m.GoMod = []byte("module " + modfile.AutoQuote(m.Path) + "\n")
		if _, pathMajor, _ := module.SplitPathVersion(m.Path); pathMajor == "" && semver.Major(m.DebVersion) >= "v2" && len(semver.Major(m.DebVersion)) == 2 {
			m.DebVersion += "+incompatible"
		}
		return nil
	}
	if err != nil {
		return err
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return err
	}
	if f.Module == nil || f.Module.Mod.Path != m.Path {
		return fmt.Errorf("go.mod in %s does not declare module %s", dir, m.Path)
	}
	m.GoMod, m.HasGoMod = data, true
	for _, r := range f.Require {
		m.Requires = append(m.Requires, r.Mod)
	}
	return nil
}

// fixVersions drops versions that are invalid for their module path and labels real modules.
func (g *graphBuilder) fixVersions() {
	for _, p := range g.sortedPaths() {
		m := g.mods[p]
		_, pathMajor, _ := module.SplitPathVersion(p)
		for _, v := range m.sortedVersions() {
			err := module.Check(p, v)
			if err == nil {
				err = module.CheckPathMajor(v, pathMajor)
			}
			if err == nil && m.HasGoMod && strings.HasSuffix(v, "+incompatible") {
				err = errors.New("+incompatible version of a module with go.mod")
			}
			if err != nil {
				delete(m.versions, v)
				g.skipped = append(g.skipped, skipped{Module: p, Version: v, Reason: err.Error()})
			}
		}
	}
}

// selected is the unpruned MVS result from the roots: each module's highest reachable version.
func (g *graphBuilder) selected(roots []string) map[string]string {
	sel := map[string]string{}
	var visit func(path, vers string)
	visit = func(path, vers string) {
		m := g.mods[path]
		if m == nil || !m.versions[vers] {
			return
		}
		if cur, ok := sel[path]; ok && semver.Compare(cur, vers) >= 0 {
			return
		}
		sel[path] = vers
		for _, r := range m.Requires {
			visit(r.Path, r.Version)
		}
	}
	for _, r := range roots {
		visit(r, g.mods[r].DebVersion)
	}
	return sel
}

// versionTime is a fixed, deterministic time for a version: the pseudo-version's own time, else
// 2020-01-01 plus one day per rank in the module's version order.
func versionTime(vers string, rank int) time.Time {
	if module.IsPseudoVersion(vers) {
		if t, err := module.PseudoVersionTime(vers); err == nil {
			return t.UTC()
		}
	}
	return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rank) * 24 * time.Hour)
}

type zipJob struct {
	m    *fixtureModule
	vers string
	base string
}

// writeProxy writes list/.info/.mod/.zip for every module version; returns per-module files left
// out of zips because zip.CreateFromDir rejected the directory.
func (g *graphBuilder) writeProxy(proxyDir string, jobs int) (map[string][]string, error) {
	var work []zipJob
	for _, p := range g.sortedPaths() {
		m := g.mods[p]
		esc, err := module.EscapePath(p)
		if err != nil {
			return nil, err
		}
		vdir := filepath.Join(proxyDir, filepath.FromSlash(esc), "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return nil, err
		}
		var list strings.Builder
		for rank, v := range m.sortedVersions() {
			escV, err := module.EscapeVersion(v)
			if err != nil {
				return nil, err
			}
			if !module.IsPseudoVersion(v) {
				list.WriteString(v + "\n")
			}
			base := filepath.Join(vdir, escV)
			info := fmt.Sprintf(`{"Version":%q,"Time":%q}`, v, versionTime(v, rank).Format(time.RFC3339))
			if err := os.WriteFile(base+".info", []byte(info), 0o644); err != nil {
				return nil, err
			}
			if err := os.WriteFile(base+".mod", m.GoMod, 0o644); err != nil {
				return nil, err
			}
			work = append(work, zipJob{m: m, vers: v, base: base})
		}
		if err := os.WriteFile(filepath.Join(vdir, "list"), []byte(list.String()), 0o644); err != nil {
			return nil, err
		}
	}
	return runZipJobs(work, jobs)
}

func runZipJobs(work []zipJob, jobs int) (map[string][]string, error) {
	if jobs < 1 {
		jobs = 1
	}
	var (
		mu       sync.Mutex
		firstErr error
		filtered = map[string][]string{}
		wg       sync.WaitGroup
		ch       = make(chan zipJob)
	)
	for i := 0; i < jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				bad, err := writeModuleZip(j)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if len(bad) > 0 {
					filtered[j.m.Path] = bad
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range work {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return filtered, firstErr
}

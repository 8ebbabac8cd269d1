// Debian package metadata for build-fixture: which golang-*-dev package ships a source directory
// and at which Debian version, turned into a Go semantic version.
package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// debianIndex maps installed source files (under srcRoot) to the version of the package shipping them.
type debianIndex struct {
	fileVersion map[string]string // absolute path → Debian version
}

func loadDebianIndex(srcRoot string) (*debianIndex, error) {
	versions := map[string]string{}
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var pkg string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Package: "):
			pkg = strings.TrimPrefix(line, "Package: ")
		case strings.HasPrefix(line, "Version: ") && strings.HasPrefix(pkg, "golang-"):
			versions[pkg] = strings.TrimPrefix(line, "Version: ")
		}
	}
	idx := &debianIndex{fileVersion: map[string]string{}}
	prefix := filepath.Clean(srcRoot) + "/"
	for pkg, vers := range versions {
		data, err := os.ReadFile("/var/lib/dpkg/info/" + pkg + ".list")
		if err != nil {
			data, err = os.ReadFile("/var/lib/dpkg/info/" + pkg + ":all.list")
		}
		if err != nil {
			continue
		}
		for _, p := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(p, prefix) {
				idx.fileVersion[p] = vers
			}
		}
	}
	return idx, nil
}

// versionOf returns the Debian version of the package shipping a file directly in dir, or "".
func (d *debianIndex) versionOf(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if v, ok := d.fileVersion[filepath.Join(dir, e.Name())]; ok {
			return v
		}
	}
	for _, e := range entries {
		if e.IsDir() {
			if v := d.versionOf(filepath.Join(dir, e.Name())); v != "" {
				return v
			}
		}
	}
	return ""
}

var (
	debSnapshotRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)[~+]git(\d{8})[.-]([0-9a-f]{7,40})$`)
	debReleaseRE  = regexp.MustCompile(`^(\d+\.\d+\.\d+)`)
)

// semverFromDebian turns a Debian version into a Go version: epoch and revision dropped,
// "+reallyX" honoured, "+ds"/"+dfsg" dropped, git snapshots become pseudo-versions.
func semverFromDebian(deb string) string {
	if i := strings.Index(deb, ":"); i >= 0 {
		deb = deb[i+1:]
	}
	if i := strings.LastIndex(deb, "-"); i >= 0 {
		deb = deb[:i]
	}
	if i := strings.Index(deb, "+really"); i >= 0 {
		deb = deb[i+len("+really"):]
	}
	if m := debSnapshotRE.FindStringSubmatch(deb); m != nil {
		rev := m[5]
		for len(rev) < 12 {
			rev += "0"
		}
		patch := m[3]
		if strings.Contains(deb, "~git") {
			// 1.0.6~git… is a snapshot before 1.0.6: vX.Y.Z-0.TIME-REV sorts just below vX.Y.Z.
			return "v" + m[1] + "." + m[2] + "." + patch + "-0." + m[4] + "000000-" + rev[:12]
		}
		// 1.2.0+git… is a snapshot after 1.2.0.
		return "v" + m[1] + "." + m[2] + "." + incDecimal(patch) + "-0." + m[4] + "000000-" + rev[:12]
	}
	if m := debReleaseRE.FindString(deb); m != "" {
		return "v" + m
	}
	return ""
}

func incDecimal(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

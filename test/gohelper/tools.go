// Small one-shot subcommands that let unit tests compare modgate's TypeScript with x/mod:
// hash-zip, hash-mod, check-zip, create-zip, check-path, escape-path.
package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// hashGoMod is the go.sum "/go.mod" hash of the given go.mod bytes, as modfetch computes it.
func hashGoMod(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

func oneFileArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", errors.New("expected exactly one FILE argument")
	}
	return args[0], nil
}

func cmdHashZip(args []string) error {
	file, err := oneFileArg(args)
	if err != nil {
		return err
	}
	h, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		return err
	}
	printJSON(map[string]string{"h1": h})
	return nil
}

func cmdHashMod(args []string) error {
	file, err := oneFileArg(args)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	h, err := hashGoMod(data)
	if err != nil {
		return err
	}
	printJSON(map[string]string{"h1": h})
	return nil
}

type fileErrorJSON struct {
	Path string `json:"path"`
	Err  string `json:"err"`
}

type checkedJSON struct {
	Valid     []string        `json:"valid"`
	Omitted   []fileErrorJSON `json:"omitted"`
	Invalid   []fileErrorJSON `json:"invalid"`
	SizeError *string         `json:"sizeError"`
	Error     *string         `json:"error"`
}

// toCheckedJSON renders CheckZip/CheckDir results; CheckDir's OS paths are made relative to dir
// (slash-separated) so both read like zip file paths.
func toCheckedJSON(cf modzip.CheckedFiles, err error, dir string) checkedJSON {
	rel := func(p string) string {
		if dir == "" {
			return p
		}
		if r, err := filepath.Rel(dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	conv := func(list []modzip.FileError) []fileErrorJSON {
		out := []fileErrorJSON{}
		for _, fe := range list {
			out = append(out, fileErrorJSON{Path: rel(fe.Path), Err: fe.Err.Error()})
		}
		return out
	}
	valid := []string{}
	for _, p := range cf.Valid {
		valid = append(valid, rel(p))
	}
	return checkedJSON{Valid: valid, Omitted: conv(cf.Omitted), Invalid: conv(cf.Invalid), SizeError: errString(cf.SizeError), Error: errString(err)}
}

func cmdCheckZip(args []string) error {
	fs := flag.NewFlagSet("check-zip", flag.ContinueOnError)
	path := fs.String("path", "", "module path")
	version := fs.String("version", "", "module version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	file, err := oneFileArg(fs.Args())
	if err != nil {
		return err
	}
	cf, err := modzip.CheckZip(module.Version{Path: *path, Version: *version}, file)
	printJSON(toCheckedJSON(cf, err, ""))
	return nil
}

func cmdCreateZip(args []string) error {
	fs := flag.NewFlagSet("create-zip", flag.ContinueOnError)
	path := fs.String("path", "", "module path")
	version := fs.String("version", "", "module version")
	dir := fs.String("dir", "", "module root directory")
	out := fs.String("out", "", "zip file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return errors.New("-dir and -out are required")
	}
	cf, checkErr := modzip.CheckDir(*dir)
	if err := createZipFile(*out, module.Version{Path: *path, Version: *version}, *dir); err != nil {
		printJSON(map[string]interface{}{"error": err.Error(), "check": toCheckedJSON(cf, checkErr, *dir)})
		return nil
	}
	h, err := dirhash.HashZip(*out, dirhash.Hash1)
	if err != nil {
		return err
	}
	printJSON(map[string]interface{}{"h1": h, "error": nil, "check": toCheckedJSON(cf, checkErr, *dir)})
	return nil
}

// createZipFile writes the zip of dir for m with zip.CreateFromDir (via a temp file and rename).
func createZipFile(out string, m module.Version, dir string) error {
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = modzip.CreateFromDir(f, m, dir)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

func cmdCheckPath(args []string) error {
	p, err := oneFileArg(args)
	if err != nil {
		return err
	}
	printJSON(map[string]interface{}{
		"path":            p,
		"checkPath":       errString(module.CheckPath(p)),
		"checkImportPath": errString(module.CheckImportPath(p)),
		"checkFilePath":   errString(module.CheckFilePath(p)),
	})
	return nil
}

func cmdEscapePath(args []string) error {
	p, err := oneFileArg(args)
	if err != nil {
		return err
	}
	esc, perr := module.EscapePath(p)
	escV, verr := module.EscapeVersion(p)
	unesc, uerr := module.UnescapePath(p)
	out := map[string]interface{}{
		"path": p, "escaped": esc, "error": errString(perr),
		"escapedVersion": escV, "versionError": errString(verr),
		"unescaped": unesc, "unescapeError": errString(uerr),
	}
	printJSON(out)
	return nil
}

// The sumdb subcommand: a checksum database (x/mod sumdb.NewServer over sumdb.NewTestServer) whose
// records are computed with dirhash from a GOPROXY-layout directory.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func cmdSumdb(args []string) error {
	fs := flag.NewFlagSet("sumdb", flag.ContinueOnError)
	proxyDir := fs.String("proxy", "", "GOPROXY-layout directory the records are computed from")
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	name := fs.String("name", "sum.modgate.test", "checksum database name (used when a key is generated)")
	keyFile := fs.String("keyfile", "", "signer key file: read if it exists, else generated and written")
	logReqs := fs.Bool("log", false, "print each request as a JSON line {\"req\":path}")
	deny := fs.String("deny", "", "comma-separated module path prefixes whose lookups fail")
	denyStatus := fs.Int("deny-status", http.StatusNotFound, "status for denied lookups (404 or 410)")
	watchStdin := fs.Bool("exit-on-stdin-eof", false, "exit when stdin closes (the parent test process died)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *watchStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	if *proxyDir == "" {
		return errors.New("-proxy is required")
	}
	skey, err := loadOrCreateKey(*keyFile, *name)
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("signer key: %w", err)
	}
	vkey, err := deriveVerifier(skey)
	if err != nil {
		return err
	}
	var denied []string
	for _, p := range strings.Split(*deny, ",") {
		if p = strings.TrimSpace(p); p != "" {
			denied = append(denied, p)
		}
	}

	srv := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		return goSumLines(*proxyDir, path, vers)
	}))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *logReqs {
			printJSON(map[string]string{"req": r.URL.Path})
		}
		if strings.HasPrefix(r.URL.Path, "/lookup/") && len(denied) > 0 {
			escMod := strings.TrimPrefix(r.URL.Path, "/lookup/")
			if i := strings.LastIndex(escMod, "@"); i >= 0 {
				if p, err := module.UnescapePath(escMod[:i]); err == nil && hasPrefixIn(p, denied) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.WriteHeader(*denyStatus)
					fmt.Fprintf(w, "not found: %s: denied by gohelper sumdb -deny\n", p)
					return
				}
			}
		}
		srv.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	printJSON(map[string]string{"url": "http://" + ln.Addr().String(), "vkey": vkey, "name": signer.Name()})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		os.Exit(0)
	}()
	return http.Serve(ln, handler)
}

func hasPrefixIn(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// loadOrCreateKey returns the signer key stored in file, or generates one for name and stores it.
func loadOrCreateKey(file, name string) (string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err == nil {
			return strings.TrimSpace(string(data)), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	if file != "" {
		tmp := fmt.Sprintf("%s.tmp%d", file, os.Getpid())
		if err := os.WriteFile(tmp, []byte(skey+"\n"), 0o600); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, file); err != nil {
			return "", err
		}
	}
	return skey, nil
}

// goSumLines returns the two go.sum lines of path@vers computed from the proxy directory.
func goSumLines(proxyDir, path, vers string) ([]byte, error) {
	escPath, err := module.EscapePath(path)
	if err != nil {
		return nil, err
	}
	escVers, err := module.EscapeVersion(vers)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(proxyDir, filepath.FromSlash(escPath), "@v", escVers)
	zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		return nil, lookupError(path, vers, err)
	}
	modData, err := os.ReadFile(base + ".mod")
	if err != nil {
		return nil, lookupError(path, vers, err)
	}
	modHash, err := hashGoMod(modData)
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, zipHash, path, vers, modHash)), nil
}

// lookupError keeps "not exist" recognisable by os.IsNotExist (which does not unwrap %w), so the
// sumdb server answers 404 for module versions the proxy directory does not have.
func lookupError(path, vers string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &fs.PathError{Op: "lookup", Path: path + "@" + vers, Err: fs.ErrNotExist}
	}
	return fmt.Errorf("%s@%s: %w", path, vers, err)
}

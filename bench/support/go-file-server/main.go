// Command go-file-server is the "Go proxy" contender of bench/hit-throughput.ts: it serves a
// GOPROXY directory (the go command's cache/download layout) the way the Go module proxies serve
// their disk caches (goproxy's DirCacher, Athens' disk storage): open the file for every request,
// stat it, and hand it to http.ServeContent (which answers HEAD, Range, If-None-Match /
// If-Modified-Since and uses sendfile for the body). Built by the benchmark with the Debian Go in
// GOPATH mode; standard library only.
//
// Usage: go-file-server ROOT   (listens on 127.0.0.1, a free port; prints the port on stdout,
// exits when stdin closes)
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

var contentTypes = map[string]string{
	".info": "application/json",
	".mod":  "text/plain; charset=utf-8",
	".zip":  "application/zip",
}

func contentType(name string) string {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		return ct
	}
	return "text/plain; charset=utf-8" // @v/list and anything else
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-file-server ROOT")
		os.Exit(2)
	}
	root := os.Args[1]
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if strings.Contains(name, "\x00") {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fi.IsDir() {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", contentType(name))
		http.ServeContent(w, r, name, fi.ModTime(), f)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	if err := http.Serve(ln, handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

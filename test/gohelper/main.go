// Command gohelper is the Go reference side of modgate's interop tests: it builds test upstreams
// (a GOPROXY directory, a checksum database) and answers single questions (zip hash, zip check)
// with golang.org/x/mod, so modgate's TypeScript is checked against code we did not write.
// Build: GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= go build -o <out> ./test/gohelper
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
)

var commands = map[string]func(args []string) error{
	"build-fixture": cmdBuildFixture,
	"sumdb":         cmdSumdb,
	"hash-zip":      cmdHashZip,
	"hash-mod":      cmdHashMod,
	"check-zip":     cmdCheckZip,
	"create-zip":    cmdCreateZip,
	"check-path":    cmdCheckPath,
	"escape-path":   cmdEscapePath,
	"verify-log":    cmdVerifyLog,
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: gohelper <command> [flags]\ncommands: %v\n", names)
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "gohelper %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

var stdoutMu sync.Mutex

// printJSON writes v as one compact JSON line on stdout (safe for concurrent use).
func printJSON(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

// errString renders an error for JSON output: nil becomes null.
func errString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

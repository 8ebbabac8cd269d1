// The verify-log subcommand: checks a checksum database over HTTP with x/mod's own code: every
// lookup through sumdb.Client (tiles authenticated by its tile reader), every record of the log
// against the latest tree (tlog.ProveRecord/CheckRecord), and every tree head seen earlier
// (tlog.ProveTree/CheckTree against the latest). Prints one JSON line; exits 1 on any failure.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type httpOps struct {
	url, vkey, name string
	mu              sync.Mutex
	config          map[string][]byte
	cache           map[string][]byte
	security        []string
}

func (o *httpOps) get(path string) ([]byte, error) {
	resp, err := http.Get(o.url + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func (o *httpOps) ReadRemote(path string) ([]byte, error) { return o.get(path) }
func (o *httpOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.vkey), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.config[file], nil
}
func (o *httpOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !bytes.Equal(o.config[file], old) {
		return sumdb.ErrWriteConflict
	}
	o.config[file] = new
	return nil
}
func (o *httpOps) ReadCache(file string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d, ok := o.cache[file]; ok {
		return d, nil
	}
	return nil, os.ErrNotExist
}
func (o *httpOps) WriteCache(file string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cache[file] = data
}
func (o *httpOps) Log(msg string) {}
func (o *httpOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.security = append(o.security, msg)
}

// tileFetcher is a tlog.TileReader over HTTP (TileHashReader authenticates what it returns).
type tileFetcher struct{ ops *httpOps }

func (t tileFetcher) Height() int { return 8 }
func (t tileFetcher) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		d, err := t.ops.get("/" + tile.Path())
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}
func (t tileFetcher) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

type lookupResult struct {
	Module string   `json:"module"`
	Lines  []string `json:"lines"`
	Error  *string  `json:"error"`
}

type verifyResult struct {
	Size         int64          `json:"size"`
	Records      []string       `json:"records"`
	Duplicates   []string       `json:"duplicates"`
	Lookups      []lookupResult `json:"lookups"`
	TreesChecked int            `json:"treesChecked"`
	Errors       []string       `json:"errors"`
}

func cmdVerifyLog(args []string) error {
	fs := flag.NewFlagSet("verify-log", flag.ContinueOnError)
	url := fs.String("url", "", "database URL (e.g. http://127.0.0.1:PORT/sumdb/NAME)")
	vkey := fs.String("vkey", "", "verifier key")
	lookups := fs.String("lookups", "", "file: one MODULE@VERSION per line, looked up with sumdb.Client")
	notes := fs.String("notes", "", "file: JSON array of signed tree notes seen earlier")
	if err := fs.Parse(args); err != nil {
		return err
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return err
	}
	ops := &httpOps{url: strings.TrimSuffix(*url, "/"), vkey: *vkey, name: verifier.Name(), config: map[string][]byte{}, cache: map[string][]byte{}}
	res := verifyResult{Records: []string{}, Duplicates: []string{}, Lookups: []lookupResult{}, Errors: []string{}}
	fail := func(format string, a ...interface{}) { res.Errors = append(res.Errors, fmt.Sprintf(format, a...)) }

	client := sumdb.NewClient(ops)
	if *lookups != "" {
		f, err := os.Open(*lookups)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			i := strings.LastIndex(line, "@")
			if i <= 0 {
				continue
			}
			lines, err := client.Lookup(line[:i], line[i+1:])
			r := lookupResult{Module: line, Lines: lines, Error: errString(err)}
			if r.Lines == nil {
				r.Lines = []string{}
			}
			if err != nil {
				fail("lookup %s: %v", line, err)
			}
			res.Lookups = append(res.Lookups, r)
		}
		f.Close()
	}

	latestMsg, err := ops.get("/latest")
	if err != nil {
		return err
	}
	latestNote, err := note.Open(latestMsg, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("latest: %w", err)
	}
	latest, err := tlog.ParseTree([]byte(latestNote.Text))
	if err != nil {
		return err
	}
	res.Size = latest.N
	hr := tlog.TileHashReader(latest, tileFetcher{ops})

	if *notes != "" {
		data, err := os.ReadFile(*notes)
		if err != nil {
			return err
		}
		var seen []string
		if err := json.Unmarshal(data, &seen); err != nil {
			return err
		}
		for _, msg := range seen {
			n, err := note.Open([]byte(msg), note.VerifierList(verifier))
			if err != nil {
				fail("seen note does not verify: %v", err)
				continue
			}
			t, err := tlog.ParseTree([]byte(n.Text))
			if err != nil {
				fail("seen note: %v", err)
				continue
			}
			res.TreesChecked++
			if t.N > latest.N {
				fail("seen tree %d is larger than latest %d (rewound)", t.N, latest.N)
				continue
			}
			if t.N == 0 {
				continue
			}
			proof, err := tlog.ProveTree(latest.N, t.N, hr)
			if err == nil {
				err = tlog.CheckTree(proof, latest.N, latest.Hash, t.N, t.Hash)
			}
			if err != nil {
				fail("tree %d is not a prefix of tree %d: %v", t.N, latest.N, err)
			}
		}
	}

	seenRec := map[string]bool{}
	for start := int64(0); start < latest.N; start += 256 {
		w := latest.N - start
		if w > 256 {
			w = 256
		}
		tile := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}
		data, err := ops.get("/" + tile.Path())
		if err != nil {
			fail("data tile %s: %v", tile.Path(), err)
			break
		}
		for id := start; id < start+w; id++ {
			gotID, text, rest, err := tlog.ParseRecord(data)
			if err != nil || gotID != id {
				fail("data tile %s: record %d: id %d, %v", tile.Path(), id, gotID, err)
				break
			}
			data = rest
			proof, err := tlog.ProveRecord(latest.N, id, hr)
			if err == nil {
				err = tlog.CheckRecord(proof, latest.N, latest.Hash, id, tlog.RecordHash(text))
			}
			if err != nil {
				fail("record %d is not in tree %d: %v", id, latest.N, err)
			}
			lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
			f := strings.Fields(lines[0])
			ok := len(lines) == 2 && len(f) == 3 && strings.HasPrefix(f[2], "h1:")
			if ok {
				g := strings.Fields(lines[1])
				ok = len(g) == 3 && g[0] == f[0] && g[1] == f[1]+"/go.mod" && strings.HasPrefix(g[2], "h1:")
			}
			if !ok {
				fail("record %d is not a go.sum record: %q", id, text)
				continue
			}
			key := f[0] + "@" + f[1]
			if seenRec[key] {
				res.Duplicates = append(res.Duplicates, key)
			}
			seenRec[key] = true
			res.Records = append(res.Records, key)
		}
	}
	for _, s := range ops.security {
		fail("security error: %s", s)
	}
	printJSON(res)
	if len(res.Errors) > 0 {
		return errors.New(strings.Join(res.Errors, "; "))
	}
	return nil
}

// Verifier-key derivation for the sumdb subcommand: x/mod's note package can generate a key pair
// but not recompute the verifier key of a stored signer key, so this does it with crypto/ed25519.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func deriveVerifier(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("malformed signer key")
	}
	name, hashHex, keyB64 := parts[2], parts[3], parts[4]
	raw, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("malformed signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	encoded := append([]byte{1}, pub...)
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(encoded)
	hash := binary.BigEndian.Uint32(h.Sum(nil))
	if want, err := strconv.ParseUint(hashHex, 16, 32); err != nil || uint32(want) != hash {
		return "", fmt.Errorf("signer key hash does not match its key")
	}
	vkey := fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(encoded))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", err
	}
	return vkey, nil
}

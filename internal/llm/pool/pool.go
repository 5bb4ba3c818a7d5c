// Package pool owns credential pools: several API keys per provider in
// <home>/auth.json, the strategy that picks one, and the cooldowns that
// failures put on a key. It is safe for several hermes processes at once.
package pool

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Strategy says how a pool picks the key for the next request.
type Strategy string

// The strategies.
const (
	// FillFirst always takes the available key with the lowest priority
	// number (ties: the one added first). It is the default.
	FillFirst Strategy = "fill_first"
	// RoundRobin takes the available key used least recently (never used
	// first; ties: fewest requests, then priority).
	RoundRobin Strategy = "round_robin"
	// Random takes an available key uniformly at random.
	Random Strategy = "random"
	// LeastUsed takes the available key with the fewest requests (ties:
	// priority, then the one added first).
	LeastUsed Strategy = "least_used"
)

var strategies = []Strategy{FillFirst, RoundRobin, Random, LeastUsed}

// ParseStrategy reads a strategy name. Case and "-" for "_" are forgiven.
func ParseStrategy(s string) (Strategy, error) {
	norm := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
	for _, st := range strategies {
		if norm == string(st) {
			return st, nil
		}
	}
	names := make([]string, len(strategies))
	for i, st := range strategies {
		names[i] = string(st)
	}
	return "", fmt.Errorf("unknown strategy %q (want one of %s)", s, strings.Join(names, ", "))
}

// orDefault is the strategy a pool really uses: an empty or unknown one
// (a hand edit, a newer hermes) falls back to FillFirst.
func (st Strategy) orDefault() Strategy {
	for _, known := range strategies {
		if st == known {
			return st
		}
	}
	return FillFirst
}

// Status is what the last request with a key said about it.
type Status string

// The statuses.
const (
	StatusOK        Status = "ok"        // worked last time, or never failed
	StatusExhausted Status = "exhausted" // rate limited, out of credit or failing: resting until cooldown_until
	StatusDead      Status = "dead"      // revoked or invalid: never picked until reset
)

// Entry is one key of a pool.
type Entry struct {
	ID       string `json:"id"`
	Label    string `json:"label,omitempty"`
	Priority int    `json:"priority"`
	// Source is "manual" (hermes auth add) or "env:VAR" (a key from .env
	// or the environment; its value is not stored, only a fingerprint).
	Source string `json:"source"`
	// Key is the secret, for manual entries only.
	Key string `json:"key,omitempty"`
	// Fingerprint is the first 16 hex digits of sha256(key): it identifies
	// env keys across runs and detects duplicates.
	Fingerprint   string    `json:"fingerprint"`
	LastStatus    Status    `json:"last_status"`
	LastError     *KeyError `json:"last_error,omitempty"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
	RequestCount  int64     `json:"request_count"`
	AddedAt       time.Time `json:"added_at"`
	LastUsedAt    time.Time `json:"last_used_at,omitzero"`
}

// KeyError is the last failure recorded for a key.
type KeyError struct {
	Code    int       `json:"code"`
	Message string    `json:"message"`
	ResetAt time.Time `json:"reset_at,omitzero"` // the reset time the provider gave, if any
}

// Pool is one provider's keys and how to pick among them.
type Pool struct {
	Strategy Strategy `json:"strategy"`
	Entries  []Entry  `json:"entries"`
}

// sourceManual marks a key added with `hermes auth add`.
const sourceManual = "manual"

// envPrefix starts the Source of a key taken from a variable.
const envPrefix = "env:"

// EnvKey is a key found in a variable: Source is "env:OPENAI_API_KEY".
type EnvKey struct {
	Source, Key string
}

// Lease is the key chosen for one attempt. Key is the secret to send.
type Lease struct {
	Provider string
	Entry    Entry
	Key      string
}

// Failure is what a failed request with a key said: its HTTP status, the
// provider's message and the response headers (Retry-After, reset
// headers).
type Failure struct {
	Status  int
	Message string
	Header  http.Header
}

// ErrNoKey is wrapped by every error Pick returns when no key is usable.
var ErrNoKey = errors.New("no usable key")

// NoKeyError says why no key of a pool could be picked: one reason per
// entry, and the earliest time a resting key becomes available again
// (zero when none will by itself).
type NoKeyError struct {
	Provider string
	Next     time.Time
	Reasons  []string
}

func (e *NoKeyError) Error() string {
	if len(e.Reasons) == 0 {
		return fmt.Sprintf("%s for %s: its pool has no keys", ErrNoKey, e.Provider)
	}
	return fmt.Sprintf("%s for %s: %s", ErrNoKey, e.Provider, strings.Join(e.Reasons, "; "))
}

// Unwrap makes errors.Is(err, ErrNoKey) true.
func (e *NoKeyError) Unwrap() error { return ErrNoKey }

// Mask shows a key without giving it away: "***" for a key shorter than
// 18 characters, otherwise its first 6 and last 4 characters around
// "..." ("sk-pro...9xQz").
func Mask(key string) string {
	r := []rune(key)
	if len(r) < 18 {
		return "***"
	}
	return string(r[:6]) + "..." + string(r[len(r)-4:])
}

// fingerprint is the first 16 hex digits of sha256(key).
func fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

var providerRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func checkProvider(name string) error {
	if !providerRE.MatchString(name) {
		return fmt.Errorf("invalid provider name %q: use 1-64 lower-case letters, digits, '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// display names an entry in messages: its masked key when known, else
// its label, variable or id.
func (e Entry) display(key string) string {
	switch {
	case key != "":
		return Mask(key)
	case e.Key != "":
		return Mask(e.Key)
	case e.Label != "":
		return e.Label
	case e.Source != "":
		return e.Source
	}
	return e.ID
}

// available reports whether e may be picked at now (ignoring exclusion).
func (e Entry) available(now time.Time) bool {
	return e.LastStatus != StatusDead && !e.CooldownUntil.After(now)
}

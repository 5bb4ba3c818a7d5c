package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the schemes.
const (
	hdrGitHubSig      = "X-Hub-Signature-256"
	hdrGitHubDelivery = "X-GitHub-Delivery"
	hdrGitHubEvent    = "X-GitHub-Event"
	hdrGitLabToken    = "X-Gitlab-Token"
	hdrGitLabUUID     = "X-Gitlab-Event-UUID"
	hdrGitLabEvent    = "X-Gitlab-Event"
	hdrStdID          = "Webhook-Id"
	hdrStdTimestamp   = "Webhook-Timestamp"
	hdrStdSignature   = "Webhook-Signature"
	hdrHermesTime     = "X-Hermes-Timestamp"
	hdrHermesSig      = "X-Hermes-Signature-256"
	hdrHermesEvent    = "X-Hermes-Event"
	hdrDelivery       = "X-Hermes-Delivery"
)

// Tolerance is how far a signed timestamp may be from the clock.
const Tolerance = 300 * time.Second

// Scheme names, as logged and documented.
const (
	SchemeGitHub   = "github"
	SchemeGitLab   = "gitlab"
	SchemeStandard = "standard"
	SchemeHMAC     = "hmac"
	SchemeBearer   = "bearer"
	SchemeNone     = "none"
)

var (
	errMissing = errors.New("missing signature or token")
	errBad     = errors.New("signature or token does not match")
	errStale   = errors.New("timestamp outside the allowed window of 300 s")
	errFormat  = errors.New("malformed signature header")
)

// verified is what a successful check tells the handler.
type verified struct {
	scheme string
	// replay are the keys under which the delivery is remembered; a
	// delivery is a replay when any of them was seen. Empty when the
	// scheme gives nothing to recognise a replay by.
	replay []string
	// window is how long the replay key is remembered.
	window time.Duration
	event  string
}

// keys are a route's secrets in the forms the schemes need.
type keys struct {
	auth     string // "hmac" or "token"
	secret   []byte // raw secret; nil for a loopback route without one
	standard []byte // Standard Webhooks key: base64 of a whsec_ secret, else the raw secret
}

func newKeys(auth, secret string) (keys, error) {
	k := keys{auth: auth}
	if secret == "" {
		return k, nil
	}
	k.secret = []byte(secret)
	k.standard = k.secret
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return k, errors.New("the secret starts with whsec_ but the rest is not base64")
		}
		k.standard = b
	}
	return k, nil
}

// noReplayWindow is how long ids of schemes without a signed timestamp
// are remembered (GitHub lets a user redeliver an old event by hand).
const noReplayWindow = 24 * time.Hour

// verify checks h and body against k at now. Under hmac the scheme is
// picked by the headers present, in the order Standard Webhooks, GitHub,
// hermes; under token, GitLab then bearer. No other scheme is tried after
// the picked one fails.
func (k keys) verify(h http.Header, body []byte, now time.Time) (verified, error) {
	if k.secret == nil {
		return verified{scheme: SchemeNone, replay: nonEmpty(deliveryID(h)), window: noReplayWindow, event: eventOf(h)}, nil
	}
	if k.auth == "token" {
		return k.verifyToken(h)
	}
	switch {
	case h.Get(hdrStdSignature) != "" || h.Get(hdrStdID) != "":
		return k.verifyStandard(h, body, now)
	case h.Get(hdrGitHubSig) != "":
		sig, err := parseSHA256(h.Get(hdrGitHubSig))
		if err != nil {
			return verified{}, err
		}
		if !hmac.Equal(sig, mac(k.secret, body)) {
			return verified{}, errBad
		}
		// The delivery header is not signed: the signature itself is
		// remembered too, so changing the id does not replay the body.
		return verified{scheme: SchemeGitHub, replay: nonEmpty("gh-sig:"+hex.EncodeToString(sig), prefixed("gh:", h.Get(hdrGitHubDelivery))),
			window: noReplayWindow, event: h.Get(hdrGitHubEvent)}, nil
	case h.Get(hdrHermesSig) != "" || h.Get(hdrHermesTime) != "":
		return k.verifyHermes(h, body, now)
	}
	return verified{}, errMissing
}

func (k keys) verifyToken(h http.Header) (verified, error) {
	if tok := h.Get(hdrGitLabToken); tok != "" {
		if subtle.ConstantTimeCompare(hashed([]byte(tok)), hashed(k.secret)) != 1 {
			return verified{}, errBad
		}
		return verified{scheme: SchemeGitLab, replay: nonEmpty(prefixed("gitlab:", h.Get(hdrGitLabUUID))), window: noReplayWindow, event: h.Get(hdrGitLabEvent)}, nil
	}
	tok, ok := parseBearer(h.Get("Authorization"))
	if !ok {
		return verified{}, errMissing
	}
	if subtle.ConstantTimeCompare(hashed([]byte(tok)), hashed(k.secret)) != 1 {
		return verified{}, errBad
	}
	return verified{scheme: SchemeBearer, replay: nonEmpty(prefixed("bearer:", h.Get(hdrDelivery))), window: noReplayWindow, event: h.Get(hdrHermesEvent)}, nil
}

func (k keys) verifyStandard(h http.Header, body []byte, now time.Time) (verified, error) {
	id, ts, sigs := h.Get(hdrStdID), h.Get(hdrStdTimestamp), h.Get(hdrStdSignature)
	if id == "" || ts == "" || sigs == "" {
		return verified{}, errMissing
	}
	t, err := parseUnix(ts)
	if err != nil {
		return verified{}, err
	}
	if !fresh(t, now) {
		return verified{}, errStale
	}
	want := mac(k.standard, []byte(id+"."+ts+"."), body)
	list, err := parseStandardSignatures(sigs)
	if err != nil {
		return verified{}, err
	}
	ok := 0
	for _, s := range list {
		ok |= subtle.ConstantTimeCompare(s, want)
	}
	if ok != 1 {
		return verified{}, errBad
	}
	return verified{scheme: SchemeStandard, replay: []string{"std:" + id}, window: 2 * Tolerance, event: h.Get(hdrHermesEvent)}, nil
}

func (k keys) verifyHermes(h http.Header, body []byte, now time.Time) (verified, error) {
	ts, raw := h.Get(hdrHermesTime), h.Get(hdrHermesSig)
	if ts == "" || raw == "" {
		return verified{}, errMissing
	}
	t, err := parseUnix(ts)
	if err != nil {
		return verified{}, err
	}
	if !fresh(t, now) {
		return verified{}, errStale
	}
	sig, err := parseSHA256(raw)
	if err != nil {
		return verified{}, err
	}
	if !hmac.Equal(sig, mac(k.secret, []byte(ts+"."), body)) {
		return verified{}, errBad
	}
	return verified{scheme: SchemeHMAC, replay: []string{"hmac:" + ts + "." + hex.EncodeToString(sig)}, window: 2 * Tolerance, event: h.Get(hdrHermesEvent)}, nil
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// hashed makes tokens of different lengths comparable in constant time.
func hashed(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func fresh(t, now time.Time) bool {
	d := now.Sub(t)
	return d <= Tolerance && d >= -Tolerance
}

// parseSHA256 reads "sha256=HEX" (64 hex digits).
func parseSHA256(v string) ([]byte, error) {
	hexPart, ok := strings.CutPrefix(strings.TrimSpace(v), "sha256=")
	if !ok || len(hexPart) != 2*sha256.Size {
		return nil, errFormat
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil {
		return nil, errFormat
	}
	return b, nil
}

// parseStandardSignatures reads "v1,BASE64 v1,BASE64 ..."; signatures of
// other versions (v1a, ...) are skipped. At most 16 entries are read.
func parseStandardSignatures(v string) ([][]byte, error) {
	var out [][]byte
	for i, f := range strings.Fields(v) {
		if i == 16 {
			break
		}
		ver, sig, ok := strings.Cut(f, ",")
		if !ok || ver != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, errFormat
	}
	return out, nil
}

// parseUnix reads a timestamp in whole seconds since the epoch.
func parseUnix(v string) (time.Time, error) {
	if len(v) == 0 || len(v) > 12 {
		return time.Time{}, errFormat
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, errFormat
	}
	return time.Unix(n, 0), nil
}

// parseBearer reads "Bearer TOKEN" (scheme case-insensitive).
func parseBearer(v string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// deliveryID is the id any scheme's sender put on the request, for a route
// without a secret.
func deliveryID(h http.Header) string {
	for _, k := range []string{hdrStdID, hdrGitHubDelivery, hdrGitLabUUID, hdrDelivery} {
		if v := h.Get(k); v != "" {
			return k + ":" + v
		}
	}
	return ""
}

func eventOf(h http.Header) string {
	for _, k := range []string{hdrGitHubEvent, hdrGitLabEvent, hdrHermesEvent} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

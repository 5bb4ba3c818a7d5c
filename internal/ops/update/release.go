package update

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// DefaultURL is where released binaries are downloaded from (update.url).
const DefaultURL = "https://github.com/hermes-go/hermes/releases/latest/download"

// A release directory (update.url) holds, as `make release` writes them:
//
//	VERSION              one line: the version, e.g. v1.4.0
//	SHA256SUMS           "<hex>  <file>" lines, as sha256sum prints them
//	hermes-<os>-<arch>   the static binaries
const (
	versionFile = "VERSION"
	sumsFile    = "SHA256SUMS"
)

// maxBinary bounds a download; hermes is ~30 MB.
const maxBinary = 512 << 20

// Release is a directory of released binaries.
type Release struct {
	URL    string
	Client *http.Client // nil: a client with a 10-minute timeout
}

// AssetName is the binary of this platform in a release.
func AssetName() string { return "hermes-" + runtime.GOOS + "-" + runtime.GOARCH }

// CheckURL refuses a release URL that is not https, except http on a
// loopback address (a local mirror, tests).
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("update.url %q is not a URL: set it to the directory of the release files (default %s)", raw, DefaultURL)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return u, nil
		}
	}
	return nil, fmt.Errorf("update.url %s: only https (or http on a loopback address) is allowed: a binary fetched in the clear could be replaced on the way", raw)
}

func (r Release) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return &http.Client{Timeout: 10 * time.Minute}
}

// get fetches name from the release directory.
func (r Release) get(ctx context.Context, name string) (*http.Response, error) {
	u, err := CheckURL(r.URL)
	if err != nil {
		return nil, err
	}
	u = u.JoinPath(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("download %s: %s", u, resp.Status)
	}
	return resp, nil
}

// small fetches a small text file.
func (r Release) small(ctx context.Context, name string) (string, error) {
	resp, err := r.get(ctx, name)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("download %s: %w", name, err)
	}
	return string(b), nil
}

// Latest returns the released version.
func (r Release) Latest(ctx context.Context) (string, error) {
	s, err := r.small(ctx, versionFile)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(s)
	if v == "" || strings.ContainsAny(v, " \t\n") || len(v) > 100 {
		return "", fmt.Errorf("%s/%s is not one version line (%q)", r.URL, versionFile, truncate([]byte(s)))
	}
	return v, nil
}

// ParseSums finds name's SHA-256 in a SHA256SUMS file ("<hex>  <name>"
// or "<hex> *<name>" lines).
func ParseSums(sums, name string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(sums))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, file, ok := strings.Cut(line, " ")
		if !ok {
			return "", fmt.Errorf("%s line %d: want \"<sha256>  <file>\", got %q", sumsFile, n, line)
		}
		file = strings.TrimPrefix(strings.TrimLeft(file, " "), "*")
		if file != name {
			continue
		}
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return "", fmt.Errorf("%s line %d: %q is not a SHA-256", sumsFile, n, sum)
		}
		return strings.ToLower(sum), nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no checksum for %s: the release lacks this platform", sumsFile, name)
}

// Download writes this platform's binary to out (mode 0755) after its
// SHA-256 matched the release's SHA256SUMS; on any error out is removed.
func (r Release) Download(ctx context.Context, out string) (sum string, err error) {
	sums, err := r.small(ctx, sumsFile)
	if err != nil {
		return "", err
	}
	want, err := ParseSums(sums, AssetName())
	if err != nil {
		return "", err
	}
	resp, err := r.get(ctx, AssetName())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(out)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, maxBinary+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("download %s: %w", AssetName(), err)
	}
	if n > maxBinary {
		return "", fmt.Errorf("download %s: larger than %d MiB: refused", AssetName(), maxBinary>>20)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return "", fmt.Errorf("checksum mismatch for %s: SHA256SUMS says %s, the download is %s: nothing was installed (a corrupt or tampered download; try again later)", AssetName(), want, got)
	}
	return got, nil
}

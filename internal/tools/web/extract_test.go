package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pageServer serves the fixtures web_extract is tested against, on
// 127.0.0.1 only.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, "testdata/page.html")
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		fmt.Fprint(w, "<html><head><title>caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p></body></html>")
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "just text\n")
	})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "\x89PNG")
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, strings.Repeat("a", MaxBodyBytes+100))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			http.Redirect(w, r, "/page", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func TestExtractWithLoopbackAllowed(t *testing.T) {
	t.Parallel()
	srv := pageServer(t)
	tool := Extract{allowLoopback: true, timeout: 2 * time.Second}
	tests := []struct {
		name    string
		path    string
		want    []string
		not     []string
		isError bool
	}{
		{"html", "/page", []string{"# The Test Page\nURL: " + srv.URL + "/page\n\n", "# Heading", "Some **bold** text", "[a relative link](" + srv.URL + "/rel/page)", "- one\n- two"},
			[]string{"js-only", "color:red", "Home nav", "hidden", "footer text"}, false},
		{"charset", "/latin1", []string{"# café\n", "crème brûlée"}, nil, false},
		{"plain text", "/plain", []string{"just text"}, nil, false},
		{"five redirects", "/redirect/4", []string{"URL: " + srv.URL + "/page\n", "# Heading"}, nil, false},
		{"six redirects", "/redirect/5", []string{"more than 5 redirects"}, nil, true},
		{"redirect to metadata", "/to?u=http://169.254.169.254/latest/meta-data/", []string{"redirect to http://169.254.169.254/latest/meta-data/ refused: 169.254.169.254 is a cloud metadata address"}, nil, true},
		{"redirect to private", "/to?u=http://10.0.0.1/", []string{"10.0.0.1 is a private address"}, nil, true},
		{"redirect to file", "/to?u=file:///etc/passwd", []string{"error: web_extract"}, []string{"root:"}, true},
		{"image", "/image", []string{"the content is image/png, not a web page"}, nil, true},
		{"not found", "/missing", []string{"the server answered 404 Not Found"}, nil, true},
		{"huge", "/huge", []string{"only its start was read", "characters left out"}, nil, false},
		{"timeout", "/slow", []string{"timed out"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := call(t, nil, tool, obj{"url": srv.URL + tt.path})
			if m.IsError != tt.isError {
				t.Errorf("IsError = %v: %s", m.IsError, m.Content)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Content, w) {
					t.Errorf("missing %q in:\n%s", w, m.Content)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(m.Content, n) {
					t.Errorf("unexpected %q in:\n%s", n, m.Content)
				}
			}
		})
	}
}

// TestExtractRefusals never reaches any server: every URL is refused
// before a connection is made (the loopback server proves the refusal
// of loopback is not a connection failure).
func TestExtractRefusals(t *testing.T) {
	t.Parallel()
	srv := pageServer(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	tests := []struct{ url, want string }{
		{srv.URL + "/page", "127.0.0.1 is a loopback address"},
		{"http://10.0.0.1/", "10.0.0.1 is a private address"},
		{"http://192.168.1.1/", "a private address"},
		{"http://172.16.0.1/", "a private address"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"},
		{"http://169.254.1.1/", "a link-local address"},
		{"http://100.100.100.200/", "carrier-grade NAT"},
		{"http://[::1]:" + port + "/page", "::1 is a loopback address"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "is a loopback address"},
		{"http://[fd00:ec2::254]/", "a cloud metadata address"},
		{"http://[fe80::1]/", "a link-local address"},
		{"http://0.0.0.0:" + port + "/", "the unspecified address"},
		{"http://localhost:" + port + "/page", "localhost resolves to"},
		{"http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is a cloud metadata host"},
		{"ftp://example.com/", `only http and https URLs can be fetched, not "ftp"`},
		{"file:///etc/passwd", `not "file"`},
		{"http:///nohost", "has no host"},
		{"", "url is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			m := call(t, nil, Extract{timeout: time.Second}, obj{"url": tt.url})
			if !m.IsError || !strings.Contains(m.Content, tt.want) {
				t.Errorf("got %+v, want error with %q", m, tt.want)
			}
		})
	}
}

func TestAddrReason(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ip       string
		loopback bool
		want     string
	}{
		{"8.8.8.8", false, ""},
		{"2606:4700::1111", false, ""},
		{"127.0.0.1", false, "a loopback address"},
		{"127.0.0.1", true, ""},
		{"::1", true, ""},
		{"10.0.0.1", true, "a private address"},
		{"169.254.169.254", true, "a cloud metadata address"},
		{"64:ff9b::a00:1", false, "a private address"}, // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", false, ""},
		{"239.1.2.3", false, "a multicast address"},
		{"255.255.255.255", false, "a reserved address"},
		{"192.0.2.1", false, "a reserved address"},
		{"198.18.0.1", false, "a reserved address"},
	} {
		p := policy{allowLoopback: tt.loopback}
		if got := p.addrReason(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("addrReason(%s, loopback %v) = %q, want %q", tt.ip, tt.loopback, got, tt.want)
		}
	}
}

// TestDialControl checks the last line of defence: the address the dialer
// is about to connect to, whatever DNS said earlier.
func TestDialControl(t *testing.T) {
	t.Parallel()
	p := policy{}
	for _, addr := range []string{"10.0.0.1:80", "127.0.0.1:443", "[::1]:80", "169.254.169.254:80"} {
		if err := p.control("tcp", addr, nil); err == nil || !strings.Contains(err.Error(), "refusing to connect") {
			t.Errorf("control(%s) = %v", addr, err)
		}
	}
	if err := p.control("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

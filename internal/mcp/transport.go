package mcp

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/config"
)

// Transports a server can use.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
	TransportSSE   = "sse"
)

// transportOf is the transport s uses: its transport field, else stdio for
// a command and streamable HTTP for a url.
func transportOf(s config.MCPServer) string {
	if s.Transport != "" {
		return s.Transport
	}
	if s.Command != "" {
		return TransportStdio
	}
	return TransportHTTP
}

// terminateAfter is how long closing a stdio server waits for it to exit
// after its stdin closes, before SIGTERM (and as long again before SIGKILL).
const terminateAfter = 2 * time.Second

// transport builds the SDK transport of server name. For stdio it also
// returns the command, not yet started, whose environment is the allowlist
// plus the server's env block. ${VAR} in env, args, url and headers is
// read from .env (see expand), so config.yaml holds no secret.
func (m *Manager) transport(name string, s config.MCPServer) (sdk.Transport, *exec.Cmd, error) {
	switch tr := transportOf(s); tr {
	case TransportStdio:
		if s.Command == "" {
			return nil, nil, fmt.Errorf("transport stdio needs command")
		}
		env, err := serverEnv(m.environ, s.Env, m.lookup)
		if err != nil {
			return nil, nil, err
		}
		args := make([]string, len(s.Args))
		for i, raw := range s.Args {
			if args[i], err = expand(raw, m.lookup); err != nil {
				return nil, nil, fmt.Errorf("argument %d: %w", i+1, err)
			}
		}
		cmd := exec.Command(s.Command, args...)
		cmd.Env = env
		cmd.Dir = s.Cwd
		cmd.Stderr = &lineWriter{log: m.stderr, server: name}
		return &sdk.CommandTransport{Command: cmd, TerminateDuration: terminateAfter}, cmd, nil
	case TransportHTTP, TransportSSE:
		if s.URL == "" {
			return nil, nil, fmt.Errorf("transport %s needs url", tr)
		}
		endpoint, err := expand(s.URL, m.lookup)
		if err != nil {
			return nil, nil, fmt.Errorf("url: %w", err)
		}
		headers := make(http.Header, len(s.Headers))
		for k, raw := range s.Headers {
			v, err := expand(raw, m.lookup)
			if err != nil {
				return nil, nil, fmt.Errorf("header %s: %w", k, err)
			}
			headers.Set(k, v)
		}
		client := &http.Client{Transport: headerTransport{headers: headers, next: http.DefaultTransport}}
		if tr == TransportSSE {
			return sseTransport{inner: &sdk.SSEClientTransport{Endpoint: endpoint, HTTPClient: client}, life: m.life}, nil, nil
		}
		return &sdk.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client, MaxRetries: 2}, nil, nil
	default:
		return nil, nil, fmt.Errorf("unknown transport %q: use stdio, http or sse", tr)
	}
}

// headerTransport adds the configured headers to every request.
type headerTransport struct {
	headers http.Header
	next    http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range h.headers {
		r.Header[k] = vs
	}
	return h.next.RoundTrip(r)
}

// sseTransport keeps the SSE stream out of the connect timeout: the SDK
// opens the stream with the context given to Connect, so a timeout there
// would cut the stream as soon as the connection was made. The stream
// lives until the connection closes or the Manager does; ctx still bounds
// the wait for the connection.
type sseTransport struct {
	inner sdk.Transport
	life  context.Context
}

func (t sseTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	stream, cancel := context.WithCancel(t.life)
	type result struct {
		c   sdk.Connection
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := t.inner.Connect(stream)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			cancel()
			return nil, r.err
		}
		return cancelOnClose{Connection: r.c, cancel: cancel}, nil
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
}

// cancelOnClose ends the stream's context when the connection closes.
type cancelOnClose struct {
	sdk.Connection
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.Connection.Close()
	c.cancel()
	return err
}

package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Kind classifies a failed call by what the Router should do about it.
type Kind int

// The kinds of failure.
const (
	KindServer          Kind = iota // 5xx, 529 overloaded: retry, then fall back
	KindRateLimit                   // 429: next key at once, then fall back
	KindAuth                        // 401, 403: next key, then fall back
	KindBilling                     // 402 or a billing message: next key, then fall back
	KindNotFound                    // 404 (unknown model or path): fall back
	KindBadRequest                  // 400, 413, 422: the request itself; no retry, no fallback
	KindTimeout                     // the request took too long: retry, then fall back
	KindNetwork                     // connection refused, reset, DNS: retry, then fall back
	KindInvalidResponse             // malformed body, cut or empty stream: retry, then fall back
	KindNoKey                       // no usable key for the endpoint: fall back
	KindCanceled                    // the caller cancelled: stop at once
)

var kindNames = map[Kind]string{
	KindServer: "server error", KindRateLimit: "rate limited", KindAuth: "authentication failed",
	KindBilling: "billing", KindNotFound: "not found", KindBadRequest: "bad request",
	KindTimeout: "timeout", KindNetwork: "network error", KindInvalidResponse: "invalid response",
	KindNoKey: "no usable key", KindCanceled: "canceled",
}

func (k Kind) String() string { return kindNames[k] }

// Error is a failed call to one endpoint.
type Error struct {
	Endpoint string      // the endpoint's label, "openai/gpt-4o"
	Kind     Kind        // what kind of failure
	Status   int         // HTTP status, 0 when there was no response
	Message  string      // the provider's message, or what went wrong
	Header   http.Header // response headers (Retry-After, reset headers)
	Err      error       // the underlying error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint + ": ")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	} else {
		b.WriteString(e.Kind.String())
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// retryable: the same endpoint may answer if asked again.
func (k Kind) retryable() bool {
	return k == KindServer || k == KindTimeout || k == KindNetwork || k == KindInvalidResponse
}

// keyProblem: another key of the same endpoint may answer.
func (k Kind) keyProblem() bool {
	return k == KindRateLimit || k == KindAuth || k == KindBilling
}

// fallbackable: another endpoint may answer.
func (k Kind) fallbackable() bool { return k != KindBadRequest && k != KindCanceled }

var billingWords = []string{"insufficient_quota", "billing", "credit balance", "payment required", "quota exceeded", "exceeded your current quota"}

// classifyStatus maps an HTTP status and message to a Kind.
func classifyStatus(status int, msg string) Kind {
	low := strings.ToLower(msg)
	for _, w := range billingWords {
		if strings.Contains(low, w) && status != 401 {
			return KindBilling
		}
	}
	switch {
	case status == 429:
		return KindRateLimit
	case status == 401 || status == 403:
		return KindAuth
	case status == 402:
		return KindBilling
	case status == 404:
		return KindNotFound
	case status == 408:
		return KindTimeout
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindInvalidResponse
}

// classifyTransport maps an error without an HTTP status.
func classifyTransport(ctx context.Context, err error) Kind {
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return KindNetwork
	}
	return KindInvalidResponse
}

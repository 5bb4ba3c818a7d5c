package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/llm/pool"
)

// Backoff bounds. A provider asking for a longer wait than maxWait is
// skipped for the fallback instead of waited for.
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 20 * time.Second
	maxWait     = 60 * time.Second
	shortWait   = 10 * time.Second // a pool whose next key frees within this is waited for
)

// Options configure a Router.
type Options struct {
	Pools   *pool.Store                      // credential pools (auth.json)
	Env     func(name string) (string, bool) // a variable from the process environment or .env
	Clock   clock.Clock                      // nil: the real clock
	Retries int                              // retries of a retryable failure per endpoint (agent.api_max_retries)
	Stream  bool                             // stream when the caller passes a Handler (model.streaming)
	Notice  func(string)                     // one line per provider switch; nil: silent
	HTTP    *http.Client                     // nil: a client of its own
	Jitter  func() float64                   // in [0,1); nil: math/rand
	Clients map[string]Client                // by api mode; nil: the SDK adapters
	After   func(ep Endpoint, r *Response)   // after each success (usage accounting); may be nil
	Failed  func(ep Endpoint, err *Error)    // after each failed attempt (logs); may be nil
}

// Router sends requests along a chain of endpoints: the primary first,
// then each fallback. Within an endpoint it rotates pool keys on rate
// limits and auth failures and retries transient failures with jittered
// backoff; when an endpoint gives up, the same request goes to the next.
// A Router keeps no state between calls: every call starts on the primary.
type Router struct {
	chain   []Endpoint
	opts    *Options
	clients map[string]Client
	synced  sync.Map // pool name -> true once its env keys are synced
}

// NewRouter returns a Router over chain (primary first).
func NewRouter(chain []Endpoint, opts Options) *Router {
	o := opts
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Env == nil {
		o.Env = func(string) (string, bool) { return "", false }
	}
	clients := o.Clients
	if clients == nil {
		clients = map[string]Client{ChatCompletions: openAIClient{o.HTTP}, AnthropicMessages: anthropicClient{o.HTTP}}
	}
	return &Router{chain: chain, opts: &o, clients: clients}
}

// Chain returns the endpoints in the order they are tried.
func (r *Router) Chain() []Endpoint { return append([]Endpoint(nil), r.chain...) }

// ChainError is the failure of every endpoint of the chain, each with its
// last error.
type ChainError struct{ Errors []*Error }

func (e *ChainError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		parts[i] = err.Error()
	}
	if len(parts) == 1 {
		return "the model provider failed: " + parts[0]
	}
	return fmt.Sprintf("all %d providers failed: %s", len(parts), strings.Join(parts, "; "))
}

// Unwrap gives errors.As access to each endpoint's error.
func (e *ChainError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, err := range e.Errors {
		out[i] = err
	}
	return out
}

// Chat sends req along the chain and returns the first complete answer.
// With a non-nil on and streaming on, deltas are passed on as they come;
// an EventReset tells on to discard them when an attempt fails part-way.
func (r *Router) Chat(ctx context.Context, req Request, on Handler) (*Response, error) {
	if len(r.chain) == 0 {
		return nil, errors.New("no model configured")
	}
	if !r.opts.Stream {
		on = nil
	}
	var failures []*Error
	for i, ep := range r.chain {
		resp, err := r.endpoint(ctx, i, ep, req, on)
		if err == nil {
			resp.Provider = ep.Provider
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("model call stopped: %w", ctx.Err())
		}
		failures = append(failures, err)
		if !err.Kind.fallbackable() {
			return nil, err
		}
		if i+1 < len(r.chain) && r.opts.Notice != nil {
			r.opts.Notice(fmt.Sprintf("%s failed (%s); continuing with %s", ep.Label(), brief(err), r.chain[i+1].Label()))
		}
	}
	return nil, &ChainError{Errors: failures}
}

// brief is an error without its endpoint label, for the notice line.
func brief(e *Error) string {
	c := *e
	c.Endpoint = ""
	return c.Error()
}

// endpoint tries one endpoint until it answers or gives up.
func (r *Router) endpoint(ctx context.Context, idx int, ep Endpoint, req Request, on Handler) (*Response, *Error) {
	client, ok := r.clients[ep.APIMode]
	if !ok {
		return nil, &Error{Endpoint: ep.Label(), Kind: KindBadRequest, Message: "no client for api_mode " + ep.APIMode}
	}
	// A fallback that shares the primary's pool must not put cooldowns on
	// the primary's keys.
	report := idx == 0 || ep.Pool != r.chain[0].Pool
	tried := map[string]bool{}
	attempts := 0
	var last *Error // the last failed attempt, reported when keys run out
	for {
		lease, err := r.lease(ep, tried)
		if err != nil {
			if wait, ok := r.poolWait(err, attempts); ok {
				attempts++
				if r.sleep(ctx, wait) != nil {
					return nil, cancelled(ep, ctx)
				}
				tried = map[string]bool{}
				continue
			}
			if last != nil {
				last.Message += " (no other key to try)"
				return nil, last
			}
			return nil, err
		}
		resp, cerr := r.attempt(ctx, client, ep, lease, req, on)
		if cerr == nil {
			if lease.Entry.ID != "" {
				_ = r.opts.Pools.Success(lease.Provider, lease.Entry.ID)
			}
			if r.opts.After != nil {
				r.opts.After(ep, resp)
			}
			return resp, nil
		}
		if r.opts.Failed != nil {
			r.opts.Failed(ep, cerr)
		}
		last = cerr
		if ctx.Err() != nil || cerr.Kind == KindCanceled {
			return nil, cancelled(ep, ctx)
		}
		if lease.Entry.ID != "" && report && cerr.Kind.keyProblem() {
			_, _ = r.opts.Pools.Failure(lease.Provider, lease.Entry.ID, pool.Failure{Status: cerr.Status, Message: cerr.Message, Header: cerr.Header})
		}
		switch {
		case cerr.Kind.keyProblem():
			if lease.Entry.ID == "" {
				return nil, cerr // a single key outside any pool: nothing to rotate to
			}
			tried[lease.Entry.ID] = true // the next key, at once
		case cerr.Kind.retryable():
			attempts++
			if attempts > r.opts.Retries {
				if attempts > 1 {
					cerr.Message += fmt.Sprintf(" (after %d attempts)", attempts)
				}
				return nil, cerr
			}
			wait, ok := r.backoff(attempts, cerr)
			if !ok {
				return nil, cerr
			}
			if r.sleep(ctx, wait) != nil {
				return nil, cancelled(ep, ctx)
			}
		default:
			return nil, cerr
		}
	}
}

func cancelled(ep Endpoint, ctx context.Context) *Error {
	return &Error{Endpoint: ep.Label(), Kind: KindCanceled, Message: "stopped", Err: ctx.Err()}
}

// attempt makes one call with one key and its own time limit. If it
// fails after streaming part of an answer, the stream is reset.
func (r *Router) attempt(ctx context.Context, client Client, ep Endpoint, lease pool.Lease, req Request, on Handler) (*Response, *Error) {
	cctx := ctx
	if ep.Timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, ep.Timeout)
		defer cancel()
	}
	streamed := 0
	var handler Handler
	if on != nil {
		handler = func(e Event) { streamed++; on(e) }
	}
	resp, err := client.Do(cctx, Call{Endpoint: ep, Key: lease.Key, Request: req, OnEvent: handler})
	if err == nil {
		return resp, nil
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Endpoint: ep.Label(), Kind: classifyTransport(cctx, err), Message: err.Error(), Err: err}
	}
	if e.Kind == KindCanceled && ctx.Err() == nil {
		e.Kind = KindTimeout // our own time limit, not the caller's
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		e.Kind, e.Message = KindTimeout, fmt.Sprintf("no complete answer within %s", ep.Timeout)
	}
	if streamed > 0 {
		on(Event{Kind: EventReset, Text: brief(e)})
	}
	return nil, e
}

// backoff is the wait before retry number attempt: the provider's
// Retry-After or reset time when given, else jittered exponential backoff.
// ok is false when the provider asks for longer than maxWait.
func (r *Router) backoff(attempt int, e *Error) (time.Duration, bool) {
	now := r.opts.Clock.Now()
	if until, ok := pool.ParseReset(pool.Failure{Status: e.Status, Message: e.Message, Header: e.Header}, now); ok {
		d := until.Sub(now)
		return max(d, 0), d <= maxWait
	}
	d := backoffBase << (attempt - 1)
	if d > backoffCap || d <= 0 {
		d = backoffCap
	}
	return d/2 + time.Duration(r.opts.Jitter()*float64(d/2)), true
}

// poolWait says whether to wait for a pool whose keys are all cooling
// down but one frees soon, and for how long.
func (r *Router) poolWait(err *Error, attempts int) (time.Duration, bool) {
	var nk *pool.NoKeyError
	if attempts >= r.opts.Retries || !errors.As(err, &nk) || nk.Next.IsZero() {
		return 0, false
	}
	d := nk.Next.Sub(r.opts.Clock.Now())
	return max(d, 0), d <= shortWait
}

func (r *Router) sleep(ctx context.Context, d time.Duration) error {
	return r.opts.Clock.Sleep(ctx, d)
}

package llm

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hermes-go/hermes/internal/llm/pool"
)

// lease picks the key for the next attempt at ep, skipping keys already
// tried for this request. Keys come from the endpoint's credential pool,
// which holds the keys added with `hermes auth add` and the one its
// key_env variable names; an endpoint without a pool uses that variable
// alone.
func (r *Router) lease(ep Endpoint, tried map[string]bool) (pool.Lease, *Error) {
	if ep.Pool == "" || r.opts.Pools == nil {
		return r.envLease(ep, tried)
	}
	if err := r.syncPool(ep.Pool); err != nil {
		return pool.Lease{}, &Error{Endpoint: ep.Label(), Kind: KindNoKey, Message: err.Error(), Err: err}
	}
	l, err := r.opts.Pools.Pick(ep.Pool, tried)
	if err == nil {
		return l, nil
	}
	var nk *pool.NoKeyError
	if errors.As(err, &nk) && len(nk.Reasons) == 0 && len(tried) == 0 {
		if ep.Keyless {
			return pool.Lease{Provider: ep.Pool}, nil
		}
		return pool.Lease{}, &Error{Endpoint: ep.Label(), Kind: KindNoKey, Message: r.noKeyHint(ep), Err: err}
	}
	return pool.Lease{}, &Error{Endpoint: ep.Label(), Kind: KindNoKey, Message: err.Error(), Err: err}
}

// envLease is the key of an endpoint outside any pool: its variable's
// value, tried once.
func (r *Router) envLease(ep Endpoint, tried map[string]bool) (pool.Lease, *Error) {
	if tried[""] {
		return pool.Lease{}, &Error{Endpoint: ep.Label(), Kind: KindNoKey, Message: "its only key was refused"}
	}
	tried[""] = true
	if ep.KeyEnv != "" {
		if v, ok := r.opts.Env(ep.KeyEnv); ok && v != "" {
			return pool.Lease{Key: v}, nil
		}
	}
	if ep.Keyless || ep.KeyEnv == "" {
		return pool.Lease{}, nil
	}
	return pool.Lease{}, &Error{Endpoint: ep.Label(), Kind: KindNoKey, Message: r.noKeyHint(ep)}
}

func (r *Router) noKeyHint(ep Endpoint) string {
	if ep.KeyEnv == "" {
		return fmt.Sprintf("no key: set key_env for it, or run `hermes auth add %s --key ...`", ep.Provider)
	}
	return fmt.Sprintf("no key: set %s in .env, or run `hermes auth add %s --key ...`", ep.KeyEnv, ep.Provider)
}

// syncPool records, once per Router, the keys the chain's key_env
// variables hold for pool name, so their cooldowns are shared with every
// other process using the same home.
func (r *Router) syncPool(name string) error {
	if _, done := r.synced.Load(name); done {
		return nil
	}
	if err := syncPool(r.chain, name, r.opts.Pools, r.opts.Env); err != nil {
		return err
	}
	r.synced.Store(name, true)
	return nil
}

// SyncPools records in every pool of chain the keys its key_env
// variables hold, as `hermes auth list` shows them.
func SyncPools(chain []Endpoint, pools *pool.Store, env func(string) (string, bool)) error {
	done := map[string]bool{}
	for _, ep := range chain {
		if ep.Pool == "" || done[ep.Pool] {
			continue
		}
		done[ep.Pool] = true
		if err := syncPool(chain, ep.Pool, pools, env); err != nil {
			return err
		}
	}
	return nil
}

func syncPool(chain []Endpoint, name string, pools *pool.Store, env func(string) (string, bool)) error {
	seen := map[string]bool{}
	var keys []pool.EnvKey
	for _, ep := range chain {
		if ep.Pool != name || ep.KeyEnv == "" || seen[ep.KeyEnv] {
			continue
		}
		seen[ep.KeyEnv] = true
		if v, ok := env(ep.KeyEnv); ok && v != "" {
			keys = append(keys, pool.EnvKey{Source: "env:" + ep.KeyEnv, Key: v})
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Source < keys[j].Source })
	return pools.Sync(name, keys)
}

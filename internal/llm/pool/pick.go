package pool

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Pick chooses the key for the next attempt at provider, by the pool's
// strategy, among the entries that are not dead, not cooling down at the
// clock's now and not in exclude (ids already tried for this request), and
// whose secret this process knows (an env key needs a Sync here first).
// The chosen entry is marked used (request_count+1, last_used_at): in the
// same locked write for the strategies that choose by usage (round_robin,
// least_used), so processes sharing the file balance exactly; for the
// others (fill_first, random) in memory, written by the next write, within
// flushEvery, or by Flush, so a request costs no disk write.
//
// When no key is usable the error is a *NoKeyError wrapping ErrNoKey,
// with a reason per entry and the earliest time a resting key (excluded
// or not) comes back.
func (s *Store) Pick(provider string, exclude map[string]bool) (Lease, error) {
	if err := checkProvider(provider); err != nil {
		return Lease{}, err
	}
	if lease, ok, err := s.pickFast(provider, exclude); ok || err != nil {
		return lease, err
	}
	var lease Lease
	err := s.update(func(f *authFile) (bool, error) {
		now := s.clock.Now()
		p, ok := f.Pools[provider]
		if !ok {
			return false, &NoKeyError{Provider: provider}
		}
		var cands []int
		for i, e := range p.Entries {
			if e.available(now) && !exclude[e.ID] && s.secret(e) != "" {
				cands = append(cands, i)
			}
		}
		if len(cands) == 0 {
			return false, s.noKey(provider, p, exclude, now)
		}
		i := s.choose(p, cands)
		e := &p.Entries[i]
		e.RequestCount++
		e.LastUsedAt = now
		lease = Lease{Provider: provider, Entry: *e, Key: s.secret(*e)}
		return true, nil
	})
	if err != nil {
		return Lease{}, err
	}
	return lease, nil
}

// pickFast picks without writing when the pool's strategy does not choose
// by usage. ok is false when the caller must take the locked path.
func (s *Store) pickFast(provider string, exclude map[string]bool) (Lease, bool, error) {
	s.mu.Lock()
	f, err := s.cached()
	if err != nil {
		s.mu.Unlock()
		return Lease{}, false, err
	}
	p, ok := f.Pools[provider]
	if !ok || (p.Strategy.orDefault() != FillFirst && p.Strategy.orDefault() != Random) {
		s.mu.Unlock()
		return Lease{}, false, nil
	}
	now := s.clock.Now()
	var cands []int
	for i, e := range p.Entries {
		if e.available(now) && !exclude[e.ID] && s.secret(e) != "" {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		s.mu.Unlock()
		return Lease{}, true, s.noKey(provider, p, exclude, now)
	}
	e := p.Entries[s.choose(p, cands)]
	ids := s.pending[provider]
	if ids == nil {
		ids = map[string]*usage{}
		s.pending[provider] = ids
	}
	u := ids[e.ID]
	if u == nil {
		u = &usage{}
		ids[e.ID] = u
	}
	u.count++
	u.last = now
	if s.pendingSince.IsZero() {
		s.pendingSince = now
	}
	due := now.Sub(s.pendingSince) >= flushEvery
	s.mu.Unlock()
	e.RequestCount += u.count
	e.LastUsedAt = now
	lease := Lease{Provider: provider, Entry: e, Key: s.secret(e)}
	if due {
		if err := s.Flush(); err != nil {
			return Lease{}, true, err
		}
	}
	return lease, true, nil
}

// choose applies p's strategy to the candidate indexes (in added order).
// It runs under s.mu, which guards s.rnd.
func (s *Store) choose(p *Pool, cands []int) int {
	es := p.Entries
	byPriority := func(a, b int) int { return cmp.Compare(es[a].Priority, es[b].Priority) }
	var order func(a, b int) int
	switch p.Strategy.orDefault() {
	case Random:
		return cands[s.rnd.IntN(len(cands))]
	case RoundRobin:
		order = func(a, b int) int {
			return cmp.Or(es[a].LastUsedAt.Compare(es[b].LastUsedAt),
				cmp.Compare(es[a].RequestCount, es[b].RequestCount), byPriority(a, b))
		}
	case LeastUsed:
		order = func(a, b int) int {
			return cmp.Or(cmp.Compare(es[a].RequestCount, es[b].RequestCount), byPriority(a, b))
		}
	default:
		order = byPriority
	}
	// SortStableFunc keeps added order for ties.
	slices.SortStableFunc(cands, order)
	return cands[0]
}

// noKey explains why no entry of p can be picked.
func (s *Store) noKey(provider string, p *Pool, exclude map[string]bool, now time.Time) *NoKeyError {
	nk := &NoKeyError{Provider: provider}
	for _, e := range p.Entries {
		key := s.secret(e)
		name := e.display(key)
		switch {
		case e.LastStatus == StatusDead:
			why := "dead"
			if e.LastError != nil && e.LastError.Message != "" {
				why += ": " + e.LastError.Message
			}
			nk.Reasons = append(nk.Reasons, name+": "+why)
			continue
		case e.CooldownUntil.After(now):
			nk.Reasons = append(nk.Reasons, fmt.Sprintf("%s: %s until %s (resets in %s)",
				name, restingWhy(e.LastError), e.CooldownUntil.In(now.Location()).Format("15:04"), shortDuration(e.CooldownUntil.Sub(now))))
			if nk.Next.IsZero() || e.CooldownUntil.Before(nk.Next) {
				nk.Next = e.CooldownUntil
			}
		case exclude[e.ID]:
			nk.Reasons = append(nk.Reasons, name+": already tried for this request")
		case key == "":
			nk.Reasons = append(nk.Reasons, fmt.Sprintf("%s: %s is not set in this process", name, strings.TrimPrefix(e.Source, envPrefix)))
		}
	}
	return nk
}

// restingWhy says in a few words why a key rests.
func restingWhy(ke *KeyError) string {
	if ke == nil {
		return "resting"
	}
	f := Failure{Status: ke.Code, Message: ke.Message}
	switch {
	case isAuth(ke.Code):
		return fmt.Sprintf("refused (%d)", ke.Code)
	case isBilling(f):
		return "out of credit or quota"
	case ke.Code == http.StatusTooManyRequests:
		return "rate limited"
	case ke.Code != 0:
		return fmt.Sprintf("failing (%d)", ke.Code)
	}
	return "failing"
}

// shortDuration writes d for people: "1h59m", "2m5s", "20s", rounded up
// to the second.
func shortDuration(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	h, m, sec := secs/3600, secs/60%60, secs%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	case m > 0 && sec > 0:
		return fmt.Sprintf("%dm%ds", m, sec)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", sec)
}

// Success records that a request with entry id worked: status ok, no
// last error, no cooldown. The request count is kept (Pick counted it).
func (s *Store) Success(provider, id string) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	if s.clean(provider, id) {
		return nil // nothing to record: no lock, no write
	}
	err := s.update(func(f *authFile) (bool, error) {
		e, err := f.entry(provider, id)
		if err != nil {
			return false, err
		}
		if e.LastStatus == StatusOK && e.LastError == nil && e.CooldownUntil.IsZero() {
			return false, nil
		}
		e.clear()
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("record a success for %s: %w", provider, err)
	}
	return nil
}

// clean reports whether entry id is ok with no error or cooldown in the
// current file.
func (s *Store) clean(provider, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.cached()
	if err != nil {
		return false
	}
	e, err := f.entry(provider, id)
	return err == nil && e.LastStatus == StatusOK && e.LastError == nil && e.CooldownUntil.IsZero()
}

// Failure records that a request with entry id failed and puts the key to
// rest by the Cooldown table (sole when no other entry of the pool is
// alive). The latest failure decides the cooldown, except that a dead key
// stays dead until Reset (or a Success). It returns the updated entry.
func (s *Store) Failure(provider, id string, fl Failure) (Entry, error) {
	if err := checkProvider(provider); err != nil {
		return Entry{}, err
	}
	var out Entry
	err := s.update(func(f *authFile) (bool, error) {
		e, err := f.entry(provider, id)
		if err != nil {
			return false, err
		}
		if e.LastStatus == StatusDead {
			out = *e // dead until reset: a late failure changes nothing
			return false, nil
		}
		now := s.clock.Now()
		sole := true
		for _, o := range f.Pools[provider].Entries {
			if o.ID != id && o.LastStatus != StatusDead {
				sole = false
			}
		}
		e.CooldownUntil, e.LastStatus = Cooldown(fl, sole, now)
		ke := &KeyError{Code: fl.Status, Message: clip(fl.Message)}
		if t, ok := ParseReset(fl, now); ok {
			ke.ResetAt = t
		}
		e.LastError = ke
		out = *e
		return true, nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("record a failure for %s: %w", provider, err)
	}
	return out, nil
}

// clip trims a provider message to one line of at most maxMessage runes.
func clip(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if r := []rune(msg); len(r) > maxMessage {
		return string(r[:maxMessage-1]) + "…"
	}
	return msg
}

// entry finds entry id of provider's pool.
func (f *authFile) entry(provider, id string) (*Entry, error) {
	p, ok := f.Pools[provider]
	if ok {
		for i := range p.Entries {
			if p.Entries[i].ID == id {
				return &p.Entries[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no key with id %q (removed meanwhile?)", id)
}

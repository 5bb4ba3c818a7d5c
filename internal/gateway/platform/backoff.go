package platform

import "time"

// Backoff is the pause after the n-th failure in a row: Min, doubling
// up to Max. Adapters wait it out between reconnects and refetches.
type Backoff struct{ Min, Max time.Duration }

// RetryBackoff is the adapters' usual pause: 1 s doubling to a minute.
var RetryBackoff = Backoff{Min: time.Second, Max: time.Minute}

// After returns the pause after failures failures in a row (1 or less
// is Min).
func (b Backoff) After(failures int) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

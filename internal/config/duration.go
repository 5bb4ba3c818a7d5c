package config

import (
	"fmt"
	"strconv"
	"time"
)

// Duration is a time.Duration that config.yaml writes as "300s", "5m" or
// "1h30m", or as a whole number of seconds.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way Go does ("5m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the duration as a string (JSON output uses it).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// parseDuration reads a duration in either accepted form.
func parseDuration(s string) (Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("negative")
		}
		return Duration(time.Duration(n) * time.Second), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative")
	}
	return Duration(d), nil
}

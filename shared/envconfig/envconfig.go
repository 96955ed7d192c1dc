// Package envconfig reads a function's configuration from its environment. Only configuration readers
// use it (each function's ReadConfig, called once by lambdafn.Run); everything else is passed its values.
package envconfig

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Reader collects every problem, so a misconfigured function names all of them at once.
type Reader struct {
	// Lookup reads a variable; nil reads the process environment. The operator's command line reads
	// a function's variables from elsewhere (the local stack's state) with the same readers.
	Lookup func(name string) (string, bool)
	errs   []error
}

func (r *Reader) get(name string) string {
	if r.Lookup != nil {
		v, _ := r.Lookup(name)
		return v
	}
	return os.Getenv(name)
}

// Require returns a variable that must be set.
func (r *Reader) Require(name string) string {
	v := r.get(name)
	if v == "" {
		r.errs = append(r.errs, fmt.Errorf("%s is not set", name))
	}
	return v
}

// Or returns a variable, or fallback when it is unset.
func (r *Reader) Or(name, fallback string) string {
	if v := r.get(name); v != "" {
		return v
	}
	return fallback
}

// Duration returns a Go duration ("90s", "15m"), or fallback when unset.
func (r *Reader) Duration(name string, fallback time.Duration) time.Duration {
	v := r.get(name)
	if v == "" {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not a duration such as 90s or 15m", name, v))
	}
	return d
}

// Int returns an integer, or fallback when unset.
func (r *Reader) Int(name string, fallback int) int {
	v := r.get(name)
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q is not an integer", name, v))
	}
	return n
}

// Days returns a whole number of days (0 or more) as a duration, or fallback days when unset.
func (r *Reader) Days(name string, fallback int) time.Duration {
	n := r.Int(name, fallback)
	if n < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%d is negative; give 0 or more days", name, n))
		n = 0
	}
	return time.Duration(n) * 24 * time.Hour
}

// Err returns every problem found so far.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

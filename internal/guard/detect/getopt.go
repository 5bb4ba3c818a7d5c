package detect

import "strings"

// GNU getopt_long, as far as the guard needs it: which words are options,
// which option takes the next word as its value, and where the operands
// start. Long options may be abbreviated to any unambiguous prefix
// (`sudo --us root` is `sudo --user root`).

// optSpec describes a command's options: the short letters and long names
// that take a value, and the long names that take none (needed to tell an
// abbreviation apart).
type optSpec struct {
	short string   // short option letters that take a value
	long  []string // long options that take a value
	flags []string // long options that take no value
}

// opt is one option found by parse: name is "-x" for a short option or
// the full "--name" of a long one (abbreviations resolved).
type opt struct {
	name   string
	val    string
	hasVal bool
}

// resolveLong returns the full long option name for name (which may be an
// abbreviation) and whether it takes a value. An unknown or ambiguous
// abbreviation is returned unchanged, taking a value when any candidate
// does: a word wrongly taken as a value is never a command the guard
// misses, because the wrapper then fails to run at all.
func (o optSpec) resolveLong(name string) (string, bool) {
	for _, l := range o.long {
		if l == name {
			return l, true
		}
	}
	for _, l := range o.flags {
		if l == name {
			return l, false
		}
	}
	if len(name) < 3 {
		return name, false
	}
	full, value, n := name, false, 0
	for _, l := range o.long {
		if strings.HasPrefix(l, name) {
			full, value, n = l, true, n+1
		}
	}
	for _, l := range o.flags {
		if strings.HasPrefix(l, name) {
			if n == 0 {
				full = l
			}
			n++
		}
	}
	if n > 1 {
		return name, value
	}
	return full, value
}

func (o optSpec) longTakesValue(name string) bool {
	_, v := o.resolveLong(name)
	return v
}

// parse reads the options at the start of args, stopping at the first
// operand (as wrappers do: `sudo -u x cmd -y` gives -y to cmd) or after
// "--". It returns the options and the index of the first operand.
func (o optSpec) parse(args []arg) ([]opt, int) {
	var opts []opt
	for i := 0; i < len(args); i++ {
		v := args[i].val
		switch {
		case v == "--":
			return opts, i + 1
		case strings.HasPrefix(v, "--"):
			name, val, eq := strings.Cut(v, "=")
			full, takes := o.resolveLong(name)
			op := opt{name: full, val: val, hasVal: eq}
			if !eq && takes && i+1 < len(args) {
				i++
				op.val, op.hasVal = args[i].val, true
			}
			opts = append(opts, op)
		case len(v) > 1 && v[0] == '-':
			for j := 1; j < len(v); j++ {
				op := opt{name: "-" + string(v[j])}
				if strings.IndexByte(o.short, v[j]) >= 0 {
					if j+1 < len(v) {
						op.val, op.hasVal = v[j+1:], true
					} else if i+1 < len(args) {
						i++
						op.val, op.hasVal = args[i].val, true
					}
					opts = append(opts, op)
					break
				}
				opts = append(opts, op)
			}
		default:
			return opts, i
		}
	}
	return opts, len(args)
}

// firstOperand returns the index of the first operand in args (after
// options and a "--"), or len(args). flags receives every option word seen.
func (o optSpec) firstOperand(args []arg, flags func(opt string)) int {
	_, i := o.parse(args)
	if flags != nil {
		for _, a := range args[:min(i, len(args))] {
			if strings.HasPrefix(a.val, "-") && a.val != "--" {
				flags(a.val)
			}
		}
	}
	return i
}

// has reports whether any of names ("-x" or full "--name") was given.
func has(opts []opt, names ...string) bool {
	for _, op := range opts {
		for _, n := range names {
			if op.name == n {
				return true
			}
		}
	}
	return false
}

// value returns the value of the last of names given.
func value(opts []opt, names ...string) (string, bool) {
	val, ok := "", false
	for _, op := range opts {
		for _, n := range names {
			if op.name == n && op.hasVal {
				val, ok = op.val, true
			}
		}
	}
	return val, ok
}

package detect

import (
	"strings"
	"testing"
	"time"
)

// TestIndirectionBounded: expansion and function calls the command
// defines for itself cannot make Scan slow.
func TestIndirectionBounded(t *testing.T) {
	t.Parallel()
	double := "a=(x x x x); " + strings.Repeat(`a=("${a[@]}" "${a[@]}" "${a[@]}" "${a[@]}"); `, 40) + `"${a[@]}"`
	str := "X=xxxxxxxxxxxxxxxx; " + strings.Repeat("X=$X$X$X$X; ", 40) + "echo ${X//?/$X}"
	fan := "f0(){ :; }; "
	for i := 1; i < 12; i++ {
		fan += "f" + string(rune('0'+i%10)) + string(rune('a'+i)) + "(){ " + strings.Repeat("f"+string(rune('0'+(i-1)%10))+string(rune('a'+i-1))+"; ", 10) + "}; "
	}
	fan = strings.ReplaceAll(fan, "f0a", "f0")
	fan += "f1b"
	bomb := "f(){ f; f; f; f; f; f; f; f; }; f"
	loops := strings.Repeat("for i in "+strings.Repeat("x ", 30)+"; do ", 6) + "echo $i" + strings.Repeat("; done", 6)
	for _, cmd := range []string{double, str, fan, bomb, loops} {
		start := time.Now()
		r := Scan(cmd, corpusOpts)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%.60q...: took %v (keys %v, err %v)", cmd, d, r.Keys(), r.Unparseable)
		} else if testing.Verbose() {
			t.Logf("%.60q...: took %v (keys %v, err %v)", cmd, d, r.Keys(), r.Unparseable)
		}
	}
}

// TestIndirectionOpaque: what stays unknown is reported, what the
// command defines is not.
func TestIndirectionOpaque(t *testing.T) {
	t.Parallel()
	for cmd, want := range map[string]string{
		"$X":                        "opaque.command",
		"X=$(curl -s x); $X":        "opaque.command",
		"eval $1":                   "opaque.eval",
		"set -- $Y; rm -rf \"$1\"":  "opaque.args",
		"cat f | sh":                "opaque.shell_input",
		"X=ls; $X -la; $Y":          "opaque.command",
		"f(){ $1; }; f $Z":          "opaque.command",
		"sh -c '\"$1\" -rf x' _ $Q": "opaque.command",
	} {
		if r := Scan(cmd, corpusOpts); !hasKey(r, want) {
			t.Errorf("%q: got %v, want %s", cmd, r.Keys(), want)
		}
	}
	for _, cmd := range []string{
		"X=ls; $X -la", "a=(go test ./...); \"${a[@]}\"", "set -- a b; echo \"$@\"",
		"f(){ echo \"$1\"; }; f x", "IFS=,; X=a,b; echo $X", "cd /tmp && ls *",
	} {
		if r := Scan(cmd, corpusOpts); len(r.Matches) > 0 {
			t.Errorf("%q: got %v, want nothing", cmd, r.Keys())
		}
	}
}

// TestChdirUnknownHome: cd is followed the way paths are canonicalised,
// also when the home directory is not known.
func TestChdirUnknownHome(t *testing.T) {
	t.Parallel()
	o := Options{Cwd: "~/project"}
	for _, cmd := range []string{"cd ~/.. && rm -rf *", "cd && cd .. && rm -rf *", "cd .. && cd .. && rm -rf *"} {
		if r := Scan(cmd, o); !hasKey(r, "hardline.rm_system") {
			t.Errorf("%q: got %v (err %v), want hardline.rm_system", cmd, r.Keys(), r.Unparseable)
		}
	}
	if r := Scan(`cd "" && ls`, o); r.Unparseable != nil || len(r.Matches) > 0 {
		t.Errorf(`cd "": got %v (err %v), want nothing`, r.Keys(), r.Unparseable)
	}
}

// TestHugeCommandBlocked: a command too large to analyse is refused with
// a reason that says so and what to do, never judged safe.
func TestHugeCommandBlocked(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{
		strings.Repeat("echo ok; ", (1<<20)/9),
		strings.Repeat("$(", 10000) + "x" + strings.Repeat(")", 10000),
		strings.Repeat("f(){ ", 10000) + "x" + strings.Repeat("; }", 10000),
	} {
		r := Scan(cmd, corpusOpts)
		if r.Unparseable == nil && len(r.Matches) == 0 {
			t.Errorf("%.40q... (%d bytes): judged safe, want blocked", cmd, len(cmd))
			continue
		}
		if r.Unparseable != nil && !strings.Contains(r.Unparseable.Error(), "it is blocked") && !strings.Contains(r.Unparseable.Error(), "split it") && !strings.Contains(r.Unparseable.Error(), "parse") {
			t.Errorf("%.40q...: reason %q does not say why", cmd, r.Unparseable)
		}
	}
}

package guard

import "testing"

// TestDenyGlobsMeetResolvedArgv: approvals.deny globs match the command
// as it will run, however it is spelled.
func TestDenyGlobsMeetResolvedArgv(t *testing.T) {
	t.Parallel()
	deny := []string{"rm *", "git push*"}
	tests := []struct {
		command string
		want    Decision
	}{
		{"git  push", Block},
		{"git   push   origin main", Block},
		{"\\rm x.txt", Block},
		{"command rm x.txt", Block},
		{"sudo rm x.txt", Block},
		{"sudo -u bob rm x.txt", Block},
		{"/bin/rm x.txt", Block},
		{"busybox rm x.txt", Block},
		{"G=git; $G push", Block},
		{"G=git; \"$G\" push --tags", Block},
		{"env FOO=1 rm x.txt", Block},
		{"nice -n 5 timeout 3 rm x.txt", Block},
		{"X='rm x.txt'; $X", Block},
		{"sh -c 'rm x.txt'", Block},
		{"echo x.txt | xargs rm", Block},
		{"xargs rm < list", Block},
		{"find . -name x -exec rm {} +", Block},
		{"a=(git push); \"${a[@]}\"", Block},
		{"r''m x.txt", Block},
		{"git status", Allow},
		{"echo rm x.txt", Allow},
		{"grep -r 'git push' .", Allow},
		{"ls -la", Allow},
	}
	for _, tt := range tests {
		for _, mode := range []Mode{Manual, Off} {
			r := Explain(tt.command, Policy{Mode: mode, Deny: deny}, nil, Context{})
			if r.Decision != tt.want {
				t.Errorf("%q (mode %s): %s/%s %q, want %s", tt.command, mode, r.Decision, r.Stage, r.Reason, tt.want)
			}
			if tt.want == Block && r.Stage != StageDeny && r.Stage != StageHardline {
				t.Errorf("%q (mode %s): stage %s, want deny", tt.command, mode, r.Stage)
			}
		}
	}
}

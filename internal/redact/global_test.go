package redact

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

func TestSlotFreezes(t *testing.T) {
	t.Parallel()
	secret := "OPENAI_API_KEY=" + familySecrets["openai"]
	tests := []struct {
		name    string
		first   Options
		wantErr bool
		masks   bool
	}{
		{"on", Options{}, false, true},
		{"off", Options{Disabled: true}, false, false},
		{"extra", Options{Extra: []string{`corp_[0-9]{8}`}}, false, true},
		{"bad extra keeps built-ins", Options{Extra: []string{`(`}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s slot
			if got := s.get().String(secret); got == secret {
				t.Fatal("before Init the slot is a pass-through")
			}
			if err := s.init(tt.first); (err != nil) != tt.wantErr {
				t.Fatalf("first init: %v", err)
			}
			r := s.get()
			if masks := r.String(secret) != secret; masks != tt.masks {
				t.Fatalf("after init masks=%v, want %v", masks, tt.masks)
			}
			for _, o := range []Options{{}, {Disabled: true}, {Extra: []string{`zz_[0-9]{9}`}}} {
				if err := s.init(o); !errors.Is(err, ErrFrozen) {
					t.Errorf("second init(%+v) = %v, want ErrFrozen", o, err)
				}
				if s.get() != r {
					t.Error("a second init replaced the redactor")
				}
			}
		})
	}
}

func TestSlotConcurrentInit(t *testing.T) {
	t.Parallel()
	var s slot
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() { errs <- s.init(Options{Disabled: i%2 == 0}) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrFrozen) {
			t.Errorf("init: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d inits succeeded, want exactly 1", ok)
	}
}

// TestProcessInit runs the real process-wide Init in a child process, so
// that the freeze is observed exactly as a program sees it.
func TestProcessInit(t *testing.T) {
	t.Parallel()
	if os.Getenv("REDACT_TEST_CHILD") == "1" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitChild$", "-test.v")
	cmd.Env = append(os.Environ(), "REDACT_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestInitChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestInitChild(t *testing.T) {
	if os.Getenv("REDACT_TEST_CHILD") != "1" {
		t.Skip("runs in TestProcessInit's child process")
	}
	secret := "GH_TOKEN=" + familySecrets["github-ghp"]
	if Default().String(secret) == secret {
		t.Fatal("Default before Init is a pass-through")
	}
	if err := Init(Options{Extra: []string{`corp_[0-9]{8}`}}); err != nil {
		t.Fatal(err)
	}
	r := Default()
	if err := Init(Options{Disabled: true}); !errors.Is(err, ErrFrozen) {
		t.Fatalf("second Init = %v", err)
	}
	// What a later config or environment says cannot change it.
	for _, kv := range [][2]string{{"HERMES_REDACT_SECRETS", "false"}, {"REDACT_SECRETS", "0"}, {"HERMES_YOLO", "1"}} {
		t.Setenv(kv[0], kv[1])
	}
	if Default() != r {
		t.Fatal("Default changed after Init")
	}
	if got := Default().String(secret + " corp_12345678"); strings.Contains(got, "corp_12345678") || got == secret {
		t.Errorf("frozen redactor lost patterns: %q", got)
	}
}

package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestHandler(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	secret := familySecrets["anthropic"]
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r)).With("preset", "key "+secret)
	log.WithGroup("req").Info("calling with "+secret,
		"attr", secret,
		"err", errors.New("401 for key "+secret),
		"stringer", stringer("tok "+secret),
		slog.Group("inner", "header", "Authorization: Bearer "+secret, slog.Group("deep", "v", secret)),
		"password", "hunter2",
		"struct", struct{ Key string }{secret},
		"count", 3,
		"plain", "nothing here",
	)
	out := buf.String()
	if piece, bad := leaked(out, secret, 6); bad {
		t.Fatalf("log shows %q:\n%s", piece, out)
	}
	for _, want := range []string{`"password":"***"`, `"count":3`, `"plain":"nothing here"`, `"msg":"calling with ` + Mask(secret) + `"`, `"deep":{"v":"` + Mask(secret) + `"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestHandlerDisabled(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	slog.New(NewHandler(slog.NewTextHandler(&buf, nil), mustNew(t, Options{Disabled: true}))).Info("m", "password", "hunter2")
	if !strings.Contains(buf.String(), "password=hunter2") {
		t.Errorf("disabled handler changed the record: %s", buf.String())
	}
}

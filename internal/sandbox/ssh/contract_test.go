package ssh

import (
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func TestContract(t *testing.T) {
	s := startServer(t)
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { return s.backend(t, t.TempDir()) })
	sandboxtest.ShellContract(t, s.backend(t, t.TempDir()))
}

package docker

import (
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func TestContract(t *testing.T) {
	o := options(t)
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { return start(t, o).b })
}

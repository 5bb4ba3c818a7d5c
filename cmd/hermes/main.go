// Command hermes is a self-hosted autonomous AI agent. See README.md.
package main

import (
	"os"

	"github.com/hermes-go/hermes/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

package llm

import (
	"github.com/hermes-go/hermes/internal/config"
)

// FromConfig builds the main Router of a profile: the chain from
// config.yaml, keys from env (the process environment, then .env) and the
// pools in o.Pools, retries and streaming from config.
func FromConfig(cfg *config.Config, o Options) (*Router, error) {
	chain, err := Chain(cfg)
	if err != nil {
		return nil, err
	}
	o.Retries = cfg.Agent.APIMaxRetries
	o.Stream = cfg.Model.Streaming
	return NewRouter(chain, o), nil
}

// AuxFromConfig builds the Router of a side task (compression, vision,
// web_extract, title, session_search, approval): its own endpoint when
// auxiliary.<task> sets one, then the main chain. A side task never
// streams, and its notices are the caller's to show or not.
func AuxFromConfig(cfg *config.Config, task string, o Options) (*Router, error) {
	chain, err := AuxChain(cfg, task)
	if err != nil {
		return nil, err
	}
	o.Retries = cfg.Agent.APIMaxRetries
	o.Stream = false
	return NewRouter(chain, o), nil
}

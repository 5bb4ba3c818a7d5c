package cron

import (
	"context"
	"slices"
)

// MaxRunDepth bounds runs started from inside runs: a chat may run a job
// now (depth 1), that job's agent may run another (depth 2, only with
// cron.allow_agent_scheduling), and no deeper. A job never runs itself.
const MaxRunDepth = 2

type chainKey struct{}

// withRunChain is ctx inside a run of jobID: the runner's context carries
// the ids of the runs it is nested in, outermost first.
func withRunChain(ctx context.Context, jobID string) context.Context {
	return context.WithValue(ctx, chainKey{}, append(slices.Clone(RunChain(ctx)), jobID))
}

// RunChain lists the jobs whose runs ctx is inside, outermost first
// (empty outside any run).
func RunChain(ctx context.Context) []string {
	c, _ := ctx.Value(chainKey{}).([]string)
	return c
}

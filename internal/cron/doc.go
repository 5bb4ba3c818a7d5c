// Package cron runs scheduled agent jobs that never fail silently: the
// schedule parser (intervals, word forms, cron expressions, one-shots),
// the job store cron/jobs.json (atomic writes under a file lock), the
// scheduler (one per home, a lock with pid and heartbeat), the run
// ledger in state.db (claimed before a run starts, so nothing runs twice
// and a run that died with its process is found and reported), and the
// delivery of results and failures.
package cron

package cron

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTick10k is one scheduler tick over 10,000 enabled jobs of
// which none is due (the daemon's usual tick): read jobs.json, check the
// ledger for dead runs, look at the earliest next_run_at. Target: under
// 10 ms.
func BenchmarkTick10k(b *testing.B) {
	e := newEnvB(b)
	jobs := make([]Job, 10000)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("job-%05d", i))
		next := t0.Add(time.Duration(1+i%1000) * time.Hour)
		jobs[i].NextRunAt = &next
	}
	if err := e.jobs.Update(func([]Job) ([]Job, error) { return jobs, nil }); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// just-written: jobs.json changed less than racyWindow ago, so its
	// bytes are read and compared; settled: the usual case, a stat.
	for _, c := range []struct {
		name string
		racy time.Duration
	}{{"just-written", time.Hour}, {"settled", 0}} {
		b.Run(c.name, func(b *testing.B) {
			defer func(w time.Duration) { racyWindow = w }(racyWindow)
			racyWindow = c.racy
			b.ReportAllocs()
			for b.Loop() {
				recs, err := e.s.Tick(ctx)
				if err != nil || len(recs) != 0 {
					b.Fatal(err, recs)
				}
			}
			b.StopTimer()
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}

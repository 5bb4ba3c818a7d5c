package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
)

// common are real words of agent conversations, most frequent first; a
// long tail of made-up words follows them in the generated text.
var common = strings.Fields(`the to a and of is in it you that for this on with file
be are can not run error if command as use have do code output test build what will
from or an by line function go install server config path directory check let me here
docker container image python script version package module import need using see
should log update fix change new value return set add remove string list data user
git commit branch merge push pull request repository review message result status
database query table index schema migration session memory search model token cost
api key endpoint http response json yaml field type struct interface method call
process kill signal timeout retry network port host connection socket proxy cache
deploy release tag binary linux shell bash terminal environment variable cron job
schedule backup restore disk volume mount permission owner group read write delete
create copy move rename archive compress extract download upload stream buffer queue
worker thread lock mutex channel goroutine context cancel deadline panic recover
stack trace debug profile benchmark latency throughput memory leak garbage allocation
compile link flag option argument parameter default override template render page
browser html css javascript node npm typescript react component state props hook
email telegram discord slack matrix webhook gateway notification reminder calendar
weather travel recipe budget invoice report summary meeting agenda note todo plan`)

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
	vocab     []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// word draws a word with a Zipf-like distribution over the vocabulary.
func word(r *rand.Rand, z *rand.Zipf) string { return vocab[z.Uint64()] }

func buildVocab() {
	r := rand.New(rand.NewPCG(1, 2))
	syll := strings.Fields("ka ro mi ten sul va de pri on lex tra bo ne qui zor fa li mu")
	vocab = append(vocab, common...)
	for len(vocab) < 40000 {
		n := 2 + r.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		vocab = append(vocab, b.String())
	}
}

func sentence(r *rand.Rand, z *rand.Zipf) string {
	n := 6 + r.IntN(50)
	words := make([]string, n)
	for i := range words {
		words[i] = word(r, z)
	}
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	return strings.Join(words, " ") + "."
}

// benchStore returns a store holding n generated messages, built once
// per process (1,000,000 by default; HERMES_BENCH_MESSAGES overrides).
func benchStore(b *testing.B) *Store {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("HERMES_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	benchOnce.Do(func() {
		buildVocab()
		benchDir, benchErr = os.MkdirTemp("", "hermes-store-bench-")
		if benchErr != nil {
			return
		}
		start := time.Now()
		benchErr = fill(filepath.Join(benchDir, "state.db"), n)
		b.Logf("built %d messages in %s", n, time.Since(start).Round(time.Second))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	s, err := Open(filepath.Join(benchDir, "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// fill writes n messages in sessions of 1,000, one transaction each.
func fill(path string, n int) error {
	s, err := Open(path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	batch := make([]llm.Message, 0, 1000)
	for done := 0; done < n; done += cap(batch) {
		sess, err := s.CreateSession(ctx, Session{Source: "cli", Title: sentence(r, z)[:20]})
		if err != nil {
			return err
		}
		batch = batch[:0]
		for i := range min(cap(batch), n-done) {
			role := llm.RoleUser
			if i%2 == 1 {
				role = llm.RoleAssistant
			}
			text := sentence(r, z)
			if i%3 == 0 {
				text += " " + sentence(r, z)
			}
			batch = append(batch, llm.Message{Role: role, Content: text})
		}
		if err := s.AppendMessages(ctx, sess.ID, batch...); err != nil {
			return err
		}
	}
	_, err = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// BenchmarkSearch measures a typical two-word search with Limit 20 over
// the generated store and reports the median and 95th percentile.
func BenchmarkSearch(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	// Two words of the middle of the frequency table: each is in a few
	// percent of messages, like "docker container" in a real history.
	mid := common[40:]
	var lat []time.Duration
	var hits int
	b.ResetTimer()
	for b.Loop() {
		q := mid[r.IntN(len(mid))] + " " + mid[r.IntN(len(mid))]
		t0 := time.Now()
		h, err := s.Search(ctx, q, SearchOptions{Limit: 20})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(h)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*95/100]), "p95-ms")
	b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
	st, _ := s.Stats(ctx)
	b.ReportMetric(float64(st.DBBytes)/(1<<20), "db-MiB")
	b.ReportMetric(float64(st.Messages), "messages")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkAppend measures appending one exchange (a user message and an
// assistant reply with a tool call) to a session in one transaction.
func BenchmarkAppend(b *testing.B) {
	if vocab == nil {
		buildVocab()
	}
	s := openTemp(b)
	ctx := context.Background()
	sess := newSession(b, s, Session{})
	r := rand.New(rand.NewPCG(7, 8))
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	msgs := []llm.Message{
		{Role: llm.RoleUser, Content: sentence(r, z)},
		{Role: llm.RoleAssistant, Content: sentence(r, z), ToolCalls: []llm.ToolCall{
			{ID: "c1", Name: "terminal", Arguments: fmt.Sprintf(`{"command":%q}`, sentence(r, z))}}},
	}
	for b.Loop() {
		if err := s.AppendMessages(ctx, sess.ID, msgs...); err != nil {
			b.Fatal(err)
		}
	}
}

package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"natter/server/pglocal"
	"natter/server/pgtest"
	"natter/server/store"
	"natter/shared"
)

// BenchmarkSearch1M seeds 1,000,000 messages and measures one search
// (the first page, snippets included) as a heavy user makes it: a member of
// 109 of the 2,000 conversations, about 54,000 messages. Bodies are ten
// words drawn from 5,000 with a Zipf-like law (word wN about 1/N as often
// as w1), so "w1" is in 57% of all messages, "w10" in 11% and "w4000" in
// 0.03%. It reports p50 and p99 latency in milliseconds and the size of
// the search index. Run it with ./build.sh bench, or alone:
//
//	go test -run '^$' -bench Search1M -benchtime 200x ./server/store/
//
// With NATTER_SEARCH_BENCH_BEFORE=1 it measures the search as it was before
// it was made fast (search_before_test.go, with its own index) and as it is,
// one after the other on the same data: BenchmarkSearch1M/before/common,
// BenchmarkSearch1M/after/common, ...
//
// With NATTER_SEARCH_BENCH_PLANS=1 it also measures each query with each
// plan forced (BenchmarkSearch1M/plan_all/common, .../plan_recent/common),
// which is what the plan's choice is judged by.
//
// Seeding takes a minute or more. To iterate on the query, set
// NATTER_SEARCH_BENCH_DIR to a directory: the seeded database is then kept
// in a cluster there and reused by the next runs (see searchBenchDSN).
func BenchmarkSearch1M(b *testing.B) {
	dsn, seeded := searchBenchDSN(b)
	s := store.New(pgtest.Open(b, dsn))
	if !seeded {
		start := time.Now()
		seedSearch(b, dsn)
		b.Logf("seeded 1,000,000 messages in %v", time.Since(start).Round(time.Second))
	}
	cases := []struct{ name, query string }{
		{"rare", "w4000 "},
		{"common", "w10 "},
		{"very_common", "w1 "},
		{"two_words", "w10 w3 "},
		{"typing_prefix", "w12"},
		{"filtered", "w10 from:user2 after:2020-01-01"},
	}
	// A kept database may hold the index of an interrupted paired run.
	mustSearchIndex(b, s, store.SearchIndexAfter)
	if os.Getenv("NATTER_SEARCH_BENCH_PLANS") != "" {
		// Each plan forced, to check the choice (store.choosePlan).
		for _, name := range []string{"plan_all", "plan_recent"} {
			plan := store.PlanAll
			if name == "plan_recent" {
				plan = store.PlanRecent
			}
			// More words in between, for the costs; not the filter, which
			// always ranks every match (a walk would read past every
			// message it rejects: seconds here).
			cases := append(slices.Clone(cases[:5]), []struct{ name, query string }{
				{"w3", "w3 "}, {"w20", "w20 "}, {"w10_w1", "w10 w1 "}, {"w2_w3", "w2 w3 "},
			}...)
			if plan == store.PlanAll {
				cases = append(cases, struct{ name, query string }{"filtered", "w10 from:user2 after:2020-01-01"})
			}
			b.Run(name, func(b *testing.B) {
				benchSearchCases(b, s, cases, false, func(ctx context.Context, user int64, req shared.SearchRequest) (shared.SearchResults, error) {
					return s.SearchMessagesPlan(ctx, user, req, plan)
				})
			})
		}
	}
	if os.Getenv("NATTER_SEARCH_BENCH_BEFORE") == "" {
		benchSearchCases(b, s, cases, true, s.SearchMessages)
		return
	}
	// Paired: the search as it was, with its index, then as it is, on the
	// same data in the same run. With -count=2 they alternate.
	for _, v := range []struct {
		name, index string
		search      func(context.Context, int64, shared.SearchRequest) (shared.SearchResults, error)
	}{
		{"before", store.SearchIndexBefore, func(ctx context.Context, user int64, req shared.SearchRequest) (shared.SearchResults, error) {
			return s.SearchMessagesBefore(ctx, user, req.Query)
		}},
		{"after", store.SearchIndexAfter, s.SearchMessages},
	} {
		mustSearchIndex(b, s, v.index)
		b.Run(v.name, func(b *testing.B) { benchSearchCases(b, s, cases, v.name == "after", v.search) })
	}
}

// mustSearchIndex makes messages_search the index create makes (one of
// store.SearchIndexBefore and SearchIndexAfter), building it unless it
// is already that one.
func mustSearchIndex(b *testing.B, s *store.Store, create string) {
	b.Helper()
	var def string
	if err := s.DB.NewRaw(`SELECT pg_get_indexdef('messages_search'::regclass)`).Scan(ctx, &def); err != nil {
		b.Fatal(err)
	}
	_, want, _ := strings.Cut(create, " USING ")
	if strings.HasSuffix(def, want) {
		return
	}
	start := time.Now()
	conn, err := s.DB.Conn(ctx) // one session, for the SET
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`SET maintenance_work_mem = '256MB'`, `DROP INDEX messages_search`, create} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	b.Logf("built %s in %v", want, time.Since(start).Round(time.Second))
}

// benchSearchCases measures search for each case as sub-benchmarks,
// logging first the plan of SearchMessages's statement when explain is set.
func benchSearchCases(b *testing.B, s *store.Store, cases []struct{ name, query string }, explain bool,
	search func(context.Context, int64, shared.SearchRequest) (shared.SearchResults, error)) {
	var size int64
	if err := s.DB.NewRaw(`SELECT pg_relation_size('messages_search')`).Scan(ctx, &size); err != nil {
		b.Fatal(err)
	}
	for _, tc := range cases {
		if explain {
			plan, err := s.ExplainSearch(ctx, 1, tc.query)
			if err != nil {
				plan = "explain: " + err.Error()
			}
			b.Logf("%s (%q):\n%s", tc.name, tc.query, plan)
		}
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			hits, timeouts := 0, 0
			for b.Loop() {
				t0 := time.Now()
				res, err := search(ctx, 1, shared.SearchRequest{Query: tc.query})
				lat = append(lat, time.Since(t0))
				var se *shared.Error
				switch {
				case errors.As(err, &se) && se.Code == shared.CodeSearchTimeout:
					timeouts++ // counted, not fatal: a busy machine shows here
				case err != nil:
					b.Fatal(err)
				default:
					hits = len(res.Hits)
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[0]), "min-ms") // what the machine's load adds least to
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
			b.ReportMetric(float64(size)/(1<<20), "index-MB")
			b.ReportMetric(float64(hits), "hits/page")
			b.ReportMetric(float64(timeouts), "timeouts")
		})
	}
}

// searchBenchDSN returns the benchmark's database and whether it already
// holds the seeded messages. By default it is a fresh database of the test
// cluster, gone when the binary ends. With NATTER_SEARCH_BENCH_DIR set, it
// is database search1m of a cluster kept in that directory: created and
// migrated (new migrations included) on every run, seeded on the first,
// reused by the next; the cluster is stopped when the benchmark ends, its
// data kept. Remove the directory to start over.
func searchBenchDSN(b *testing.B) (string, bool) {
	b.Helper()
	dir := os.Getenv("NATTER_SEARCH_BENCH_DIR")
	if dir == "" {
		return pgtest.MustDSN(b), false
	}
	c, err := pglocal.Start(ctx, pglocal.Options{Dir: dir, Ephemeral: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := c.Stop(); err != nil {
			b.Error(err)
		}
	})
	if err := c.CreateDatabase(ctx, "search1m", ""); err != nil {
		b.Fatal(err)
	}
	dsn := c.DSN("search1m")
	db := pgtest.Open(b, dsn)
	if err := pgtest.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	var n int64
	if err := db.NewRaw(`SELECT count(*) FROM messages`).Scan(ctx, &n); err != nil {
		b.Fatal(err)
	}
	switch n {
	case 0:
		return dsn, false
	case 1_000_000:
		b.Logf("reusing the seeded database in %s", dir)
		return dsn, true
	}
	b.Fatalf("%s holds %d messages, neither none nor the seeded million: remove it", dir, n)
	return "", false
}

// seedSearch writes the benchmark's users, conversations and messages in
// a few statements. The index is built after the rows, as a restore
// would; one maintained row by row is somewhat larger.
func seedSearch(b *testing.B, dsn string) {
	b.Helper()
	// Its own pool: building the index on a busy machine can take longer
	// than the driver's default read timeout.
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithReadTimeout(30*time.Minute)))
	defer db.Close()
	conn, err := db.Conn(ctx) // one session: the temporary table lives in it
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var msgs []string
	// In chunks of 20,000: each statement stays well under the driver's
	// read timeout.
	for lo := 0; lo < 1_000_000; lo += 20_000 {
		msgs = append(msgs, fmt.Sprintf(`INSERT INTO messages (conversation_id, seq, sender_id, body, created_at)
			SELECT c.id, g/2000+1, ((c.i*7 + g%%5) %% 1000)+1,
				(SELECT string_agg('w' || floor(exp(random()*ln(5000)))::int, ' ') FROM generate_series(1, 10) WHERE g >= 0),
				now() - interval '1 second' * (1000000 - g)
			FROM generate_series(%d, %d) g JOIN bench_convs c ON c.i = g %% 2000`, lo, lo+19_999))
	}
	for _, q := range []string{
		`INSERT INTO users (email, nickname, password_hash) SELECT 'u'||i||'@example.com', 'user'||i, 'x' FROM generate_series(1, 1000) i`,
		`CREATE TEMP TABLE bench_convs AS SELECT i, gen_random_uuid() AS id FROM generate_series(0, 1999) i`,
		`INSERT INTO conversations (id, title, last_seq) SELECT id, 'bench '||i, 500 FROM bench_convs`,
		// Five members each; user 1 is also in the first hundred.
		`INSERT INTO conversation_members (conversation_id, user_id, owner)
			SELECT c.id, ((c.i*7+k) % 1000)+1, k = 0 FROM bench_convs c, generate_series(0, 4) k ON CONFLICT DO NOTHING`,
		`INSERT INTO conversation_members (conversation_id, user_id) SELECT id, 1 FROM bench_convs WHERE i < 100 ON CONFLICT DO NOTHING`,
		`DROP INDEX messages_search`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%.60s: %v", q, err)
		}
	}
	for _, q := range append(msgs,
		`SET maintenance_work_mem = '256MB'`,
		`CREATE INDEX messages_search ON messages USING gin (conversation_id, search)`,
		`VACUUM ANALYZE`, // as autovacuum would have, on every table
	) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%.60s: %v", q, err)
		}
	}
}

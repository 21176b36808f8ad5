// Command clientbench measures the browser app in headless Chromium: what
// a first visit downloads, how long a cold, a warm and an offline start
// take to a usable screen, the message list under load (list.go: older
// pages, a live message, typing while messages stream in, catching up on
// missed messages) and Lighthouse's scores. Given older builds with -old
// (once or more) it measures them all in one run, alternating, so that the
// machine's load falls on all alike: only such paired figures are
// compared. With -rounds N it does all of it N times, each with fresh
// servers and databases, and pools the runs; with two builds each figure
// gets a bootstrap interval of their difference (pool.go).
//
//	go run ./server/cmd/clientbench [-old DIR]... [-runs 5] [-rounds 1 -warmup 0] [-list=false] [-lighthouse PATH]
//
// A build is a directory holding bin/natter and web/ (./build.sh build
// makes them); each runs its own server with its own embedded PostgreSQL.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	newDir := flag.String("new", ".", "the build to measure")
	var oldDirs []string
	flag.Func("old", "an older build to measure beside it (repeatable)", func(s string) error {
		oldDirs = append(oldDirs, s)
		return nil
	})
	profDir := flag.String("profile", "", "write V8 profiles of each build's first live-message run and of one more cold visit to this directory, and summarize them")
	visits := flag.Bool("visits", true, "measure the cold, warm and offline visits")
	list := flag.Bool("list", true, "measure the message list too (list.go)")
	listMsgs := flag.Int("listmsgs", 2000, "messages in the list scenarios' conversation")
	missed := flag.Int("missed", 10000, "messages missed while offline in the catch-up scenario")
	runs := flag.Int("runs", 5, "visits of each kind per build; medians are reported")
	lh := flag.String("lighthouse", "", "Lighthouse's CLI (node_modules/.bin/lighthouse); empty: skip")
	chromium := flag.String("chromium", "", "Chromium to use; empty: /usr/bin/chromium or chromium in PATH")
	convs := flag.Int("convs", 3, "conversations the user has")
	messages := flag.Int("messages", 100, "messages in each")
	verbose := flag.Bool("v", false, "log every visit's figures")
	serve := flag.Bool("serve", false, "start and seed the builds, print their URLs and cookie, and wait for Ctrl+C (to look by hand)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("clientbench: ")
	if *chromium == "" {
		*chromium = findChromium()
	}

	var builds []*build
	for _, d := range oldDirs {
		label := "before"
		if len(oldDirs) > 1 {
			label = "before " + filepath.Base(filepath.Clean(d))
		}
		builds = append(builds, &build{label: label, dir: d})
	}
	builds = append(builds, &build{label: "after", dir: *newDir})
	ctx := context.Background()
	convPath := map[*build]string{}
	// fatal stops the servers first: log.Fatal skips deferred calls, and a
	// server left running keeps its PostgreSQL running too.
	fatal := func(format string, args ...any) {
		for _, b := range builds {
			b.stop()
		}
		log.Fatalf(format, args...)
	}
	if !*serve {
		// Interrupted, the servers and their PostgreSQL go too.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			for _, b := range builds {
				b.stop()
			}
			os.Exit(1)
		}()
	}
	for _, b := range builds {
		defer b.stop()
	}
	if *serve {
		startAll(ctx, builds, convPath, *convs, *messages, fatal)
		for _, b := range builds {
			fmt.Printf("%s: %s%s  Cookie: %s=%s\n", b.label, b.url, convPath[b], b.cookie.Name, b.cookie.Value)
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return
	}

	// Every round starts the servers afresh and pools its runs with the
	// others' (pool.go); profiles, traces and Lighthouse run in the last.
	results := map[*build][]round{}
	lists := map[*build][]listRun{}
	for rd := 0; rd < *rounds; rd++ {
		last := rd == *rounds-1
		if *rounds > 1 {
			log.Printf("round %d of %d", rd+1, *rounds)
		}
		startAll(ctx, builds, convPath, *convs, *messages, fatal)
		for r := 0; r < *runs && *visits; r++ {
			order := slices.Clone(builds)
			if (rd*(*runs)+r)%2 == 1 {
				slices.Reverse(order) // neither build always goes first
			}
			for _, b := range order {
				rv, err := measure(*chromium, b)
				if err != nil {
					// Reported and left out of the medians: one stuck visit
					// should not cost the whole paired run.
					log.Printf("%s, run %d failed, left out: %v", b.label, r+1, err)
					continue
				}
				log.Printf("%s run %d: cold %.0f ms, warm %.0f ms, offline %.0f ms", b.label, r+1, rv.cold.Connected, rv.warm.Connected, rv.offline.List)
				if *verbose {
					for _, v := range []visit{rv.cold, rv.warm, rv.offline} {
						j, _ := json.Marshal(v)
						log.Printf("  %s", j)
					}
				}
				if r < *warmup {
					log.Printf("%s run %d: a warm-up, left out", b.label, r+1)
					continue
				}
				results[b] = append(results[b], rv)
			}
		}
		if last && *visits {
			report(os.Stdout, builds, results, (*runs-*warmup)*(*rounds))
		}
		if last && *visits && *profDir != "" {
			for _, b := range builds {
				path := outFile(*profDir, b, "cold.cpuprofile")
				prof, err := profileCold(*chromium, b, path)
				if err != nil {
					log.Printf("%s: profiled cold visit failed: %v", b.label, err)
					continue
				}
				summarize(os.Stdout, b.label+": a cold visit until connected (one, profiled)", prof, 25)
				path = outFile(*profDir, b, "warm.cpuprofile")
				if prof, err = profileWarm(*chromium, b, path); err != nil {
					log.Printf("%s: profiled warm visit failed: %v", b.label, err)
					continue
				}
				summarize(os.Stdout, b.label+": a warm visit until caught up (one, profiled)", prof, 25)
			}
		}
		if last && *traceDir != "" {
			sums := map[*build]traceSummary{}
			for _, b := range builds {
				path := outFile(*traceDir, b, "cold.json")
				s, err := traceCold(*chromium, b, path)
				if err != nil {
					log.Printf("%s: traced cold visit failed: %v", b.label, err)
					continue
				}
				log.Printf("%s: cold visit traced into %s", b.label, path)
				sums[b] = s
			}
			fmt.Println()
			reportTraces(os.Stdout, builds, sums)
		}
		if *list {
			measureLists(builds, lists, *runs, rd, *chromium, *listMsgs, *missed, *profDir, *verbose, fatal)
			if last {
				fmt.Println()
				reportList(os.Stdout, builds, lists, (*runs-*warmup)*(*rounds), *listMsgs, *missed)
			}
		}
		if last && *lh != "" {
			fmt.Println()
			fmt.Println("| Lighthouse 12.2.3 | build | performance | LCP | TBT | CLS | accessibility | best practices |")
			fmt.Println("|---|---|---|---|---|---|---|---|")
			for _, page := range []string{"/signin", "conversation"} {
				for _, preset := range []string{"mobile", "desktop"} {
					for _, b := range builds {
						url, cookie := b.url+page, ""
						if page == "conversation" {
							url, cookie = b.url+convPath[b], b.cookie.Name+"="+b.cookie.Value
						}
						s, err := lighthouse(ctx, *lh, *chromium, url, preset, cookie)
						if err != nil {
							log.Printf("%v", err)
							continue
						}
						fmt.Printf("| %s, %s | %s | %.0f | %.1f s | %.0f ms | %.3f | %.0f | %.0f |\n", page, preset, b.label, s.Performance, s.LCP/1000, s.TBT, s.CLS, s.Accessibility, s.BestPractices)
					}
				}
			}
		}
		if !last {
			for _, b := range builds {
				b.stop()
			}
		}
	}
}

// round is one cold, warm and offline visit of a build in a fresh profile.
type round struct{ cold, warm, offline visit }

// wasmKept is true once app.wasm is in the service worker's cache (each
// poll starts a look and reports the previous one's answer).
const wasmKept = `(() => {
	(async () => { for (const k of await caches.keys()) { if (await (await caches.open(k)).match("/web/app.wasm", {ignoreSearch: true})) return true; } return false; })()
		.then((v) => { window.natterBenchKept = v; });
	return window.natterBenchKept === true && navigator.serviceWorker.controller !== null;
})()`

// stored becomes true when the app's IndexedDB holds a record and the
// messages of every conversation the page lists, and the count of all its
// records did not change between two polls: the offline visit then finds
// on disk what the warm visit showed.
//
// A stable count alone is not enough. The app writes a debounced 300 ms
// (1 s for conversations alone) after a change, encodes every conversation
// before its first write, and writes its user's record first, one
// transaction per record; the warm visit's navigation often cuts the cold
// visit's last write short (in 3 of 8 rounds it left 1 or 2 of the 3
// conversations), and the count is stable while the warm visit's write has
// not begun. When the cut had left only the user's record, the offline
// visit started with the user and no conversations and never showed the
// list (2 rounds of ~150 at random; 7 of 16 with -cutcold, none since
// this wait).
const stored = `(() => {
	(async () => {
		const ids = [...document.querySelectorAll("#conv-list a.conv-item")].map((a) => a.dataset.id);
		const db = await new Promise((ok, fail) => { const r = indexedDB.open("natter"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
		const ask = (name, op) => new Promise((ok, fail) => { const r = db.transaction(name).objectStore(name)[op](); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
		try {
			let n = 0;
			for (const name of db.objectStoreNames) {
				n += await ask(name, "count");
			}
			const convs = new Set(await ask("convs", "getAllKeys")), msgs = new Set(await ask("messages", "getAllKeys"));
			return ids.length > 0 && ids.every((id) => convs.has(id) && msgs.has(id)) ? n : -1;
		} finally {
			db.close();
		}
	})().then((n) => { window.natterBenchStable = n > 0 && n === window.natterBenchStored; window.natterBenchStored = n; });
	return window.natterBenchStable === true;
})()`

// diag logs what IndexedDB holds (idbState) after the cold visit and when
// the offline visit starts: what explains an offline start that lists
// less than the warm one did.
var diag = flag.Bool("diag", false, "log what IndexedDB holds before the warm and the offline visit")

// coldOnly, an experiment, makes the cold visit alone: for builds whose
// warm visits cannot work (one without IndexedDB, say). The warm and
// offline figures are then empty.
var coldOnly = flag.Bool("coldonly", false, "experiment: measure the cold visits only")

// readyJS is true once the page shows the list connected, and caught up
// (natter:ready) when the build marks it (old builds do not), so a
// visit's figures include the whole replay.
const readyJS = `!!window.natterBench.connected && document.querySelectorAll("#conv-list li").length > 0 &&
	(performance.getEntriesByName("natter:go-start").length === 0 || performance.getEntriesByName("natter:ready").length > 0)`

// measure makes the three visits: cold (nothing cached, signed in) to
// connected; warm (service worker and local data in place) to connected;
// and warm while offline to the conversation list.
func measure(chromium string, b *build) (round, error) {
	var rd round
	br, err := newSignedIn(chromium, b)
	if err != nil {
		return rd, err
	}
	defer br.cancel()
	connected := readyJS
	if rd.cold, err = br.load(b.url+"/", connected); err != nil {
		return rd, err
	}
	if *coldOnly {
		return rd, nil
	}
	if err := br.run(waitJS(wasmKept)); err != nil {
		return rd, fmt.Errorf("the service worker did not settle: %w", err)
	}
	if *cutCold {
		if err := br.clearConvs(); err != nil {
			return rd, fmt.Errorf("cut the cold visit's data: %w", err)
		}
	}
	if *diag {
		log.Printf("  after cold: %s", br.state())
	}
	if rd.warm, err = br.load(b.url+"/", connected); err != nil {
		return rd, err
	}
	if err := br.run(waitJS(stored)); err != nil {
		return rd, fmt.Errorf("the app's data did not settle: %w", err)
	}
	if *diag {
		log.Printf("  stored: %s", br.state())
	}
	// The offline visit is ready when it lists all the warm one did: one
	// conversation of several is a start from a cut write, not the app's.
	ctx, cancel := context.WithTimeout(br.ctx, time.Minute)
	listed, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#conv-list li").length`))
	cancel()
	if err != nil {
		return rd, err
	}
	if err := br.offline(true); err != nil {
		return rd, err
	}
	rd.offline, err = br.load(b.url+"/", fmt.Sprintf(`document.querySelectorAll("#conv-list li").length >= %d`, listed))
	if err != nil {
		err = fmt.Errorf("%w\nIndexedDB: %s", err, br.state())
	}
	return rd, err
}

func findChromium() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	log.Fatal("Chromium not found: apt-get install chromium")
	return ""
}

// fileSize is the size of a build's file, or 0.
func fileSize(b *build, name string) float64 {
	st, err := os.Stat(filepath.Join(b.dir, "web", name))
	if err != nil {
		return 0
	}
	return float64(st.Size())
}

// outFile is where a build's file of the given kind goes in dir: the
// build's label, spaces as dashes, then the kind ("after-cold.json").
func outFile(dir string, b *build, kind string) string {
	return filepath.Join(dir, strings.ReplaceAll(b.label, " ", "-")+"-"+kind)
}

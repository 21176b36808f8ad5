package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/listbench"
	"natter/shared"
)

// The message list, in a conversation of listMsgs messages from the other
// user, all read: each older page while scrolling to the start, a live
// message from the peer's write (and from its frame reaching the page) to
// the frame that paints it, keystroke to next frame while 20 messages a
// second arrive, and catch-up: the list open at the bottom of another
// conversation, the browser offline while the peer writes `missed`
// messages, then online again, from "connected" to the frame that paints
// the newest. The scenarios are package listbench's.

// listRun is one build's message-list figures from one browser.
type listRun struct {
	Older   []float64 // ms per older page, oldest last
	Live    []float64 // write → painted
	Framed  []float64 // frame in the page → painted
	Keys    []float64 // keystroke → next frame
	CatchUp float64   // connected → newest painted
	Caught  float64   // connected → newest in the DOM
}

// listSetup is what a build's list scenarios share across runs.
type listSetup struct {
	me, them *peer
	otherID  int64  // them
	long     string // the conversation of listMsgs messages
}

// startList connects the two users and seeds the long conversation, read
// by the benchmark's user so it opens at the newest message.
func (b *build) startList(msgs int) (*listSetup, error) {
	me, err := dialPeer(b.url, b.cookie)
	if err != nil {
		return nil, err
	}
	them, err := dialPeer(b.url, b.otherCookie)
	if err != nil {
		me.close()
		return nil, err
	}
	ls := &listSetup{me: me, them: them, otherID: b.otherID}
	if ls.long, err = ls.conversation("Long", msgs); err != nil {
		ls.close()
		return nil, fmt.Errorf("%s: %w", b.label, err)
	}
	return ls, nil
}

func (ls *listSetup) close() { ls.me.close(); ls.them.close() }

// conversation creates a conversation of the two with n messages from the
// other user, all read, and returns its id.
func (ls *listSetup) conversation(title string, n int) (string, error) {
	id, act := shared.NewUUIDv7(), shared.NewUUIDv7()
	ch := ls.me.expect(act)
	if err := ls.me.send(shared.TypeConversationCreate, act, shared.ConversationCreate{ID: id, Title: title, MemberIDs: []int64{ls.otherID}}); err != nil {
		return "", err
	}
	if _, err := ls.me.answer(ch); err != nil {
		return "", fmt.Errorf("create %s: %w", title, err)
	}
	last, err := ls.them.burst(id, n, func(i int) string {
		return fmt.Sprintf("Message %d: a line of ordinary length to fill the row of the list.", i+1)
	})
	if err != nil {
		return "", fmt.Errorf("seed %s: %w", title, err)
	}
	if err := ls.markRead(id, last); err != nil {
		return "", fmt.Errorf("mark %s read: %w", title, err)
	}
	return id, nil
}

// markRead moves the benchmark user's read cursor to seq.
func (ls *listSetup) markRead(conv string, seq int64) error {
	act := shared.NewUUIDv7()
	ch := ls.me.expect(act)
	if err := ls.me.send(shared.TypeSeenMark, act, shared.SeenMark{ConversationID: conv, Seq: seq}); err != nil {
		return err
	}
	_, err := ls.me.answer(ch)
	return err
}

// lastRow is the newest message row's seq on the page.
const lastRow = `(() => { const ids = [...document.querySelectorAll("#messages .msg[data-seq]")].map(m => +m.dataset.seq); return Math.max(0, ...ids); })()`

// measureList runs the list scenarios in a fresh browser.
// With profile set, the live messages are recorded by V8's profiler
// (profile.go) into that file.
func measureList(chromium string, b *build, ls *listSetup, missed int, profile string) (listRun, error) {
	var lr listRun
	// Everything read, as after the seeding: the run before may have left
	// the last messages unread, and the list would open at the first
	// unread one instead of the newest.
	last, _, err := ls.them.say(ls.long, "A new run starts.")
	if err != nil {
		return lr, err
	}
	if err := ls.markRead(ls.long, last); err != nil {
		return lr, err
	}
	br, err := newSignedIn(chromium, b)
	if err != nil {
		return lr, err
	}
	defer br.cancel()
	if err := br.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listbench.FrameProbeJS})
		return err
	})); err != nil {
		return lr, err
	}
	if *steps {
		if err := br.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: stepProbeJS})
			return err
		})); err != nil {
			return lr, err
		}
	}
	connected := `(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`
	if err := br.run(chromedp.Navigate(b.url+"/c/"+ls.long), waitJS(connected+` && document.querySelectorAll("#messages .msg[data-seq]").length > 0`)); err != nil {
		return lr, fmt.Errorf("open the long conversation: %w", err)
	}
	if *revisit > 0 {
		time.Sleep(*revisit) // an experiment: time for V8 to cache the compiled wasm
		if err := br.run(chromedp.Navigate(b.url+"/c/"+ls.long), waitJS(connected+` && document.querySelectorAll("#messages .msg[data-seq]").length > 0`)); err != nil {
			return lr, fmt.Errorf("open the long conversation again: %w", err)
		}
	}
	ctx := br.ctx
	if _, err := listbench.Eval[bool](ctx, listbench.ProbeJS); err != nil {
		return lr, err
	}
	newest, err := listbench.Eval[int64](ctx, lastRow)
	if err != nil {
		return lr, err
	}
	time.Sleep(*settle) // an experiment: let the opening's deferred work finish first
	if *steps {
		dir := ""
		if profile != "" {
			dir = filepath.Dir(profile)
		}
		lr.Older, err = olderSteps(ctx, os.Stdout, b.label, dir)
	} else {
		lr.Older, err = listbench.OlderPages(ctx, 100)
	}
	if err != nil {
		return lr, err
	}
	if err := listbench.Wait(ctx, fmt.Sprintf(`(() => { const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight; return !!document.getElementById("msg-%d"); })()`, newest), time.Minute); err != nil {
		return lr, fmt.Errorf("back to the newest: %w", err)
	}
	if profile != "" {
		if err := startProfile(ctx); err != nil {
			return lr, fmt.Errorf("profile: %w", err)
		}
	}
	if lr.Live, lr.Framed, err = listbench.LivePaint(ctx, 40, func(i int) (int64, time.Time, error) {
		return ls.them.say(ls.long, fmt.Sprint("Live message ", i+1))
	}); err != nil {
		return lr, err
	}
	if profile != "" {
		prof, err := stopProfile(ctx, profile)
		if err != nil {
			return lr, fmt.Errorf("profile: %w", err)
		}
		summarize(os.Stdout, b.label+": 40 live messages", prof, 25)
	}
	if lr.Keys, err = listbench.KeysUnderLoad(ctx, "#composer", 60, 20, func(i int) {
		_ = ls.them.send(shared.TypeMessageSend, shared.NewUUIDv7(), shared.MessageSend{ConversationID: ls.long, Body: fmt.Sprint("Busy message ", i+1)})
	}); err != nil {
		return lr, err
	}
	lr.CatchUp, lr.Caught, err = catchUp(br, b, ls, missed, strings.Replace(profile, "-live.", "-catchup.", 1))
	return lr, err
}

// catchUp opens a fresh conversation at its newest message, takes the
// browser offline while the peer writes missed messages, brings it back
// and returns the milliseconds from "connected" to the frame that paints
// the newest message, and to its row in the DOM.
func catchUp(br *browser, b *build, ls *listSetup, missed int, profile string) (painted, dom float64, err error) {
	conv, err := ls.conversation("Catch-up", 20)
	if err != nil {
		return 0, 0, err
	}
	ctx := br.ctx
	if err := br.run(chromedp.Navigate(b.url+"/c/"+conv), waitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected" && !!document.getElementById("msg-20")`)); err != nil {
		return 0, 0, fmt.Errorf("open the catch-up conversation: %w", err)
	}
	if err := br.offline(true); err != nil {
		return 0, 0, err
	}
	if err := listbench.Wait(ctx, `(document.querySelector("#conn-status")||{dataset:{}}).dataset.state !== "connected"`, time.Minute); err != nil {
		return 0, 0, fmt.Errorf("going offline: %w", err)
	}
	last, err := ls.them.burst(conv, missed, func(i int) string {
		return fmt.Sprintf("Missed message %d, written while this browser was offline.", i+1)
	})
	if err != nil {
		return 0, 0, err
	}
	probe := fmt.Sprintf(`(() => {
		const t = window.natterCatch = {};
		const check = () => {
			const c = document.querySelector("#conn-status");
			if (t.connected === undefined && c && c.dataset.state === "connected") t.connected = performance.now();
			if (t.dom === undefined && document.getElementById("msg-%d")) {
				t.dom = performance.now();
				requestAnimationFrame(() => { t.painted = performance.now(); });
			}
		};
		new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
		return true;
	})()`, last)
	if _, err := listbench.Eval[bool](ctx, probe); err != nil {
		return 0, 0, err
	}
	if profile != "" {
		if err := startProfile(ctx); err != nil {
			return 0, 0, fmt.Errorf("profile: %w", err)
		}
	}
	if err := br.offline(false); err != nil {
		return 0, 0, err
	}
	if err := listbench.Wait(ctx, `!!(window.natterCatch && natterCatch.painted && natterCatch.connected)`, 2*time.Minute); err != nil {
		return 0, 0, fmt.Errorf("catch-up: the newest message (seq %d) never showed: %w", last, err)
	}
	if profile != "" {
		prof, err := stopProfile(ctx, profile)
		if err != nil {
			return 0, 0, fmt.Errorf("profile: %w", err)
		}
		summarize(os.Stdout, b.label+": catch-up", prof, 25)
	}
	t, err := listbench.Eval[map[string]float64](ctx, `natterCatch`)
	if err != nil {
		return 0, 0, err
	}
	return t["painted"] - t["connected"], t["dom"] - t["connected"], nil
}

// measureLists runs the message list scenarios of one round (list.go),
// the builds alternating run by run, appending to lists.
func measureLists(builds []*build, lists map[*build][]listRun, runs, rd int, chromium string, msgs, missed int, profDir string, verbose bool, fatal func(string, ...any)) {
	setups := map[*build]*listSetup{}
	for _, b := range builds {
		ls, err := b.startList(msgs)
		if err != nil {
			fatal("%v", err)
		}
		defer ls.close()
		setups[b] = ls
	}
	for r := 0; r < runs; r++ {
		order := slices.Clone(builds)
		if (rd*runs+r)%2 == 1 {
			slices.Reverse(order)
		}
		for _, b := range order {
			prof := ""
			if profDir != "" && r == 0 && rd == 0 {
				prof = outFile(profDir, b, "live.cpuprofile")
			}
			lr, err := measureList(chromium, b, setups[b], missed, prof)
			if err != nil {
				log.Printf("%s, list run %d failed, left out: %v", b.label, r+1, err)
				continue
			}
			log.Printf("%s list run %d: %d older pages, live %.0f ms, key %.0f ms, catch-up %.0f ms", b.label, r+1,
				len(lr.Older), median1(lr.Framed), median1(lr.Keys), lr.CatchUp)
			if verbose {
				log.Printf("  older pages (ms): %.1f", lr.Older)
			}
			if r < *warmup {
				log.Printf("%s list run %d: a warm-up, left out", b.label, r+1)
				continue
			}
			lists[b] = append(lists[b], lr)
		}
	}
}

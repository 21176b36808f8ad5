package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// holdProbe watches every frame of a conversation page from its first: it
// counts the frames painted without any message on screen after the first
// one that had some (the drawn skeleton's or the app's), which would be a
// flash, and notes when the drawn skeleton went.
const holdProbe = `(() => {
	const p = window.natterHold = {frames: 0, shown: false, gaps: 0, heldFrames: 0};
	const tick = () => {
		p.frames++;
		const held = document.querySelector("[data-skeleton][data-hold]");
		const live = document.querySelector("#msgs-list li.msg");
		const any = (held && held.querySelector("li.msg")) || live;
		if (held) p.heldFrames++;
		if (any) p.shown = true; else if (p.shown) p.gaps++;
		if (p.frames < 2000) requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})()`

// TestConversationSkeletonHeldThenReplaced: a member's conversation page
// arrives with its newest messages drawn, and the app takes over without
// the screen changing. At phone and desktop widths it compares where the
// drawn header, messages and composer are (the page opened with
// ?wasm=false) with where the app draws them, as it takes over and again
// once it has loaded the conversation's history (its top row changed state
// then, and moved every row: the 8 px drift), and on a cold visit (a fresh
// profile with only the session cookie) that no frame is painted without
// messages between the first paint and the app's own list.
func TestConversationSkeletonHeldThenReplaced(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "ann")
	ben, hb := srv.MustSignUp(t, "ben")
	conv := mustConv(t, srv, ann, "Plans", ben)
	wa, wb := srv.MustConnect(t, ha, nil), srv.MustConnect(t, hb, nil)
	for i, body := range []string{"Are we still on for Saturday?", "Yes! 10am at the station.", "Bring the <map> & snacks", "Will do.", "See you there"} {
		w := wa
		if i%2 == 1 {
			w = wb
		}
		w.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: body})
	}
	path := shared.ConversationPath(conv.ID)
	boxes := ".conv-head, .conv-name, .msgs-list > li.msg .bubble, .msgs-list > li.day-sep, .composer-box"
	// A conversation longer than the screen: both lists stand scrolled to
	// the newest; the newest few bubbles are compared.
	long := mustConv(t, srv, ann, "Long", ben)
	for i := range 30 {
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: long.ID, Body: fmt.Sprintf("line %d of a long talk", i+1)})
	}
	newest := `[...document.querySelectorAll(".msgs-list > li.msg .bubble")].slice(-3)`

	t.Run("cold visit", func(t *testing.T) {
		B := MustBrowser(t, "ann-cold")
		B.SignInWith(t, srv.URL, ha)
		B.OnEveryPage(t, holdProbe)
		B.Run(t, "open the conversation", chromedp.Navigate(srv.URL+path),
			WaitJS(`!!document.querySelector("#msgs-list li.msg") && !document.querySelector("[data-skeleton]")`))
		type hold struct {
			Frames, Gaps, HeldFrames int
			Shown                    bool
		}
		h := Eval[hold](t, B, `window.natterHold`)
		if !h.Shown || h.Gaps > 0 || h.HeldFrames == 0 {
			t.Fatalf("frames %+v: the drawn messages were not held until the app showed its own", h)
		}
		if got := Eval[string](t, B, `document.querySelector("#msgs-list").innerText`); !strings.Contains(got, "Bring the <map> & snacks") {
			t.Fatalf("the app's list: %q", got)
		}
	})

	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "timeline probe", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: timelineProbe})
		return err
	}))
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
		A.Run(t, "resize", chromedp.EmulateViewport(size.w, size.h))
		A.Run(t, "drawn page", chromedp.Navigate(srv.URL+path+"?wasm=false"), WaitJS(`!!document.querySelector("[data-skeleton] li.msg")`))
		before := Eval[string](t, A, boxesJS(boxes))
		dumpBefore := Eval[string](t, A, listDumpJS)
		lightDarkShots(t, A, "skeleton-conv-"+size.label+"-before")
		A.Run(t, "app", chromedp.Navigate(srv.URL+path), Visible("#msgs-list li.msg"), WaitJS(`!document.querySelector("[data-skeleton]")`))
		after := Eval[string](t, A, boxesJS(boxes))
		dumpAfter := Eval[string](t, A, listDumpJS)
		lightDarkShots(t, A, "skeleton-conv-"+size.label+"-after")
		if before == "[]" || before != after {
			t.Errorf("conversation at %s: the drawn elements\n%s\nmove when the app takes over:\n%s\ndrawn: %s\napp: %s", size.label, before, after, dumpBefore, dumpAfter)
		}
		// Nor later, once the app knows it holds the whole conversation:
		// its top row said "Loading older messages…" until then.
		A.Run(t, "app, whole", WaitJS(historyDoneJS))
		if later := Eval[string](t, A, boxesJS(boxes)); later != before {
			t.Errorf("conversation at %s: the drawn elements\n%s\nmove once the app has loaded its history:\n%s\napp: %s", size.label, before, later, Eval[string](t, A, listDumpJS))
		}
		lp := shared.ConversationPath(long.ID)
		A.Run(t, "drawn long page", chromedp.Navigate(srv.URL+lp+"?wasm=false"), WaitJS(`!!document.querySelector("[data-skeleton] li.msg")`))
		before = Eval[string](t, A, listBoxesJS(newest))
		dumpBefore = Eval[string](t, A, listDumpJS)
		A.Run(t, "app, long", chromedp.Navigate(srv.URL+lp), Visible("#msgs-list li.msg"), WaitJS(`!document.querySelector("[data-skeleton]")`),
			WaitJS(historyDoneJS), WaitJS(settledJS(listBoxesJS(newest)))) // the list places itself at the newest over a frame or two
		after = Eval[string](t, A, listBoxesJS(newest))
		dumpAfter = Eval[string](t, A, listDumpJS)
		if before == "[]" || before != after {
			t.Errorf("long conversation at %s: the newest drawn messages\n%s\nmove when the app takes over:\n%s\ndrawn: %s\napp: %s", size.label, before, after, dumpBefore, dumpAfter)
		}
	}
	A.Run(t, "resize back", chromedp.EmulateViewport(1280, 800))
}

// historyDoneJS is true once the app's list shows the start of the
// conversation at its top: it holds every message, and asks for no more.
const historyDoneJS = `!!document.querySelector("#msgs-list > li.history.is-start")`

// listBoxesJS lists where the elements a JavaScript expression lists are.
func listBoxesJS(list string) string {
	return fmt.Sprintf(`JSON.stringify(%s.map((e) => {
		const r = e.getBoundingClientRect();
		return [e.className, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
	}))`, list)
}

// settledJS is true once the JavaScript expression boxes (a JSON string)
// has given the same answer for three polls in a row.
func settledJS(boxes string) string {
	return fmt.Sprintf(`(() => {
		const v = %s, s = window.__e2eSettled || (window.__e2eSettled = {v: "", n: 0});
		if (s.v === v) { s.n++; } else { s.v = v; s.n = 1; }
		return s.n >= 3;
	})()`, boxes)
}

// listDumpJS describes the message list as it stands, for a failure of
// the hand-over: where it is scrolled, its padding, every direct child
// (class, height, offsetTop), the rows that come and go around it
// (typing, banners, the connection line, "Jump to latest") and whether the
// web fonts have loaded. Compared between the drawn page and the app, it
// names the element that moved the rest.
const listDumpJS = `(() => {
	const sk = document.querySelector(".msgs.sk-msgs");
	const el = sk || document.querySelector("#messages");
	if (!el) return "no list";
	const ol = el.querySelector(".msgs-list");
	const cs = getComputedStyle(el);
	const box = (s) => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect(); return [Math.round(r.y*10)/10, Math.round(r.height*10)/10, e.className]; };
	const kids = [...ol.children].map((e) => [e.tagName.toLowerCase() + "." + e.className.replace(/ /g, "."), Math.round(e.getBoundingClientRect().height*10)/10, e.offsetTop]);
	return JSON.stringify({
		skeleton: !!sk, scrollTop: el.scrollTop, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
		padding: cs.paddingTop + " " + cs.paddingBottom, display: cs.display, fonts: document.fonts.status,
		olTop: Math.round(ol.getBoundingClientRect().y*10)/10, olHeight: Math.round(ol.getBoundingClientRect().height*10)/10,
		composer: box(".composer-box"), composerWrap: box(".composer"), head: box(".conv-head"), list: box(sk ? ".msgs.sk-msgs" : "#messages"),
		typing: box(".typing"), typingInner: !!document.querySelector(".typing-inner"), banners: box(".banners"),
		conn: box(".conn"), connState: (document.querySelector(".conn") || {dataset: {}}).dataset.state,
		jump: box(".jump-latest, #jump-latest"), foot: box(".composer-foot"),
		kids: kids.length > 14 ? kids.slice(0, 4).concat([["…"]], kids.slice(-8)) : kids,
		timeline: window.natterTimeline ? window.natterTimeline.slice(-40) : null,
	});
})()`

// timelineProbe records, frame by frame from the page's start, every change
// of the message list's scroll position, height and children, so a
// failure shows in which frame and by what the rows moved.
const timelineProbe = `(() => {
	const log = window.natterTimeline = [];
	let last = "", n = 0;
	const t0 = performance.now();
	const tick = () => {
		n++;
		const el = document.querySelector("#messages") || document.querySelector(".msgs.sk-msgs");
		if (el) {
			const ol = el.querySelector(".msgs-list");
			const b = [...document.querySelectorAll(".msgs-list > li.msg .bubble")].slice(-1)[0];
			const kids = ol ? [...ol.children] : [];
			const first = kids[0], h = (e) => e ? Math.round(e.getBoundingClientRect().height*10)/10 : -1;
			const s = [el.id || "sk", el.scrollTop, el.scrollHeight, el.clientHeight, kids.length,
				first ? first.className + ":" + h(first) : "", kids.length > 1 ? "sp" + h(kids[1]) : "",
				kids.length ? "end" + h(kids[kids.length-1]) : "",
				b ? Math.round(b.getBoundingClientRect().y*10)/10 : -1, document.fonts.status,
				!!document.querySelector("[data-skeleton]"), (document.querySelector(".conn")||{dataset:{}}).dataset.state,
				h(document.querySelector(".composer-box")), h(document.querySelector(".banners"))].join(" ");
			if (s !== last) { log.push(Math.round(performance.now() - t0) + "ms f" + n + " " + s); last = s; }
		}
		if (n < 3000) requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})()`

package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/listbench"
	"natter/server/webtest"
	"natter/shared"
)

// BenchmarkMessageList measures the message list in a real browser, on
// whatever app is in NATTER_WEB, so two builds can be compared in one run
// (run it alternately with each's web directory):
//
//	NATTER_WEB=$PWD/web go test ./server/e2e/ -run '^$' -bench MessageList -benchtime 1x
//
// It reports, with 2,000 messages loaded: each older page from the scroll
// that asks for it to the frame that shows it (first pages and last pages,
// to show whether it grows with the history), a live message from the
// sender's write to the frame that paints it, and keystroke to next frame
// while 20 messages a second arrive. The probes and the scenarios are
// package listbench's, shared with the client benchmark
// (server/cmd/clientbench), which also pairs builds and repeats runs.
func BenchmarkMessageList(b *testing.B) {
	for range b.N {
		srv := webtest.MustServer(b)
		ann, _ := srv.MustSignUp(b, "ann")
		bob, hb := srv.MustSignUp(b, "bob")
		const n = 2000
		conv := seedConversation(b, srv, ann, bob, n, n)
		A := MustBrowser(b, "ann")
		if _, err := chromedp.Call(A.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listbench.FrameProbeJS}); err != nil {
			b.Fatal(err)
		}
		signInTB(b, A, srv, ann)
		A.Run(b, "open", chromedp.Navigate(srv.URL+shared.ConversationPath(conv)), WaitJS(`!!document.getElementById("msg-2000")`))
		Eval[bool](b, A, listbench.ProbeJS)

		pages, err := listbench.OlderPages(A.Ctx, 200)
		if err != nil {
			b.Fatal(err)
		}
		A.Run(b, "back to the newest", WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight; return !!document.getElementById("msg-2000"); })()`))
		wb := srv.MustConnect(b, hb, nil)
		live, framed, err := listbench.LivePaint(A.Ctx, 40, func(i int) (int64, time.Time, error) {
			t0 := time.Now()
			ack := wb.MustAck(b, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: fmt.Sprint("live ", i)})
			return ack.Message.Seq, t0, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		keys, err := listbench.KeysUnderLoad(A.Ctx, "#composer", 60, 20, func(i int) {
			wb.MustSend(b, shared.TypeMessageSend, shared.NewUUIDv7(), shared.MessageSend{ConversationID: conv, Body: fmt.Sprint("busy ", i)})
		})
		if err != nil {
			b.Fatal(err)
		}
		first, last := pages[:min(3, len(pages))], pages[max(0, len(pages)-3):]
		b.ReportMetric(listbench.Median(first), "older-first3-ms")
		b.ReportMetric(listbench.Median(last), "older-last3-ms")
		b.ReportMetric(listbench.Median(live), "live-p50-ms")
		b.ReportMetric(listbench.Pct(live, 0.9), "live-p90-ms")
		b.ReportMetric(listbench.Median(framed), "frame-paint-p50-ms")
		b.ReportMetric(listbench.Pct(framed, 0.9), "frame-paint-p90-ms")
		b.ReportMetric(listbench.Median(keys), "key-p50-ms")
		b.ReportMetric(listbench.Pct(keys, 0.9), "key-p90-ms")
		b.ReportMetric(slices.Max(keys), "key-max-ms")
		b.Logf("older pages (ms): %v", pages)
	}
}

// signInTB is signIn for benchmarks.
func signInTB(tb testing.TB, b *Browser, srv *webtest.Server, u shared.User) {
	tb.Helper()
	b.Run(tb, "sign in as "+u.Nickname,
		chromedp.Navigate(srv.URL+shared.RouteSignIn),
		TypeInto("#signin-login", u.Nickname),
		TypeInto("#signin-password", "correct horse battery"),
		Click("#signin-submit"),
		Visible("#new-conversation"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
	)
}

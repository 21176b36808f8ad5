package web

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"natter/shared"
)

// The conversation skeleton is the conversation page as the server can
// draw it for a member: the header, the newest messages and the composer,
// with wasm/ui's elements and classes (ConversationPage.Render,
// MessageList.msg, Composer.Render), so that the largest paint of the page
// is in the HTML rather than waiting for Go to start, connect and render.
//
// Bodies are plain text, HTML-escaped: no markup is parsed, so whatever a
// message holds can only ever be text here. Times are UTC (the server does
// not know the browser's zone); the app draws them local when it takes over.
//
// The app does not take this skeleton over in place like the others: the
// page's loader (loader.js) keeps it above the starting app, transparent to
// the pointer, until the app's own list shows messages, and then removes it
// (data-hold names the path it belongs to). Until then the app renders
// "loading" and an empty list below it, which nobody sees.

// skeletonMessages is how many of the newest messages the skeleton draws:
// more than a tall screen holds, few enough to keep the page small.
const skeletonMessages = 40

// skeletonGroupGap mirrors wasm/ui's groupGap: messages of one sender
// closer than this in time form one group.
const skeletonGroupGap = 5 * time.Minute

// conversationSkeleton is the body's first element for a member's view of
// conv with its newest messages h (oldest first), at now.
func conversationSkeleton(conv shared.Conversation, h shared.History, meID int64, now time.Time) template.HTML {
	var b strings.Builder
	path := shared.ConversationPath(conv.ID)
	b.WriteString(`<div id="app" class="app" data-page="conv" data-skeleton="true" data-hold="` + template.HTMLEscapeString(path) + `">`)
	b.WriteString(`<a class="skip-link" href="#sk-main">Skip to content</a><div class="banners"></div>`)
	b.WriteString(`<div class="conn" data-state="connecting" title="Connecting…"><span class="conn-dot" aria-hidden="true"></span><span class="conn-label" role="status">Connecting…</span></div>`)
	b.WriteString(`<div class="layout">` + sidebarSkeleton + `<main id="sk-main" class="pane">`)
	title := skeletonTitle(conv, meID)
	b.WriteString(`<section class="conv" aria-labelledby="sk-conv-title"><header class="conv-head">`)
	b.WriteString(`<a class="icon-btn back" href="/" aria-label="Back to conversations">` + skIcon("back") + `</a>`)
	b.WriteString(skAvatar(title, skeletonAvatarKey(conv, meID), "avatar-md"))
	b.WriteString(`<div class="conv-head-main"><h1 id="sk-conv-title" class="conv-name">` + template.HTMLEscapeString(title) + `</h1>`)
	b.WriteString(`<p class="conv-sub"><span>` + skPlural(len(conv.Members), "member", "members") + `</span></p></div>`)
	b.WriteString(`<button type="button" class="icon-btn btn-conv-search" aria-label="Search this conversation" aria-disabled="true">` + skIcon("search") + `</button>`)
	b.WriteString(`<div class="mute-menu"><button type="button" class="btn btn-ghost btn-mute" aria-disabled="true">` + skIcon("bell") + `<span class="btn-label">Mute</span></button></div>`)
	b.WriteString(`<button type="button" class="btn btn-ghost btn-manage" aria-disabled="true">` + skIcon("sliders") + `<span class="btn-label">Manage</span></button>`)
	b.WriteString(`</header><div class="conv-body"><div class="conv-main"><div class="msgs-wrap">`)
	b.WriteString(`<div class="msgs is-windowed sk-msgs" role="log" aria-label="Messages"><ol class="msgs-list">`)
	if !h.More {
		b.WriteString(`<li class="history is-start">This is the beginning of the conversation.</li>`)
	}
	writeSkeletonRows(&b, conv.ID, h.Messages, conv.Members, meID, now)
	b.WriteString(`</ol></div><div class="typing"></div></div>`)
	if conv.ClosedAt != nil {
		b.WriteString(`<div class="closed-notice" role="status">` + skIcon("lock") + `<span>This conversation is closed.</span></div>`)
	} else {
		b.WriteString(`<div class="composer"><label for="sk-composer" class="visually-hidden">Message</label><div class="composer-box">`)
		b.WriteString(`<textarea id="sk-composer" class="composer-input" rows="1" readonly placeholder="Message ` + template.HTMLEscapeString(title) + `"></textarea>`)
		b.WriteString(`<button type="button" class="send-btn" aria-label="Send" aria-disabled="true">` + skIcon("send") + `</button></div>`)
		b.WriteString(`<div class="composer-foot"><p class="field-error"></p><span class="counter"></span></div></div>`)
	}
	b.WriteString(`</div></div></section></main></div></div>`)
	return template.HTML(b.String())
}

// sidebarSkeleton is the sidebar without its list, as in skeleton().
const sidebarSkeleton = `<aside class="sidebar" aria-label="Conversations"><header class="side-head">` +
	`<a class="brand" href="/"><img src="/web/icon.svg" aria-hidden="true" class="brand-logo" width="28" height="28" alt=""><span>Natter</span></a>` +
	`<span class="profile-link"><span class="avatar avatar-sm" style="background:var(--surface-2)" aria-hidden="true"></span></span></header>` +
	`<div class="side-actions"><a class="btn btn-primary btn-block" href="/new">` + plusIcon + `<span>New conversation</span></a></div>` +
	`<nav class="conv-nav" aria-label="Your conversations"><ul class="conv-list"></ul></nav></aside>`

// writeSkeletonRows draws the messages as wasm/ui's buildRows and msg do:
// a day separator where the day changes, groups of one sender's
// consecutive messages (first and last marked), and "Seen by" under the
// last message each other member has seen among those they did not write.
// Reading ghosts, reactions, quotes and edits are left to the app.
func writeSkeletonRows(b *strings.Builder, convID string, msgs []shared.Message, members []shared.Member, meID int64, now time.Time) {
	names := map[int64]string{}
	type seenGroup struct {
		names []string
		at    time.Time
	}
	seen := map[int64]*seenGroup{}
	for _, m := range members {
		names[m.UserID] = m.Nickname
		if m.UserID == meID || m.SeenSeq <= 0 {
			continue
		}
		var a int64 // the newest message at or below SeenSeq that m did not write
		for _, x := range msgs {
			if x.Seq <= m.SeenSeq && x.Seq > a && x.SenderID != m.UserID {
				a = x.Seq
			}
		}
		if a == 0 {
			continue
		}
		g := seen[a]
		if g == nil {
			g = &seenGroup{}
			seen[a] = g
		}
		g.names = append(g.names, m.Nickname)
		if m.SeenAt != nil && m.SeenAt.After(g.at) {
			g.at = *m.SeenAt
		}
	}
	latestOwn := -1
	for i, m := range msgs {
		if m.SenderID == meID && meID != 0 && m.Kind != shared.KindSystem {
			latestOwn = i
		}
	}
	type row struct {
		m                shared.Message
		own, first, last bool
		day              string
	}
	rows := make([]row, 0, len(msgs))
	var day time.Time
	for i, m := range msgs {
		r := row{m: m, own: m.SenderID == meID && meID != 0, first: true}
		t := m.CreatedAt.UTC()
		if i == 0 || t.YearDay() != day.YearDay() || t.Year() != day.Year() {
			r.day, day = skDayLabel(t, now.UTC()), t
		}
		if i > 0 {
			p := rows[i-1]
			r.first = r.day != "" || seen[p.m.Seq] != nil || m.Kind == shared.KindSystem || p.m.Kind == shared.KindSystem ||
				r.own != p.own || !r.own && p.m.SenderID != m.SenderID || m.CreatedAt.Sub(p.m.CreatedAt) >= skeletonGroupGap
			if r.first {
				rows[i-1].last = true
			}
		}
		rows = append(rows, r)
	}
	if len(rows) > 0 {
		rows[len(rows)-1].last = true
	}
	for i, r := range rows {
		if r.day != "" {
			b.WriteString(`<li class="day-sep"><span>` + r.day + `</span></li>`)
		}
		writeSkeletonMessage(b, convID, r.m, names, r.own, r.first, r.last, i == latestOwn)
		if g := seen[r.m.Seq]; g != nil {
			sort.Strings(g.names)
			b.WriteString(`<li class="seen-by"><span class="seen-text">Seen by ` + template.HTMLEscapeString(skJoinNames(g.names)) + `</span>`)
			if !g.at.IsZero() {
				at := g.at.UTC()
				when := at.Format("15:04")
				if at.YearDay() != now.UTC().YearDay() || at.Year() != now.UTC().Year() {
					when = at.Format("Jan 2") + " " + when
				}
				b.WriteString(`<time class="seen-time" datetime="` + at.Format(time.RFC3339) + `"> · ` + when + `</time>`)
			}
			b.WriteString(`</li>`)
		}
	}
}

// writeSkeletonMessage draws one message row as wasm/ui's msg does.
func writeSkeletonMessage(b *strings.Builder, convID string, m shared.Message, names map[int64]string, own, first, last, latestOwn bool) {
	cls := []string{"msg"}
	if own {
		cls = append(cls, "own")
	} else {
		cls = append(cls, "other")
	}
	if first {
		cls = append(cls, "is-first")
	}
	if last {
		cls = append(cls, "is-last")
	}
	if m.Kind == shared.KindSystem {
		cls = append(cls, "system")
	}
	if latestOwn {
		cls = append(cls, "is-latest-own")
	}
	cls = append(cls, "state-sent")
	t := m.CreatedAt.UTC()
	timeHTML := `<time class="msg-time" datetime="` + t.Format(time.RFC3339) + `">` + t.Format("15:04") + `</time>`
	fmt.Fprintf(b, `<li class="%s" data-seq="%d">`, strings.Join(cls, " "), m.Seq)
	if m.Kind == shared.KindSystem {
		b.WriteString(`<div class="system-text">` + template.HTMLEscapeString(m.Body) + `</div>` + timeHTML + `</li>`)
		return
	}
	sender := m.Sender
	if n := names[m.SenderID]; n != "" {
		sender = n
	}
	if first && !own {
		b.WriteString(`<div class="msg-head">` + skAvatar(sender, sender, "avatar-sm") +
			`<span class="msg-sender">` + template.HTMLEscapeString(sender) + `</span></div>`)
	}
	body := template.HTMLEscapeString(m.Body)
	if m.DeletedAt != nil {
		body = `<em class="muted msg-deleted">Message deleted</em>`
	}
	b.WriteString(`<div class="bubble"><div class="msg-body">` + body + `</div><div class="msg-meta">`)
	b.WriteString(`<a class="msg-permalink" href="` + template.HTMLEscapeString(shared.MessagePath(convID, m.Seq)) + `" title="Link to this message">` + timeHTML + `</a>`)
	if own {
		b.WriteString(`<span class="msg-state" title="Sent">` + skIcon("check") + `<span class="msg-state-label">Sent</span></span>`)
	}
	// The app's "seen by" and menu buttons, as inert look-alikes.
	b.WriteString(`<span class="seen-info" aria-hidden="true">` + skIcon("eye") + `</span>`)
	if m.DeletedAt == nil {
		b.WriteString(`<span class="msg-menu-btn" aria-hidden="true">` + skIcon("more") + `</span>`)
	}
	b.WriteString(`</div></div></li>`)
}

// skJoinNames mirrors wasm/ui's joinNames: "a", "a and b", "a, b and c".
func skJoinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// skeletonTitle mirrors wasm/ui's Title: a given title, or the other
// members' nicknames.
func skeletonTitle(c shared.Conversation, meID int64) string {
	if c.Named || meID == 0 {
		return c.Title
	}
	var names []string
	for _, m := range c.Members {
		if m.UserID != meID {
			names = append(names, m.Nickname)
		}
	}
	if len(names) == 0 {
		return c.Title
	}
	return strings.Join(names, ", ")
}

// skeletonAvatarKey mirrors wasm/ui's convAvatarKey: a direct
// conversation takes the other person's color.
func skeletonAvatarKey(c shared.Conversation, meID int64) string {
	if !c.Named && len(c.Members) == 2 {
		for _, m := range c.Members {
			if m.UserID != meID {
				return m.Nickname
			}
		}
	}
	return c.ID
}

// skAvatar draws wasm/ui's avatar: initials on a palette picked by key.
func skAvatar(name, key, class string) string {
	return fmt.Sprintf(`<span class="avatar %s" data-c="%d" aria-hidden="true">%s</span>`, class, shared.AvatarColor(key), template.HTMLEscapeString(shared.Initials(name)))
}

func skPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// skDayLabel mirrors wasm/ui's dayLabel, in UTC.
func skDayLabel(t, now time.Time) string {
	day := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC) }
	switch d := int(day(now).Sub(day(t)).Hours()/24 + 0.5); {
	case d == 0:
		return "Today"
	case d == 1:
		return "Yesterday"
	case d > 1 && d < 7:
		return t.Format("Monday")
	case t.Year() == now.Year():
		return t.Format("Monday, January 2")
	default:
		return t.Format("January 2, 2006")
	}
}

// skIcons are wasm/ui's icon paths (icons.go) for the icons the skeleton
// draws: constants, never user input.
var skIcons = map[string]string{
	"back":    `<path d="M15 5l-7 7 7 7"/>`,
	"search":  `<circle cx="11" cy="11" r="6.5"/><path d="M16 16l4.5 4.5"/>`,
	"bell":    `<path d="M6 16V11a6 6 0 0112 0v5l1.5 2h-15L6 16z"/><path d="M10 20.5a2 2 0 004 0"/>`,
	"sliders": `<path d="M4 7h10M18 7h2M4 17h4M12 17h8"/><circle cx="16" cy="7" r="2"/><circle cx="10" cy="17" r="2"/>`,
	"send":    `<path d="M4 12l16-8-6 16-2.5-6.5L4 12z"/><path d="M11.5 13.5L20 4"/>`,
	"check":   `<path d="M5 12.5l4.5 4.5L19 7.5"/>`,
	"eye":     `<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z"/><circle cx="12" cy="12" r="3"/>`,
	"more":    `<circle cx="5.5" cy="12" r="1.3"/><circle cx="12" cy="12" r="1.3"/><circle cx="18.5" cy="12" r="1.3"/>`,
	"lock":    `<rect x="5" y="11" width="14" height="9.5" rx="2"/><path d="M8 11V8a4 4 0 018 0v3"/>`,
}

func skIcon(name string) string {
	return `<svg class="icon icon-` + name + `" viewBox="0 0 24 24" width="20" height="20" fill="none" ` +
		`stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" ` +
		`aria-hidden="true" focusable="false">` + skIcons[name] + `</svg>`
}

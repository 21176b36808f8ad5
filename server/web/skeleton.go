package web

import (
	"html/template"
	"strings"

	"natter/shared"
)

// The skeletons are the first screen as the server can draw it: the same
// elements, classes and text as the wasm app's first render (wasm/ui:
// Shell.Render, SignIn, SignUp, the sidebar), so the page paints at once
// from the inlined CSS and the app then replaces the skeleton without
// anything moving. A change to that markup in wasm/ui should be mirrored
// here; TestSkeletonIsReplacedInPlace (server/e2e) compares where the
// elements are before and after the app starts.
//
// Inputs are readonly: whatever were typed into the skeleton would be lost
// when the app replaces it, so nothing can be; and the "form" is a div with
// a plain button, so Enter or a click submits nothing. The skeleton carries none of
// the app's element ids (its own start with "sk-", for labels and the skip
// link): code and tests that look for #signin-login or #conv-list find the
// live app, never the placeholder.

// skeletonKind maps a page path to the kind the app sets as data-page.
func skeletonKind(path string) string {
	switch path {
	case shared.RouteSignIn:
		return "signin"
	case shared.RouteSignUp:
		return "signup"
	case shared.RouteProfile:
		return "profile"
	case shared.RouteNew:
		return "new"
	case shared.RouteHome:
		return "home"
	}
	return "conv"
}

// skeletonKinds are the kinds a page can have, one rendered page each.
var skeletonKinds = []string{"signin", "signup", "home", "conv", "profile", "new"}

const plusIcon = `<svg class="icon icon-plus" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M12 5v14M5 12h14"></path></svg>`

// skeleton returns the body's first element for a kind of page.
func skeleton(kind string) template.HTML {
	var b strings.Builder
	b.WriteString(`<div id="app" class="app" data-page="` + kind + `" data-skeleton="true"><a class="skip-link" href="#sk-main">Skip to content</a><div class="banners"></div>`)
	b.WriteString(`<div class="conn" data-state="connecting" title="Connecting…"><span class="conn-dot" aria-hidden="true"></span><span class="conn-label" role="status">Connecting…</span></div>`)
	switch kind {
	case "signin":
		b.WriteString(authSkeleton("Welcome back", "Sign in to pick up your conversations where you left them.",
			`<div class="form"><div class="form-alert"></div>`+
				field("sk-signin-login", "Email or nickname", "text", "username", "")+
				field("sk-signin-password", "Password", "password", "current-password", "")+
				`<button type="button" class="btn btn-primary btn-block" aria-disabled="true"><span>Sign in</span></button></div>`+
				`<p class="auth-switch">New to Natter? <a href="/signup">Create an account</a></p>`))
	case "signup":
		b.WriteString(authSkeleton("Create your account", "Chat with anyone, even when the network doesn't cooperate.",
			`<div class="form"><div class="form-alert"></div>`+
				field("sk-signup-email", "Email", "email", "email", "")+
				field("sk-signup-nickname", "Nickname", "text", "username", "What people see and search for: 2–32 letters, digits, '.', '_' or '-'.")+
				field("sk-signup-password", "Password", "password", "new-password", "At least 10 characters.")+
				`<button type="button" class="btn btn-primary btn-block" aria-disabled="true"><span>Create account</span></button></div>`+
				`<p class="auth-switch">Already have an account? <a href="/signin">Sign in</a></p>`))
	default:
		pane := "" // the pane's own page draws it
		if kind == "home" {
			pane = `<div class="empty-pane"></div>` // its background; the text depends on the list
		}
		b.WriteString(`<div class="layout"><aside class="sidebar" aria-label="Conversations"><header class="side-head">` +
			`<a class="brand" href="/"><img src="/web/icon.svg" aria-hidden="true" class="brand-logo" width="28" height="28" alt=""><span>Natter</span></a>` +
			`<span class="profile-link"><span class="avatar avatar-sm" style="background:var(--surface-2)" aria-hidden="true"></span></span></header>` +
			`<div class="side-actions"><a class="btn btn-primary btn-block" href="/new">` + plusIcon + `<span>New conversation</span></a></div>` +
			`<nav class="conv-nav" aria-label="Your conversations"><ul class="conv-list"></ul></nav></aside>` +
			`<main id="sk-main" class="pane">` + pane + `</main></div>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

func authSkeleton(title, sub, body string) string {
	return `<main id="sk-main" class="auth"><div class="auth-card"><div class="auth-brand"><img src="/web/icon.svg" aria-hidden="true" class="auth-logo" width="28" height="28" alt=""><span>Natter</span></div>` +
		`<h1 class="auth-title">` + title + `</h1><p class="auth-sub">` + template.HTMLEscapeString(sub) + `</p><div>` + body + `</div></div></main>`
}

// field is wasm/ui's field without a value or an error; hint is shown
// below the input when not empty. Its text is the package's own constant
// text, never user input.
func field(id, label, typ, autocomplete, hint string) string {
	describedBy, hintHTML := id+"-error", ""
	if hint != "" {
		describedBy = id + "-hint " + describedBy
		hintHTML = `<p id="` + id + `-hint" class="field-hint">` + template.HTMLEscapeString(hint) + `</p>`
	}
	return `<div class="field"><label for="` + id + `" class="field-label">` + label + `</label>` +
		`<input id="` + id + `" name="` + id + `" type="` + typ + `" class="input" autocomplete="` + autocomplete +
		`" spellcheck="false" autocapitalize="off" readonly aria-describedby="` + describedBy + `">` +
		hintHTML + `<p id="` + id + `-error" class="field-error"></p></div>`
}

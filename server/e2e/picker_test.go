package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
)

// TestPickerAsAPersonUsesIt picks people the way a first-time user does:
// type a name, click the result, type the next name into the same box
// (never cleared by script), click again. The box must be empty and
// focused after each pick, and be the same element (a replaced box drops
// the click that lands on it). Arrow keys and Enter pick, Backspace in the
// empty box takes back the last chip. The form's draft survives a reload
// while it is open, but not leaving the form; Clear empties it.
func TestPickerAsAPersonUsesIt(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	cat, _ := srv.MustSignUp(t, "cat")
	dan, _ := srv.MustSignUp(t, "dan")
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)

	result := func(id int64) string { return fmt.Sprintf(`.user-result[data-id="%d"]`, id) }
	boxEmptyAndFocused := chromedp.Steps(
		WaitJS(`document.querySelector("#member-search").value === ""`),
		WaitJS(`document.querySelector("#member-search") === window.__box`),
		WaitJS(`document.activeElement === window.__box`),
	)
	A.Run(t, "open the form",
		Click("#new-conversation"),
		Visible("#member-search"),
		WaitJS(`(window.__box = document.querySelector("#member-search"), true)`),
	)
	A.Run(t, "pick bob by typing and clicking",
		Click("#member-search"),
		chromedp.SendKeys(chromedp.CSS("#member-search"), "bo"),
		Click(result(bob.ID)),
		WaitText("#chosen-members", bob.Nickname),
		boxEmptyAndFocused,
	)
	A.Run(t, "pick cat the same way, typing into the same box",
		chromedp.SendKeys(chromedp.CSS("#member-search"), "ca"),
		Click(result(cat.ID)),
		WaitText("#chosen-members", cat.Nickname),
		boxEmptyAndFocused,
	)
	A.Run(t, "click elsewhere and back into the box: it keeps the focus",
		Click("#conversation-title"),
		Click("#member-search"),
		WaitJS(`document.activeElement === document.querySelector("#member-search")`),
	)
	A.Run(t, "arrow down and Enter pick dan",
		chromedp.SendKeys(chromedp.CSS("#member-search"), "da"),
		Visible(result(dan.ID)),
		chromedp.KeyEvent(kb.ArrowDown),
		WaitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains("is-active")`, result(dan.ID))),
		chromedp.KeyEvent(kb.Enter),
		WaitText("#chosen-members", dan.Nickname),
		boxEmptyAndFocused,
	)
	A.Run(t, "Backspace in the empty box takes dan back",
		chromedp.KeyEvent(kb.Backspace),
		WaitJS(`document.querySelectorAll("#chosen-members .chip").length === 2`),
		WaitJS(fmt.Sprintf(`!document.querySelector("#chosen-members").innerText.includes(%q)`, dan.Nickname)),
	)
	A.Shots(t, "picker-two-chosen")

	A.Run(t, "a reload with the form open keeps the choice",
		chromedp.Reload(),
		Visible("#member-search"),
		WaitJS(`document.querySelectorAll("#chosen-members .chip").length === 2`),
	)
	A.Run(t, "leaving the form abandons it: the next visit starts empty",
		Click(".brand"),
		chromedp.WaitNotPresent(chromedp.CSS("#member-search")),
		Click("#new-conversation"),
		Visible("#member-search"),
		WaitJS(`document.querySelectorAll("#chosen-members .chip").length === 0`),
		chromedp.SendKeys(chromedp.CSS("#member-search"), "bo"),
		Visible(result(bob.ID)), // offered again, not hidden as chosen
	)
	A.Run(t, "Clear empties a started form",
		Click(result(bob.ID)),
		chromedp.SendKeys(chromedp.CSS("#conversation-title"), "Plans"),
		WaitText("#chosen-members", bob.Nickname),
		Click("#clear-new"),
		WaitJS(`document.querySelectorAll("#chosen-members .chip").length === 0 && document.querySelector("#conversation-title").value === ""`),
		chromedp.WaitNotPresent(chromedp.CSS("#clear-new")),
	)
	A.Run(t, "pick and create: the next form is empty",
		chromedp.SendKeys(chromedp.CSS("#member-search"), "bo"),
		Click(result(bob.ID)),
		Click("#create-conversation"),
		WaitJS(`location.pathname.startsWith("/c/")`),
		Click("#new-conversation"),
		Visible("#member-search"),
		WaitJS(`document.querySelectorAll("#chosen-members .chip").length === 0 && document.querySelector("#member-search").value === ""`),
	)
}

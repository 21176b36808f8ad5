package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// ConversationPage shows one conversation: its header, the messages, who is
// typing, the composer, and the manage panel. A new page is mounted for each
// conversation (CompoID), so no state leaks from one to the next.
type ConversationPage struct {
	app.Compo
	Env     *Env
	ID      string
	Me      shared.User
	Rev     int // bumped on every engine change, so the page refetches
	BodyMax int
	// Connected is whether the engine is connected (the list retries
	// what failed offline when it comes back).
	Connected bool
	// Target is the message a permalink opens the conversation at, or 0.
	Target int64
	// Syncing is whether the engine is still receiving what the server
	// holds (dialing, or connected and not caught up): a conversation not
	// known yet is then most likely on its way, since the replay sends the
	// most recently active ones first and a quiet one can come after
	// thousands of others' messages.
	Syncing bool

	conv       client.ConvView
	found      bool
	manageOpen bool
	searchOpen bool // the search over this conversation (convsearch.go)
}

// CompoID makes go-app mount a fresh page when the conversation changes.
func (c *ConversationPage) CompoID() string { return c.ID }

// OnMount loads the conversation from the engine and tells main which
// conversation is on screen, so it does not notify about it.
func (c *ConversationPage) OnMount(ctx app.Context) {
	c.Env.setOnScreen(c.ID)
	c.refresh(ctx)
}

// OnUpdate refetches after an engine change.
func (c *ConversationPage) OnUpdate(ctx app.Context) { c.refresh(ctx) }

// OnDismount says no conversation is on screen any more.
func (c *ConversationPage) OnDismount() {
	if c.Env.OnScreen() == c.ID {
		c.Env.setOnScreen("")
	}
	c.Env.Engine.SetViewing(c.ID, 0, 0) // seq 0: stopped viewing
}

func (c *ConversationPage) refresh(ctx app.Context) {
	if to := c.Env.Engine.Redirect(c.ID); to != "" && to != c.ID {
		// A conversation created offline turned out to exist already: the
		// engine moved everything there, and so does the page.
		ctx.Navigate(shared.ConversationPath(to))
		return
	}
	c.conv, c.found = c.Env.Engine.Conversation(c.ID)
}

func (c *ConversationPage) toggleManage(ctx app.Context, e app.Event) {
	c.manageOpen = !c.manageOpen
	if c.manageOpen {
		focusID(ctx, "manage-heading")
	} else {
		focusID(ctx, "manage")
	}
}

func (c *ConversationPage) closeManage(ctx app.Context) {
	c.manageOpen = false
	focusID(ctx, "manage")
}

// Render draws the page.
func (c *ConversationPage) Render() app.UI {
	if !c.found && c.Syncing {
		// A quiet placeholder, not "isn't here": that would be wrong
		// while the conversation is still on its way, and its paragraph
		// would paint over (and outgrow) the page the server drew, which
		// stays on screen until the messages are in.
		return app.Section().Class("page conv-missing").Body(
			pageHead("conv-header-title", "Conversation", shared.RouteHome),
			app.Div().Class("empty-pane").Role("status").Body(
				app.Span().Class("spinner"), app.Span().Class("muted").Text("Syncing…"),
			),
		)
	}
	if !c.found {
		return app.Section().Class("page conv-missing").Body(
			pageHead("conv-header-title", "Conversation", shared.RouteHome),
			app.Div().Class("empty-pane").Body(
				app.H2().Class("empty-title").Text("This conversation isn't here"),
				app.P().Class("muted").Text("It may have been closed to you, or it has not reached this device yet. It will appear here as soon as Natter syncs."),
				app.A().Class("btn", "btn-secondary").Href(shared.RouteHome).Text("Back to conversations"),
			),
		)
	}
	conv := c.conv
	title := Title(conv.Conversation, c.Me.ID)
	closed := conv.ClosedAt != nil
	return app.Section().Class("conv", when(c.manageOpen, "manage-open")).Aria("labelledby", "conv-header-title").Body(
		c.header(),
		app.If(c.searchOpen, func() app.UI {
			return &SearchPanel{Env: c.Env, Scope: c.ID, Convs: []client.ConvView{conv}, MeID: c.Me.ID, OnClose: c.closeSearch}
		}),
		app.Div().Class("conv-body").Body(
			app.Div().Class("conv-main").Body(
				leftOutNotice(conv.LeftOut),
				&MessageList{Env: c.Env, ConvID: c.ID, MeID: c.Me.ID, Rev: conv.Rev, Target: c.Target,
					Connected: c.Connected, LastSeq: conv.LastSeq,
					Members: conv.Members, Viewers: conv.Viewers, HasOlder: conv.HasOlder, Typing: conv.Typing},
				app.If(closed, func() app.UI {
					return app.Div().ID("closed-notice").Class("closed-notice").Role("status").Body(
						icon("lock"), app.Span().Text("This conversation is closed."))
				}).Else(func() app.UI {
					return &Composer{Env: c.Env, ConvID: c.ID, BodyMax: c.BodyMax, Title: title}
				}),
			),
			app.If(c.manageOpen, func() app.UI {
				return &ManagePanel{Env: c.Env, Conv: conv.Conversation, MeID: c.Me.ID, Page: c}
			}),
		),
	)
}

// header shows the title, the member count, the state badges, who else is
// here, and the Manage button.
func (c *ConversationPage) header() app.UI {
	conv := c.conv
	title := Title(conv.Conversation, c.Me.ID)
	var faces []app.UI
	var names []string
	for _, v := range conv.Viewers {
		if v.UserID == c.Me.ID {
			continue
		}
		faces = append(faces, avatar(v.Nickname, v.Nickname, "avatar-xs"))
		names = append(names, v.Nickname)
	}
	return app.Header().Class("conv-head").Body(
		app.A().Class("icon-btn", "back").Href(shared.RouteHome).Aria("label", "Back to conversations").Body(icon("back")),
		avatar(title, convAvatarKey(c.conv, c.Me.ID), "avatar-md"),
		app.Div().Class("conv-head-main").Body(
			app.H1().ID("conv-header-title").Class("conv-name").Text(title),
			app.P().Class("conv-sub").Body(
				app.Span().ID("member-count").Text(plural(len(conv.Members), "member", "members")),
				app.If(conv.ClosedAt != nil, func() app.UI {
					return app.Span().ID("closed-badge").Class("badge", "badge-closed").Body(icon("lock"), app.Text("Closed"))
				}),
				app.If(conv.Pending, func() app.UI {
					return app.Span().ID("pending-badge").Class("badge", "badge-pending").Title("Created offline; it will be set up when Natter reconnects.").
						Body(icon("clock"), app.Text("Pending"))
				}),
				app.If(conv.Failed != "", func() app.UI {
					return app.Span().ID("failed-badge").Class("badge", "badge-failed").Text("Couldn't create: " + conv.Failed)
				}),
				// Words, not only faces or a colored dot: they fit a phone,
				// read in any color scheme, and screen readers say them.
				app.If(len(names) > 0, func() app.UI {
					return app.Span().ID("presence-text").Class("presence-text").Body(
						app.Span().Class("presence-dot").Aria("hidden", "true"),
						app.Text(hereLine(names)),
					)
				}),
			),
		),
		app.If(len(faces) > 0, func() app.UI {
			return app.Div().ID("presence").Class("presence").Title("%s", hereLine(names)).Aria("hidden", "true").Body(
				app.Span().Class("ghost-faces").Body(faces...),
			)
		}),
		app.Button().ID("conv-search").Type("button").Class("icon-btn", "btn-conv-search").
			Aria("label", "Search this conversation").Aria("expanded", boolAttr(c.searchOpen)).
			OnClick(c.toggleSearch).Body(icon("search")),
		&MuteMenu{Env: c.Env, ConvID: c.conv.ID, MutedUntil: conv.MutedUntil},
		app.Button().ID("manage").Type("button").Class("btn", "btn-ghost", "btn-manage").
			Aria("expanded", boolAttr(c.manageOpen)).Aria("controls", "manage-panel").
			OnClick(c.toggleManage).Body(icon("sliders"), app.Span().Class("btn-label").Text("Manage")),
	)
}

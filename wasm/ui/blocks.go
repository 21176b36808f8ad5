package ui

import (
	"context"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// blockCaches holds one client.Blocks per Env, so every component of a tab
// shows the same list. It lives here rather than in Env to keep this
// feature in its own files; Env could carry it as a field instead.
var blockCaches = struct {
	sync.Mutex
	m map[*Env]*client.Blocks
}{m: map[*Env]*client.Blocks{}}

// blocksOf returns the tab's block list, switched to meID's.
func blocksOf(env *Env, meID int64) *client.Blocks {
	blockCaches.Lock()
	b := blockCaches.m[env]
	if b == nil {
		b = &client.Blocks{API: env.API}
		blockCaches.m[env] = b
	}
	blockCaches.Unlock()
	b.Use(meID)
	return b
}

// HasBlocked reports whether the signed-in user meID blocked userID,
// fetching the list on first use, so call it off the UI goroutine. A list
// that cannot be fetched (offline) blocks nobody: a mention shown is better
// than one lost.
func HasBlocked(ctx context.Context, env *Env, meID, userID int64) bool {
	b := blocksOf(env, meID)
	if err := b.Load(ctx, false); err != nil {
		return false
	}
	return b.Has(userID)
}

// blockEffect says what blocking does, wherever someone can block, so
// nobody blocks expecting shared conversations to vanish.
const blockEffect = "cannot start a one-to-one with you or add you to conversations. " +
	"Conversations you already share stay as they are."

// BlockedPeople is the profile's "Blocked people" card: whom the user
// blocked, each with Unblock.
type BlockedPeople struct {
	app.Compo
	Env *Env
	Me  shared.User

	list     []shared.Block
	loaded   bool
	loading  bool
	busy     int64 // the person being unblocked
	err      string
	done     string
	loadedAs int64
}

// OnMount loads the list.
func (c *BlockedPeople) OnMount(ctx app.Context) { c.load(ctx) }

// OnUpdate loads the list when the user becomes known after mount.
func (c *BlockedPeople) OnUpdate(ctx app.Context) { c.load(ctx) }

func (c *BlockedPeople) load(ctx app.Context) {
	if c.Me.ID == 0 || c.loadedAs == c.Me.ID || c.Env == nil {
		return
	}
	c.loadedAs, c.loading = c.Me.ID, true
	blocks := blocksOf(c.Env, c.Me.ID)
	c.list = blocks.List()
	ctx.Async(func() {
		err := blocks.Load(ctx, true)
		ctx.Dispatch(func(ctx app.Context) {
			c.loading = false
			if err != nil {
				c.err = "Couldn't load the people you blocked: " + errorText(err)
				return
			}
			c.list, c.loaded, c.err = blocks.List(), true, ""
		})
	})
}

func (c *BlockedPeople) unblock(u shared.Block) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if c.busy != 0 {
			return
		}
		c.busy, c.err, c.done = u.UserID, "", ""
		blocks := blocksOf(c.Env, c.Me.ID)
		ctx.Async(func() {
			err := blocks.Unblock(ctx, u.UserID)
			ctx.Dispatch(func(ctx app.Context) {
				c.busy = 0
				if err != nil {
					c.err = "Couldn't unblock " + u.Nickname + ": " + errorText(err)
					return
				}
				c.list, c.done = blocks.List(), u.Nickname+" is unblocked."
				focusID(ctx, "blocked-heading")
			})
		})
	}
}

// Render draws the card.
func (c *BlockedPeople) Render() app.UI {
	items := make([]app.UI, 0, len(c.list))
	for _, b := range c.list {
		items = append(items, app.Li().Class("member").DataSet("id", b.UserID).Body(
			app.Div().Class("member-who").Body(
				avatar(b.Nickname, b.Nickname, "avatar-sm"),
				app.Span().Class("member-name").Text(b.Nickname),
			),
			app.Div().Class("member-actions").Body(
				app.Button().Type("button").Class("btn", "btn-small", "btn-secondary", "unblock").DataSet("id", b.UserID).
					Aria("label", "Unblock "+b.Nickname).Aria("busy", boolAttr(c.busy == b.UserID)).
					OnClick(c.unblock(b), app.EventScope("unblock", b.UserID)).
					Text(when(c.busy != b.UserID, "Unblock")+when(c.busy == b.UserID, "Unblocking…")),
			),
		))
	}
	status := c.done
	if status == "" && c.loaded && len(c.list) == 0 {
		status = "You have not blocked anyone."
	}
	return app.Div().ID("blocked-people").Class("card").Body(
		app.H2().ID("blocked-heading").Class("card-title").TabIndex(-1).Text("Blocked people"),
		app.P().Class("muted").Text("People you block "+blockEffect+" Block someone from a conversation's member list."),
		formAlert("blocked-error", c.err),
		app.P().ID("blocked-status").Class("form-status").Role("status").Text(when(c.loading && !c.loaded, "Loading…")+status),
		app.Ul().ID("blocked-list").Class("member-list").Aria("labelledby", "blocked-heading").Body(items...),
	)
}

// BlockButton is the "Block" (or "Unblock") action next to a person in a
// conversation's member list. Blocking asks for confirmation in place
// first, as every other step of the member list does.
type BlockButton struct {
	app.Compo
	Env      *Env
	MeID     int64
	UserID   int64
	Nickname string

	confirm bool
	busy    bool
	err     string
	tick    int // bumped when the shared list changed, to re-render
}

// OnMount makes sure the shared list is loaded, so the button knows whether
// the person is blocked already.
func (c *BlockButton) OnMount(ctx app.Context) {
	blocks := blocksOf(c.Env, c.MeID)
	if blocks.Loaded() {
		return
	}
	ctx.Async(func() {
		err := blocks.Load(ctx, false)
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				c.tick++
			}
		})
	})
}

func (c *BlockButton) change(block bool) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if c.busy {
			return
		}
		c.busy, c.err = true, ""
		blocks := blocksOf(c.Env, c.MeID)
		ctx.Async(func() {
			var err error
			if block {
				err = blocks.Block(ctx, c.UserID)
			} else {
				err = blocks.Unblock(ctx, c.UserID)
			}
			ctx.Dispatch(func(ctx app.Context) {
				c.busy = false
				if err != nil {
					c.err = errorText(err)
					return
				}
				c.confirm = false
			})
		})
	}
}

// Render draws the button, or the confirmation that replaces it.
func (c *BlockButton) Render() app.UI {
	blocked := c.Env != nil && blocksOf(c.Env, c.MeID).Has(c.UserID)
	var body app.UI
	switch {
	case c.confirm && !blocked:
		body = app.Div().Class("confirm").Role("group").Aria("label", "Block "+c.Nickname).Body(
			app.P().Class("confirm-question").Text("Block "+c.Nickname+"? From then on they "+blockEffect),
			app.Div().Class("row-actions").Body(
				app.Button().ID("confirm-block").Type("button").Class("btn", "btn-small", "btn-danger").
					Aria("busy", boolAttr(c.busy)).OnClick(c.change(true)).
					Text(when(!c.busy, "Block")+when(c.busy, "Blocking…")),
				app.Button().Type("button").Class("btn", "btn-small", "btn-secondary").Text("Cancel").
					OnClick(func(ctx app.Context, e app.Event) { c.confirm, c.err = false, "" }),
			),
		)
	case blocked:
		body = app.Button().Type("button").Class("btn", "btn-small", "btn-ghost", "unblock-member").DataSet("id", c.UserID).
			Aria("label", "Unblock "+c.Nickname).Aria("busy", boolAttr(c.busy)).OnClick(c.change(false)).
			Text(when(!c.busy, "Unblock") + when(c.busy, "Unblocking…"))
	default:
		body = app.Button().Type("button").Class("btn", "btn-small", "btn-danger-ghost", "block-member").DataSet("id", c.UserID).
			Aria("label", "Block "+c.Nickname).
			OnClick(func(ctx app.Context, e app.Event) {
				c.confirm, c.err = true, ""
				focusID(ctx, "confirm-block")
			}).Text("Block")
	}
	return app.Div().Class("member-actions").Body(
		body,
		app.If(c.err != "", func() app.UI { return app.Span().Class("field-error").Role("alert").Text(c.err) }),
	)
}

// leftOutNotice tells the creator of a conversation who was not added to
// it (shared.Ack.LeftOut of its conversation.create), or renders nothing.
func leftOutNotice(leftOut []shared.LeftOut) app.UI {
	text := client.LeftOutNotice(leftOut)
	if text == "" {
		return nil
	}
	return app.Div().ID("left-out-notice").Class("banner", "banner-info").Role("status").Body(
		icon("alert"),
		app.Span().Class("banner-text").Text(text),
	)
}

// errorText is the human message of a failed HTTP call.
func errorText(err error) string {
	if msg := fromError(err)[""]; msg != "" {
		return msg
	}
	if msg := fromError(err)["user_id"]; msg != "" {
		return msg
	}
	return err.Error()
}

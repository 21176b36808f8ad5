package client

import (
	"context"
	"slices"
	"strings"
	"sync"

	"natter/shared"
)

// ListBlocks returns the people the signed-in user blocked, newest first.
func (a *API) ListBlocks(ctx context.Context) ([]shared.Block, error) {
	var l shared.BlockList
	err := a.do(ctx, methodGet, shared.APIBlocks, nil, &l)
	return l.Blocks, err
}

// Block blocks a person: they can no longer start a one-to-one with the
// user nor add them to conversations. Blocking twice is harmless.
func (a *API) Block(ctx context.Context, userID int64) (shared.Block, error) {
	var b shared.Block
	err := a.do(ctx, methodPost, shared.APIBlocks, shared.BlockRequest{UserID: userID}, &b)
	return b, err
}

// Unblock removes the block of a person; unblocking someone not blocked is
// harmless.
func (a *API) Unblock(ctx context.Context, userID int64) error {
	return a.do(ctx, methodDelete, shared.BlockPath(userID), nil, nil)
}

// Blocks is the signed-in user's block list as the UI shows it: the
// profile lists it, the member list marks blocked people, and every place
// sees what another just changed without asking the server again. Blocks
// live on the server only (they need it to matter), so this is a cache,
// loaded on first use and kept up to date by Block and Unblock. All methods
// are safe for concurrent use; Load, Block and Unblock do HTTP, so the UI
// calls them inside ctx.Async.
type Blocks struct {
	API *API

	mu      sync.Mutex
	owner   int64 // the user the list belongs to
	loaded  bool
	list    []shared.Block // newest first
	version uint64         // bumped by every change, so a slow Load cannot undo one
}

// Use makes the cache the list of userID, forgetting another user's list:
// after a sign-out and someone else's sign-in nothing of the first shows.
func (b *Blocks) Use(userID int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.owner != userID {
		b.owner, b.loaded, b.list = userID, false, nil
		b.version++
	}
}

// Loaded reports whether the list was fetched for the current user.
func (b *Blocks) Loaded() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.loaded
}

// Load fetches the list unless it is loaded already (or force is set).
func (b *Blocks) Load(ctx context.Context, force bool) error {
	b.mu.Lock()
	if b.loaded && !force {
		b.mu.Unlock()
		return nil
	}
	v := b.version
	b.mu.Unlock()
	list, err := b.API.ListBlocks(ctx)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.version == v {
		b.list, b.loaded = list, true
	}
	return nil
}

// List returns a copy of the list, newest first.
func (b *Blocks) List() []shared.Block {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.list)
}

// Has reports whether the user blocked userID, as far as the cache knows.
func (b *Blocks) Has(userID int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.index(userID) >= 0
}

func (b *Blocks) index(userID int64) int {
	return slices.IndexFunc(b.list, func(x shared.Block) bool { return x.UserID == userID })
}

// Block blocks a person on the server and then in the cache.
func (b *Blocks) Block(ctx context.Context, userID int64) error {
	blk, err := b.API.Block(ctx, userID)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.version++
	if b.index(userID) < 0 {
		b.list = slices.Insert(b.list, 0, blk)
	}
	return nil
}

// Unblock unblocks a person on the server and then in the cache.
func (b *Blocks) Unblock(ctx context.Context, userID int64) error {
	if err := b.API.Unblock(ctx, userID); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.version++
	if i := b.index(userID); i >= 0 {
		b.list = slices.Delete(b.list, i, i+1)
	}
	return nil
}

// LeftOutNotice is the sentence a conversation shows to its creator when it
// was created without some of the people they chose, or "" when nobody was
// left out. It names them so the creator is not left waiting for answers
// that cannot come, and says it neutrally.
func LeftOutNotice(leftOut []shared.LeftOut) string {
	if len(leftOut) == 0 {
		return ""
	}
	names := make([]string, len(leftOut))
	blocked := true
	for i, lo := range leftOut {
		names[i] = lo.Nickname
		blocked = blocked && lo.Reason == shared.CodeBlocked
	}
	who := names[0]
	if n := len(names); n > 1 {
		who = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	verb := "was"
	if len(names) > 1 {
		verb = "were"
	}
	if !blocked {
		return who + " " + verb + " not added to this conversation."
	}
	return who + " " + verb + " not added: they are not accepting new conversations from you."
}

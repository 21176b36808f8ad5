package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"natter/server/password"
	"natter/server/store"
	"natter/shared"
)

// The demo's people, conversations and messages. Conversation and action
// ids are fixed, so running demo again replays the same actions and the
// store returns their first results instead of adding anything.
var (
	demoPeople = []string{"alice", "bob", "carol"}

	demoConversations = []struct {
		id, action, title string
		owner             int   // index into demoPeople
		others            []int // likewise
	}{
		{"019a0000-de00-7000-8000-000000000001", "019a0000-de00-7000-8000-0000000000c1", "Weekend hike", 0, []int{1, 2}},
		{"019a0000-de00-7000-8000-000000000002", "019a0000-de00-7000-8000-0000000000c2", "", 0, []int{1}}, // one-to-one
		{"019a0000-de00-7000-8000-000000000003", "019a0000-de00-7000-8000-0000000000c3", "Book club", 1, []int{2}},
	}

	demoMessages = []struct {
		conv, from int
		body       string
	}{
		{0, 0, "Who's up for the ridge trail on Saturday?"},
		{0, 1, "Me! What time?"},
		{0, 2, "Count me in, but not before 9 please."},
		{0, 0, "9:30 at the trailhead then. Bring water."},
		{1, 1, "Do you still have my umbrella?"},
		{1, 0, "Yes, I'll bring it on Saturday."},
		{2, 1, "Next month: The Left Hand of Darkness."},
		{2, 2, "Great pick. I'm halfway through already."},
	}
)

// demoAction is the fixed action id of demo message i.
func demoAction(i int) string { return fmt.Sprintf("019a0000-de00-7000-8000-0000000001%02x", i) }

// demoUser is a demo person in demo's output.
type demoUser struct {
	ID       int64  `json:"id"`
	Nickname string `json:"nickname"`
	Email    string `json:"email"`
	Password string `json:"password,omitempty"` // only when created now
	Created  bool   `json:"created"`
}

// demoResult is what demo prints with --json.
type demoResult struct {
	Users         []demoUser            `json:"users"`
	Conversations []shared.Conversation `json:"conversations"`
}

func (a *admin) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Add a few users, conversations and messages to try Natter with (safe to run again)",
		Long: `Add the users alice, bob and carol (emails @example.com) with a few
conversations and messages. New users' passwords are printed once; running
demo again adds nothing and leaves passwords alone.`,
		Args: cobra.NoArgs,
		RunE: a.runE(a.demo),
	}
}

func (a *admin) demo(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
	var res demoResult
	ids := make([]int64, len(demoPeople))
	for i, nick := range demoPeople {
		u, err := demoPerson(ctx, st, nick)
		if err != nil {
			return err
		}
		ids[i] = u.ID
		res.Users = append(res.Users, u)
	}
	convIDs := make([]string, len(demoConversations))
	for i, dc := range demoConversations {
		req := shared.ConversationCreate{ID: dc.id, Title: dc.title}
		for _, o := range dc.others {
			req.MemberIDs = append(req.MemberIDs, ids[o])
		}
		cv, err := st.CreateConversation(ctx, ids[dc.owner], dc.action, req)
		if err != nil {
			return fmt.Errorf("demo conversation %q: %w", dc.title, err)
		}
		convIDs[i] = cv.ID // a one-to-one the two had already keeps its own id
	}
	for i, m := range demoMessages {
		if _, err := st.SendMessage(ctx, ids[m.from], demoAction(i), convIDs[m.conv], m.body); err != nil {
			return fmt.Errorf("demo message %d: %w", i, err)
		}
	}
	for _, id := range convIDs {
		cv, err := st.ConversationByID(ctx, id)
		if err != nil {
			return err
		}
		cv.Preview = nil
		res.Conversations = append(res.Conversations, cv)
	}
	return a.print(c, res, func(w io.Writer) {
		table(w, "USER\tEMAIL\tPASSWORD", func(tw io.Writer) {
			for _, u := range res.Users {
				pw := u.Password
				if !u.Created {
					pw = "(existed already; `natter admin users reset-password " + u.Nickname + "` sets a new one)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Nickname, u.Email, pw)
			}
		})
		fmt.Fprintln(w)
		table(w, "CONVERSATION\tMEMBERS\tMESSAGES", func(tw io.Writer) {
			for _, cv := range res.Conversations {
				fmt.Fprintf(tw, "%s\t%d\t%d\n", cv.Title, len(cv.Members), cv.LastSeq)
			}
		})
	})
}

// demoPerson finds the demo user by email, or creates them with a fresh
// password.
func demoPerson(ctx context.Context, st *store.Store, nick string) (demoUser, error) {
	email := nick + "@example.com"
	u, err := st.UserByLogin(ctx, email)
	if err == nil {
		if u.Disabled() {
			return demoUser{}, fmt.Errorf("demo user %s is disabled; enable it with `natter admin users enable %s`", userLabel(u), nick)
		}
		return demoUser{ID: u.ID, Nickname: u.Nickname, Email: u.Email}, nil
	}
	if !errors.Is(err, store.ErrNoUser) {
		return demoUser{}, err
	}
	pw := rand.Text()
	hash, err := password.Hash(pw)
	if err != nil {
		return demoUser{}, err
	}
	if u, err = st.CreateUser(ctx, email, nick, hash); err != nil {
		return demoUser{}, fmt.Errorf("demo user %s: %w", nick, err)
	}
	return demoUser{ID: u.ID, Nickname: u.Nickname, Email: u.Email, Password: pw, Created: true}, nil
}

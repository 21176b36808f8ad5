package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"natter/server/store"
	"natter/shared"
)

func (a *admin) conversationsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "conversations", Aliases: []string{"convs"}, Short: "List, inspect, close conversations and change their owner"}
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List every conversation, most recent activity first", Args: cobra.NoArgs,
			RunE: a.runE(a.conversationsList),
		},
		&cobra.Command{
			Use: "show ID", Short: "Show a conversation and its members", Args: cobra.ExactArgs(1),
			RunE: a.runE(a.conversationsShow),
		},
		&cobra.Command{
			Use: "close ID", Short: "Close a conversation for good: it stays readable and takes no more messages", Args: cobra.ExactArgs(1),
			RunE: a.runE(a.conversationsClose),
		},
		&cobra.Command{
			Use: "transfer-owner ID USER", Short: "Make a member the owner of a conversation", Args: cobra.ExactArgs(2),
			RunE: a.runE(a.conversationsTransfer),
		},
	)
	return cmd
}

// ownerName is the owner's nickname, or "-".
func ownerName(c shared.Conversation) string {
	if id := c.Owner(); id != 0 {
		return c.Member(id).Nickname
	}
	return "-"
}

func (a *admin) conversationsList(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
	convs, err := st.AllConversations(ctx)
	if err != nil {
		return err
	}
	if convs == nil {
		convs = []shared.Conversation{}
	}
	for i := range convs {
		convs[i].Preview = nil // message text is not the operator's business here
	}
	return a.print(c, convs, func(w io.Writer) {
		table(w, "ID\tTITLE\tMEMBERS\tOWNER\tLAST SEQ\tLAST MESSAGE\tCLOSED", func(tw io.Writer) {
			for _, cv := range convs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", cv.ID, cv.Title, len(cv.Members), ownerName(cv), cv.LastSeq, whenPtr(cv.LastAt), whenPtr(cv.ClosedAt))
			}
		})
	})
}

func (a *admin) conversationsShow(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
	cv, err := findConversation(ctx, st, args[0])
	if err != nil {
		return err
	}
	cv.Preview = nil
	mutes := map[int64]*time.Time{}
	for _, m := range cv.Members {
		until, err := st.MutedUntil(ctx, m.UserID, cv.ID)
		if err != nil {
			return err
		}
		mutes[m.UserID] = until
	}
	return a.print(c, cv, func(w io.Writer) { writeConversation(w, cv, mutes) })
}

// writeConversation prints a conversation's details and members.
func writeConversation(w io.Writer, cv shared.Conversation, mutes map[int64]*time.Time) {
	kind := "group"
	if cv.Direct {
		kind = "one-to-one"
	}
	closed := "no"
	if cv.ClosedAt != nil {
		closed = when(*cv.ClosedAt)
	}
	table(w, "ID\t"+cv.ID, func(tw io.Writer) {
		fmt.Fprintf(tw, "Title\t%s\n", cv.Title)
		fmt.Fprintf(tw, "Kind\t%s\n", kind)
		by := fmt.Sprintf("user %d", cv.CreatedBy)
		if m := cv.Member(cv.CreatedBy); m != nil {
			by = m.Nickname
		}
		fmt.Fprintf(tw, "Created\t%s by %s\n", when(cv.CreatedAt), by)
		fmt.Fprintf(tw, "Owner\t%s\n", ownerName(cv))
		fmt.Fprintf(tw, "Last seq\t%d\n", cv.LastSeq)
		fmt.Fprintf(tw, "Closed\t%s\n", closed)
	})
	fmt.Fprintln(w)
	table(w, "USER ID\tNICKNAME\tOWNER\tSEEN SEQ\tMUTED", func(tw io.Writer) {
		for _, m := range cv.Members {
			owner, muted := "-", "-"
			if m.Owner {
				owner = "yes"
			}
			if until := mutes[m.UserID]; until != nil {
				muted = "until " + until.UTC().Format("2006-01-02 15:04")
				if !until.Before(shared.MuteForever) {
					muted = "yes"
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", m.UserID, m.Nickname, owner, m.SeenSeq, muted)
		}
	})
}

// ownerOfOpen returns the owner of an open conversation; the admin acts in
// the owner's name, through the same store code (and checks) as the owner.
func ownerOfOpen(cv shared.Conversation) (int64, error) {
	if cv.ClosedAt != nil {
		return 0, fmt.Errorf("conversation %s is closed already (since %s)", cv.ID, when(*cv.ClosedAt))
	}
	owner := cv.Owner()
	if owner == 0 {
		return 0, fmt.Errorf("conversation %s has no owner", cv.ID)
	}
	return owner, nil
}

func (a *admin) conversationsClose(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
	cv, err := findConversation(ctx, st, args[0])
	if err != nil {
		return err
	}
	owner, err := ownerOfOpen(cv)
	if err != nil {
		return err
	}
	if cv, err = st.CloseConversation(ctx, owner, shared.NewUUIDv7(), cv.ID); err != nil {
		return err
	}
	if err := publishConversation(ctx, st, cv); err != nil {
		return fmt.Errorf("conversation %s is closed, but its members were not told live: %w", cv.ID, err)
	}
	cv.Preview = nil
	return a.print(c, cv, func(w io.Writer) {
		fmt.Fprintf(w, "closed conversation %s (%s)\n", cv.ID, cv.Title)
	})
}

func (a *admin) conversationsTransfer(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
	cv, err := findConversation(ctx, st, args[0])
	if err != nil {
		return err
	}
	u, err := findUser(ctx, st, args[1])
	if err != nil {
		return err
	}
	owner, err := ownerOfOpen(cv)
	if err != nil {
		return err
	}
	switch {
	case cv.Member(u.ID) == nil:
		return fmt.Errorf("%s is not a member of conversation %s; ownership can only go to a member", userLabel(u), cv.ID)
	case owner == u.ID:
		return fmt.Errorf("%s owns conversation %s already", userLabel(u), cv.ID)
	}
	if cv, err = st.TransferOwner(ctx, owner, shared.NewUUIDv7(), cv.ID, u.ID); err != nil {
		return err
	}
	if err := publishConversation(ctx, st, cv); err != nil {
		return fmt.Errorf("%s owns conversation %s now, but its members were not told live: %w", userLabel(u), cv.ID, err)
	}
	cv.Preview = nil
	return a.print(c, cv, func(w io.Writer) {
		fmt.Fprintf(w, "%s owns conversation %s (%s) now\n", userLabel(u), cv.ID, cv.Title)
	})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"natter/server/hub"
	"natter/server/pgbroker"
	"natter/server/store"
	"natter/shared"
)

// announceResult is what announce prints with --json.
type announceResult struct {
	Posted  int `json:"posted"`         // conversations that got the message
	Skipped int `json:"skipped_closed"` // closed ones, left alone
}

func (a *admin) announceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "announce TEXT",
		Short: "Post a system message into every open conversation, live to whoever is connected",
		Long: `Post TEXT (the arguments joined by spaces) as a system message into every
conversation that is not closed. Connected users see it at once; the others
on their next visit.`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(a.announce),
	}
}

func (a *admin) announce(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
	body := shared.NormalizeBody(strings.Join(args, " "))
	bodyMax := st.BodyMax
	if bodyMax <= 0 {
		bodyMax = shared.DefaultBodyMax
	}
	if fe := shared.ValidateBody(body, bodyMax); fe != nil {
		return fmt.Errorf("announcement: %s", fe.Message)
	}
	convs, err := st.AllConversations(ctx)
	if err != nil {
		return err
	}
	var res announceResult
	var evs []hub.Event
	var postErr error
	for _, cv := range convs {
		if cv.ClosedAt != nil {
			res.Skipped++
			continue
		}
		msg, err := st.SystemMessage(ctx, cv.ID, body)
		var se *shared.Error
		if errors.As(err, &se) && se.Code == shared.CodeClosed { // closed meanwhile
			res.Skipped++
			continue
		}
		if err != nil {
			postErr = fmt.Errorf("post into conversation %s: %w", cv.ID, err)
			break // still tell the servers about the ones posted
		}
		res.Posted++
		if len(cv.Members) == 0 {
			continue
		}
		payload, err := envelope(shared.TypeMessageCreated, msg.Seq, msg)
		if err != nil {
			return err
		}
		ids := make([]int64, len(cv.Members))
		for i, m := range cv.Members {
			ids[i] = m.UserID
		}
		evs = append(evs, hub.Event{UserIDs: ids, Payload: payload})
	}
	if err := pgbroker.Notify(ctx, st.DB, pgbroker.Control{Kind: pgbroker.KindPublish, Events: evs}); err != nil {
		return fmt.Errorf("posted into %d conversations, but running servers were not told (users see it on their next visit): %w", res.Posted, err)
	}
	if postErr != nil {
		return fmt.Errorf("posted into %d conversations, then: %w", res.Posted, postErr)
	}
	return a.print(c, res, func(w io.Writer) {
		fmt.Fprintf(w, "announced in %d conversations (%d closed ones skipped)\n", res.Posted, res.Skipped)
	})
}

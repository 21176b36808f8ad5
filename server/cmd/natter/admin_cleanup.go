package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"natter/server/store"
)

// cleanupResult is what `natter admin cleanup` reports: the counts of
// store.CleanupReport and how long the run took.
type cleanupResult struct {
	store.CleanupReport
	TookMS int64 `json:"took_ms"`
}

func (a *admin) cleanupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cleanup",
		Short: "Delete expired sessions, old applied actions and old read history now",
		Long: `Run the housekeeping job once, now, with the retention periods of the
environment (NATTER_SESSION_RETENTION, NATTER_ACTION_RETENTION,
NATTER_SEEN_RETENTION), and print how many rows it deleted. Running servers
do the same every NATTER_CLEANUP_EVERY; if one of them is cleaning at this
moment, this run is skipped and says so. Messages are never deleted.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			r, err := st.Cleanup(ctx, cfg.Cleanup)
			if err != nil {
				return err
			}
			res := cleanupResult{CleanupReport: r, TookMS: r.Took.Milliseconds()}
			return a.print(c, res, func(w io.Writer) {
				if r.Skipped {
					fmt.Fprintln(w, "skipped: another server is cleaning up right now; nothing to do")
					return
				}
				table(w, "TABLE\tDELETED\tKEPT FOR", func(tw io.Writer) {
					fmt.Fprintf(tw, "sessions\t%d\t%s after expiry or revocation\n", r.Sessions, days(cfg.Cleanup.SessionGrace))
					fmt.Fprintf(tw, "applied_actions\t%d\t%s\n", r.AppliedActions, days(cfg.Cleanup.ActionRetention))
					fmt.Fprintf(tw, "seen_history\t%d\t%s (and each member's latest)\n", r.SeenHistory, days(cfg.Cleanup.SeenRetention))
				})
				fmt.Fprintf(w, "took %v\n", r.Took.Round(time.Millisecond))
			})
		}),
	}
}

// days says a retention period the way it is usually set: "30 days", or
// a Go duration when it is not a whole number of days.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day != 0 {
		return d.String()
	}
	if d == day {
		return "1 day"
	}
	return fmt.Sprintf("%d days", d/day)
}

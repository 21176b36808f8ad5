package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"natter/server/store"
)

// searchLanguageCmd shows or changes the text search configuration that
// messages are indexed with.
func (a *admin) searchLanguageCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "search-language [CONFIG]",
		Short: "Show or set the language message search uses ('simple', 'english', ...)",
		Long: `Without an argument, print the PostgreSQL text search configuration
messages are indexed with. With one, re-index every message with it:
'simple' (the default) works for every language; a language's own
configuration ('english', 'german', 'french'...) finds "run" in "running"
and ignores its stop words, for people who all write that language. The
change rewrites the messages table and holds sends until it is done,
about a minute per million messages: run it when the service is quiet.`,
		Args: cobra.MaximumNArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			if len(args) == 1 {
				if err := st.SetSearchLanguage(ctx, args[0]); err != nil {
					return err
				}
			}
			lang, err := st.SearchLanguage(ctx)
			if err != nil {
				return err
			}
			return a.print(c, map[string]string{"search_language": lang}, func(w io.Writer) {
				fmt.Fprintf(w, "Messages are indexed for search with %q.\n", lang)
			})
		}),
	}
}

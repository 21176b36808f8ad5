// Command natter is Natter's server and its operator's tool: `natter serve`
// runs the messenger, `natter migrate` manages the schema, `natter admin`
// administers users, conversations and sessions. main wires the packages by
// hand; nothing here holds logic worth testing on its own.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "natter",
		Short:         "Natter: an offline-first messenger",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), migrateCmd(), adminCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "natter:", err)
		os.Exit(1)
	}
}

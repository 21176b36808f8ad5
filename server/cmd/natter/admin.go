package main

import "github.com/spf13/cobra"

// adminCmd groups the operator's commands; each lives in its own file.
func adminCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Administer users, conversations and sessions"}
	return cmd
}

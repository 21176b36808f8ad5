package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"natter/server/push"
	"natter/server/store"
)

// pushCmd is `natter admin push`: the Web Push keys.
func (a *admin) pushCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "push", Short: "Manage Web Push (the VAPID keys)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate-keys",
		Short: "Replace the VAPID key pair; every device must subscribe again",
		Long: `Make a new VAPID key pair (the key that signs every push) and delete every
push subscription: a subscription is bound to the public key it was made with,
and push services refuse pushes signed with another. Each device subscribes
again by itself the next time Natter opens on it (its notification permission
stays granted); until then it gets no push. Running servers hand out the new
public key at once and sign with the new pair within 30 seconds, or sooner
when a push service refuses the old signature. Rotate when the private key
may have leaked.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			n, err := push.RotateKeys(ctx, st)
			if err != nil {
				return err
			}
			k, err := push.LoadKeys(ctx, st)
			if err != nil {
				return err
			}
			res := struct {
				PublicKey            string `json:"public_key"`
				SubscriptionsDeleted int64  `json:"subscriptions_deleted"`
			}{k.Public, n}
			return a.print(c, res, func(w io.Writer) {
				fmt.Fprintf(w, "new VAPID public key: %s\n", k.Public)
				fmt.Fprintf(w, "push subscriptions deleted: %d (devices subscribe again when Natter next opens on them)\n", n)
			})
		}),
	})
	return cmd
}

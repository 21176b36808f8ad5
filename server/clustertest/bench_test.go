package clustertest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// BenchmarkCrossNodeFanout has 24 senders, eight on each of three in-process
// nodes, send into one conversation whose other members are spread evenly
// over the nodes, and reports deliveries per second once every member has
// every message: the same work over each broker, for a paired comparison
// on one machine (`go test -run - -bench . ./server/clustertest`).
func BenchmarkCrossNodeFanout(b *testing.B) {
	const senders, receivers, window = 24, 24, 64
	for _, br := range brokers {
		b.Run(br.name, func(b *testing.B) {
			nodes := webtest.MustCluster(b, 3, br.make(b), func(c *web.Config) {
				l := &c.Chat.Limits
				l.ActionRate, l.ActionBurst, l.UserActionRate, l.UserActionBurst = 1e6, 1e6, 1e6, 1e6
			})
			var members []int64 // everyone but the first sender, who creates it
			var rs, ss []*webtest.WS
			for i := range receivers + senders {
				u, h := nodes[0].MustSignUp(b, "member")
				w := nodes[i%3].MustConnect(b, h, nil)
				if i < receivers {
					rs = append(rs, w)
				} else {
					ss = append(ss, w)
				}
				if i != receivers {
					members = append(members, u.ID)
				}
			}
			conv := *ss[0].MustAck(b, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "bench", MemberIDs: members}).Conversation
			for _, w := range rs {
				w.MustAwait(b, "the conversation", is(shared.TypeConversationUpdated))
			}
			per := (b.N + senders - 1) / senders
			total := per * senders

			b.ResetTimer()
			ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout*4)
			defer cancel()
			var wg sync.WaitGroup
			errs := make(chan error, receivers+2*senders)
			for _, w := range rs {
				wg.Go(func() {
					for got := 0; got < total; {
						env, err := w.Next(ctx)
						if err != nil {
							errs <- fmt.Errorf("receiver after %d of %d: %w", got, total, err)
							return
						}
						if env.Type == shared.TypeMessageCreated {
							got++
						}
					}
				})
			}
			for _, s := range ss {
				acked := make(chan struct{}, window)
				wg.Go(func() {
					for got := 0; got < per; {
						env, err := s.Next(ctx)
						if err != nil {
							errs <- fmt.Errorf("sender after %d acks: %w", got, err)
							return
						}
						if env.Type == shared.TypeAck {
							got++
							acked <- struct{}{}
						}
					}
				})
				wg.Go(func() {
					for i := range per {
						if i >= window {
							select {
							case <-acked:
							case <-ctx.Done():
								errs <- fmt.Errorf("acks stopped coming")
								return
							}
						}
						if err := s.Send(shared.TypeMessageSend, shared.NewUUIDv7(), shared.MessageSend{ConversationID: conv.ID, Body: "bench"}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(total*receivers)/b.Elapsed().Seconds(), "deliveries/s")
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

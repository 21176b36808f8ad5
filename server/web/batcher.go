package web

import (
	"context"
	"sync"
	"time"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// batcher is the group commit for messages: sends from every connection
// queue here and a few workers each take whatever has gathered and commit it
// in one transaction. Under light load a batch is one message and costs one
// round trip as before; under heavy load one commit carries hundreds.
// Fan-out happens after the commit, once per batch, in seq order.
type batcher struct {
	st      *store.Store
	max     int
	in      chan *sendJob
	metrics *metrics
	hub     *hub.Hub
	wg      sync.WaitGroup
}

type sendJob struct {
	req  store.SendRequest
	done chan sendDone
}

type sendDone struct {
	msg     shared.Message
	members []int64
	err     error
}

// batchWorkers is how many batches may be in flight at once: one committing
// while the next one gathers.
const batchWorkers = 4

func newBatcher(ctx context.Context, st *store.Store, h *hub.Hub, max int, m *metrics) *batcher {
	b := &batcher{st: st, hub: h, max: max, in: make(chan *sendJob, max*batchWorkers), metrics: m}
	for range batchWorkers {
		b.wg.Add(1)
		go b.loop(ctx)
	}
	return b
}

func (b *batcher) wait() { b.wg.Wait() }

// send queues one message and waits for its commit.
func (b *batcher) send(ctx context.Context, userID int64, actionID, convID, body string) (shared.Message, []int64, error) {
	job := &sendJob{req: store.SendRequest{UserID: userID, ActionID: actionID, ConversationID: convID, Body: body}, done: make(chan sendDone, 1)}
	select {
	case b.in <- job:
	case <-ctx.Done():
		return shared.Message{}, nil, ctx.Err()
	}
	select {
	case d := <-job.done:
		return d.msg, d.members, d.err
	case <-ctx.Done():
		// The commit may still happen; the client's replay of the same
		// action id will get its result.
		return shared.Message{}, nil, ctx.Err()
	}
}

func (b *batcher) loop(ctx context.Context) {
	defer b.wg.Done()
	jobs := make([]*sendJob, 0, b.max)
	reqs := make([]store.SendRequest, 0, b.max)
	for {
		jobs, reqs = jobs[:0], reqs[:0]
		select {
		case <-ctx.Done():
			return
		case j := <-b.in:
			jobs = append(jobs, j)
		}
	gather:
		for len(jobs) < b.max {
			select {
			case j := <-b.in:
				jobs = append(jobs, j)
			default:
				break gather
			}
		}
		for _, j := range jobs {
			reqs = append(reqs, j.req)
		}
		start := time.Now()
		results := b.st.SendMessages(context.WithoutCancel(ctx), reqs)
		b.metrics.observeCommit(time.Since(start), len(reqs))
		b.deliver(ctx, jobs, results)
	}
}

// deliver answers every job and fans the committed messages out in one
// publish, so the broker sees one batch per commit.
func (b *batcher) deliver(ctx context.Context, jobs []*sendJob, results []store.SendResult) {
	members := map[string][]int64{}
	var evs []hub.Event
	for i, j := range jobs {
		r := results[i]
		if r.Err != nil {
			j.done <- sendDone{err: r.Err}
			continue
		}
		ids, ok := members[r.Message.ConversationID]
		if !ok {
			var err error
			ids, err = b.st.MemberIDs(context.WithoutCancel(ctx), r.Message.ConversationID)
			if err != nil {
				ids = nil
			}
			members[r.Message.ConversationID] = ids
		}
		if ids != nil { // a replay is published again: a crash between commit and fan-out must not hide it, and clients merge by seq
			evs = append(evs, hub.Event{UserIDs: ids, Payload: mustEnvelope(shared.TypeMessageCreated, "", r.Message.Seq, &r.Message)})
		}
		j.done <- sendDone{msg: r.Message, members: ids}
	}
	if len(evs) > 0 {
		b.hub.PublishBatch(evs)
	}
}

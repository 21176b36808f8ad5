package web

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// batcher is the group commit for messages: sends from every connection
// queue here, and a committer takes whatever has gathered and commits it in
// one transaction. Under light load a batch is one message; under heavy load
// one commit carries hundreds, and the batch grows exactly while the previous
// commit is running.
//
// There are a few committers, and each conversation always goes to the same
// one (by a hash of its id): PostgreSQL can work on several batches at once,
// yet batches of one conversation never race for its row lock, and each
// committer's fan-out goroutine publishes its batches in commit order, so the
// events of one conversation reach the hub in seq order. Each sender gets its
// ack first.
type batcher struct {
	st      *store.Store
	hub     *hub.Hub
	log     *slog.Logger
	max     int
	lanes   []chan *sendJob
	metrics *metrics
	wg      sync.WaitGroup
}

// commitLanes is how many committers run: enough to keep PostgreSQL busy on
// a small machine while one batch waits for its commit to be flushed.
const commitLanes = 3

type sendJob struct {
	req  store.SendRequest
	done chan sendDone
}

type sendDone struct {
	msg shared.Message
	err error
}

func newBatcher(ctx context.Context, st *store.Store, h *hub.Hub, log *slog.Logger, max int, m *metrics) *batcher {
	b := &batcher{st: st, hub: h, log: log, max: max, metrics: m}
	for range commitLanes {
		in, out := make(chan *sendJob, max), make(chan []shared.Message, 64)
		b.lanes = append(b.lanes, in)
		b.wg.Add(2)
		go b.commit(ctx, in, out)
		go b.publish(ctx, out)
	}
	return b
}

// lane picks the committer of a conversation.
func (b *batcher) lane(convID string) chan *sendJob {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(convID)))
	return b.lanes[h.Sum32()%uint32(len(b.lanes))]
}

func (b *batcher) wait() { b.wg.Wait() }

// send queues one message and waits for its commit.
func (b *batcher) send(ctx context.Context, userID int64, actionID, convID, body string) (shared.Message, error) {
	job := &sendJob{req: store.SendRequest{UserID: userID, ActionID: actionID, ConversationID: convID, Body: body}, done: make(chan sendDone, 1)}
	select {
	case b.lane(convID) <- job:
	case <-ctx.Done():
		return shared.Message{}, ctx.Err()
	}
	select {
	case d := <-job.done:
		return d.msg, d.err
	case <-ctx.Done():
		// The commit may still happen; the client's replay of the same
		// action id will get its result.
		return shared.Message{}, ctx.Err()
	}
}

func (b *batcher) commit(ctx context.Context, in <-chan *sendJob, out chan<- []shared.Message) {
	defer b.wg.Done()
	defer close(out)
	jobs := make([]*sendJob, 0, b.max)
	reqs := make([]store.SendRequest, 0, b.max)
	for {
		jobs, reqs = jobs[:0], reqs[:0]
		select {
		case <-ctx.Done():
			return
		case j := <-in:
			jobs = append(jobs, j)
		}
	gather:
		for len(jobs) < b.max {
			select {
			case j := <-in:
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
		var committed []shared.Message
		for i, j := range jobs {
			r := results[i]
			if r.Err == nil {
				// A replay is published again: a crash between commit
				// and fan-out must not hide it, and clients merge by seq.
				committed = append(committed, r.Message)
			}
			j.done <- sendDone{msg: r.Message, err: r.Err}
		}
		if len(committed) > 0 {
			out <- committed
		}
	}
}

// publish fans one committer's batches out in commit order, one hub publish
// (one broker message) per batch.
func (b *batcher) publish(ctx context.Context, out <-chan []shared.Message) {
	defer b.wg.Done()
	for msgs := range out {
		sort.SliceStable(msgs, func(i, j int) bool {
			if msgs[i].ConversationID != msgs[j].ConversationID {
				return msgs[i].ConversationID < msgs[j].ConversationID
			}
			return msgs[i].Seq < msgs[j].Seq
		})
		var convs []string
		for i, m := range msgs {
			if i == 0 || m.ConversationID != msgs[i-1].ConversationID {
				convs = append(convs, m.ConversationID)
			}
		}
		members, err := b.st.MembersOf(context.WithoutCancel(ctx), convs)
		if err != nil {
			// The messages are committed: members get them on resume.
			b.log.Error("fan-out: members", "err", err)
			continue
		}
		evs := make([]hub.Event, 0, len(msgs))
		for i := range msgs {
			if ids := members[msgs[i].ConversationID]; len(ids) > 0 {
				evs = append(evs, hub.Event{UserIDs: ids, Payload: mustEnvelope(shared.TypeMessageCreated, "", msgs[i].Seq, &msgs[i])})
			}
		}
		b.hub.PublishBatch(evs)
	}
}

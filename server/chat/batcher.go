package chat

import (
	"context"
	"hash/fnv"
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
	st    *store.Store
	svc   *Service
	max   int
	lanes []chan *sendJob
	wg    sync.WaitGroup
}

// commitLanes is how many committers run: enough to keep PostgreSQL busy on
// a small machine while one batch waits for its commit to be flushed.
const commitLanes = 3

type sendJob struct {
	req  store.SendRequest
	done chan sendDone
	res  sendDone // the answer, once got; only the waiting goroutine touches these
	got  bool
}

type sendDone struct {
	msg shared.Message
	err error
}

func newBatcher(ctx context.Context, st *store.Store, svc *Service, max int) *batcher {
	b := &batcher{st: st, svc: svc, max: max}
	for range commitLanes {
		in, out := make(chan *sendJob, max), make(chan []store.SendResult, 64)
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
	job, err := b.submit(ctx, userID, actionID, convID, body)
	if err != nil {
		return shared.Message{}, err
	}
	return job.result(ctx)
}

// submit queues one message on its conversation's lane without waiting for
// the commit: a connection pipelines its sends this way, and result waits.
func (b *batcher) submit(ctx context.Context, userID int64, actionID, convID, body string) (*sendJob, error) {
	job := &sendJob{req: store.SendRequest{UserID: userID, ActionID: actionID, ConversationID: convID, Body: body}, done: make(chan sendDone, 1)}
	select {
	case b.lane(convID) <- job:
		return job, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ready reports, without waiting, whether the job's commit has answered.
func (j *sendJob) ready() bool {
	if j.got {
		return true
	}
	select {
	case j.res = <-j.done:
		j.got = true
	default:
	}
	return j.got
}

// result waits for the job's commit. Only one goroutine may wait on a job.
func (j *sendJob) result(ctx context.Context) (shared.Message, error) {
	if !j.got {
		select {
		case j.res = <-j.done:
			j.got = true
		case <-ctx.Done():
			// The commit may still happen; the client's replay of the
			// same action id will get its result.
			return shared.Message{}, ctx.Err()
		}
	}
	return j.res.msg, j.res.err
}

func (b *batcher) commit(ctx context.Context, in <-chan *sendJob, out chan<- []store.SendResult) {
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
		b.svc.metrics.observeCommit(time.Since(start), len(reqs))
		var committed []store.SendResult
		for i, j := range jobs {
			r := results[i]
			if r.Err == nil {
				// A replay is published again: a crash between commit
				// and fan-out must not hide it, and clients merge by seq.
				committed = append(committed, r)
			}
			j.done <- sendDone{msg: r.Message, err: r.Err}
		}
		if len(committed) > 0 {
			out <- committed
		}
	}
}

// publish fans one committer's batches out in commit order, one hub publish
// (one broker message) per batch. The members come from the committing
// transaction; only replays and the one-by-one fallback need a lookup, which
// is retried until it works: a committed message must reach the members who
// are connected now, who will not resume (and so not catch up) on their own.
func (b *batcher) publish(ctx context.Context, out <-chan []store.SendResult) {
	defer b.wg.Done()
	for rs := range out {
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Message.ConversationID != rs[j].Message.ConversationID {
				return rs[i].Message.ConversationID < rs[j].Message.ConversationID
			}
			return rs[i].Message.Seq < rs[j].Message.Seq
		})
		var missing []string
		for i, r := range rs {
			if r.Members == nil && (i == 0 || r.Message.ConversationID != rs[i-1].Message.ConversationID) {
				missing = append(missing, r.Message.ConversationID)
			}
		}
		var looked map[string][]int64
		if len(missing) > 0 {
			retry(ctx, b.svc.log, "fan-out: members", func(ctx context.Context) (err error) {
				looked, err = b.st.MembersOf(ctx, missing)
				return err
			})
		}
		evs := make([]hub.Event, 0, len(rs))
		for i := range rs {
			ids := rs[i].Members
			if ids == nil {
				ids = looked[rs[i].Message.ConversationID]
			}
			if len(ids) > 0 {
				evs = append(evs, hub.Event{UserIDs: ids, Payload: encode(shared.TypeMessageCreated, "", rs[i].Message.Seq, &rs[i].Message)})
			}
		}
		b.svc.publish(evs...)
		if p := b.svc.cfg.Pusher; p != nil {
			for i := range rs {
				p.Notify(rs[i].Message) // after the live fan-out; replays are claimed once
			}
		}
	}
}

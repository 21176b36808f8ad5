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
	// client and answer, when client is set, let the ack ride ahead of the
	// message's echo to the sender (hub.Lead): answer is its number among
	// the connection's answers.
	client *hub.Client
	answer uint64
}

type sendDone struct {
	msg shared.Message
	err error
	// lead is the ack queued ahead of the echo, if the fan-out made one;
	// its Queued says whether it went.
	lead *hub.Lead
}

// committed is a job whose message committed, on its way to the fan-out.
type committed struct {
	job *sendJob
	res store.SendResult
}

func newBatcher(ctx context.Context, st *store.Store, svc *Service, max int) *batcher {
	b := &batcher{st: st, svc: svc, max: max}
	for range commitLanes {
		in, out := make(chan *sendJob, max), make(chan []committed, 64)
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
	job, err := b.submit(ctx, userID, actionID, convID, body, nil, 0)
	if err != nil {
		return shared.Message{}, err
	}
	return job.result(ctx)
}

// submit queues one message on its conversation's lane without waiting for
// the commit: a connection pipelines its sends this way, and result waits.
// With a client, the fan-out may queue the ack (the connection's answer
// number answer) ahead of the echo; see sendDone.lead.
func (b *batcher) submit(ctx context.Context, userID int64, actionID, convID, body string, client *hub.Client, answer uint64) (*sendJob, error) {
	job := &sendJob{req: store.SendRequest{UserID: userID, ActionID: actionID, ConversationID: convID, Body: body},
		done: make(chan sendDone, 1), client: client, answer: answer}
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

// acked reports whether the ack went ahead of the echo already; call it
// after result.
func (j *sendJob) acked() bool { return j.res.lead != nil && j.res.lead.Queued() }

func (b *batcher) commit(ctx context.Context, in <-chan *sendJob, out chan<- []committed) {
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
		var ok []committed
		for i, j := range jobs {
			r := results[i]
			if r.Err != nil {
				j.done <- sendDone{err: r.Err}
				continue
			}
			// A replay is published again: a crash between commit and
			// fan-out must not hide it, and clients merge by seq. The
			// sender hears once the fan-out has queued the echo (and
			// perhaps the ack with it).
			ok = append(ok, committed{job: j, res: r})
		}
		if len(ok) > 0 {
			out <- ok
		}
	}
}

// gather adds to cs the batches already waiting on out, without waiting
// for more: when the fan-out falls behind the commits, every receiver then
// gets one frame (one write) for all of them instead of one each, the
// write being most of what a delivery costs, and no message waits for
// company it would not otherwise have had.
func gather(cs []committed, out <-chan []committed) []committed {
	for {
		select {
		case more, ok := <-out:
			if !ok {
				return cs
			}
			cs = append(cs, more...)
		default:
			return cs
		}
	}
}

// publish fans one committer's batches out in commit order, one hub publish
// (one broker message) per batch, then answers the senders: the ack of a
// send from a connection rides ahead of its echo (hub.Lead) when it is
// that connection's next answer. The members come from the committing
// transaction; only replays and the one-by-one fallback need a lookup, which
// is retried until it works: a committed message must reach the members who
// are connected now, who will not resume (and so not catch up) on their own.
func (b *batcher) publish(ctx context.Context, out <-chan []committed) {
	defer b.wg.Done()
	for cs := range out {
		cs = gather(cs, out)
		// By conversation, keeping commit order inside one: seqs rise with
		// it, and one connection's sends (one conversation at a time, see
		// Conn.work) keep their order.
		sort.SliceStable(cs, func(i, j int) bool {
			return cs[i].res.Message.ConversationID < cs[j].res.Message.ConversationID
		})
		var missing []string
		for i, c := range cs {
			if c.res.Members == nil && (i == 0 || c.res.Message.ConversationID != cs[i-1].res.Message.ConversationID) {
				missing = append(missing, c.res.Message.ConversationID)
			}
		}
		var looked map[string][]int64
		if len(missing) > 0 {
			retry(ctx, b.svc.log, "fan-out: members", func(ctx context.Context) (err error) {
				looked, err = b.st.MembersOf(ctx, missing)
				return err
			})
		}
		evs := make([]hub.Event, 0, len(cs))
		leads := make([]*hub.Lead, len(cs))
		for i := range cs {
			c := &cs[i]
			ids := c.res.Members
			if ids == nil {
				ids = looked[c.res.Message.ConversationID]
			}
			if len(ids) == 0 {
				continue
			}
			actionID := ""
			if c.job.client != nil {
				actionID = c.job.req.ActionID
			}
			created, ack := messageFrames(&c.res.Message, actionID)
			ev := hub.Event{UserIDs: ids, Payload: created}
			if ack != nil {
				leads[i] = &hub.Lead{Client: c.job.client, N: c.job.answer, Env: ack}
				ev.Lead = leads[i]
			}
			evs = append(evs, ev)
		}
		b.svc.publish(evs...)
		for i := range cs {
			cs[i].job.done <- sendDone{msg: cs[i].res.Message, lead: leads[i]}
		}
		if p := b.svc.cfg.Pusher; p != nil {
			for i := range cs {
				p.Notify(cs[i].res.Message) // after the live fan-out; replays are claimed once
			}
		}
	}
}

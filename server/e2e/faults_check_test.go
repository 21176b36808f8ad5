package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/wasm/client"
)

// checkView loads older pages of conv as a scrolling user would, and
// compares the list p's engine shows with the database's, message by
// message; a message missing says how (or whether) it reached the engine.
func checkView(ctx context.Context, t *testing.T, when string, p *faultPeer, conv string, rows []faultRow, last int64) bool {
	t.Helper()
	e := p.engine()
	for pages := 0; ; pages++ {
		if v, _ := e.Conversation(conv); !v.HasOlder {
			break
		}
		if pages > int(last)/client.HistoryPage+1 {
			t.Fatalf("%s: LoadOlder of %s never ends", p.Nickname, conv)
		}
		if err := e.LoadOlder(ctx, conv); err != nil {
			t.Fatalf("%s: load older of %s: %v", p.Nickname, conv, err)
		}
	}
	ms := e.Messages(conv)
	shown := map[int64]int{}
	for i, m := range ms {
		shown[m.Seq]++
		if i > 0 && m.Seq <= ms[i-1].Seq {
			t.Errorf("%s: %s: %s row %d has seq %d after %d", when, p.Nickname, conv, i, m.Seq, ms[i-1].Seq)
			return false
		}
	}
	var missing []string
	ok := len(ms) == len(rows)
	for _, r := range rows {
		if shown[r.seq] == 0 {
			ok = false
			p.wmu.Lock()
			how := p.got[fmt.Sprintf("%s/%d", conv, r.seq)]
			p.wmu.Unlock()
			came := "never reached it"
			if len(how) > 0 {
				came = "reached it as " + strings.Join(how, ",")
			}
			missing = append(missing, fmt.Sprintf("seq %d from user %d %s", r.seq, r.sender, came))
		}
	}
	if !ok {
		t.Errorf("%s: %s (connection %d) shows %d messages in %s, the database holds %d; missing %d: %s",
			when, p.Nickname, p.dials.Load(), len(ms), conv, len(rows), len(missing), strings.Join(missing[:min(len(missing), 8)], "; "))
		return false
	}
	for i, m := range ms {
		r := rows[i]
		if m.Seq != r.seq || m.ActionID != r.action || m.Body != r.body || m.State != client.MsgSent {
			t.Errorf("%s: %s: %s row %d shows seq %d %q (%s, action %s), the database has seq %d %q (action %s)",
				when, p.Nickname, conv, i, m.Seq, m.Body, m.State, m.ActionID, r.seq, r.body, r.action)
			return false
		}
	}
	return true
}

// viewSettled reports whether e shows conv gap-free from its oldest held
// message up to last, everything confirmed: older pages are loaded on
// demand, newer ones only arrive.
func viewSettled(e *client.Engine, conv string, last int64) bool {
	if !e.State().Status.CaughtUp {
		return false
	}
	ms := e.Messages(conv)
	if len(ms) == 0 {
		return last == 0
	}
	for _, m := range ms {
		if m.State != client.MsgSent {
			return false
		}
	}
	return ms[len(ms)-1].Seq == last && int64(len(ms)) == last-ms[0].Seq+1
}

// faultRow is one row of messages.
type faultRow struct {
	conv, action, body string
	seq, sender        int64
}

// faultDB is what the database holds after the run.
type faultDB struct {
	rows    []faultRow
	byConv  map[string][]faultRow // in seq order
	lastSeq map[string]int64      // conversations.last_seq
	// appliedAt is when the transaction that applied each action began: a
	// message's created_at (a send is its own idempotency record), or the
	// applied_actions row of any other kind.
	appliedAt map[string]time.Time
}

// replayed counts the messages p wrote again after the server had applied
// them: their ack was lost with the connection, and the server had to
// answer the copy with the original result instead of storing it again.
func (d *faultDB) replayed(p *faultPeer) int {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	n := 0
	for id, ws := range p.writes {
		if at, ok := d.appliedAt[id]; ok && len(ws) > 1 && at.Before(ws[len(ws)-1]) {
			n++
		}
	}
	return n
}

func mustFaultRows(ctx context.Context, t *testing.T, dsn string) *faultDB {
	t.Helper()
	db := pgtest.Open(t, dsn)
	res := &faultDB{byConv: map[string][]faultRow{}, lastSeq: map[string]int64{}, appliedAt: map[string]time.Time{}}
	rs, err := db.QueryContext(ctx, `SELECT conversation_id::text, seq, coalesce(sender_id, 0), coalesce(action_id::text, ''), body
		FROM messages ORDER BY conversation_id, seq`)
	if err != nil {
		t.Fatalf("query messages: %v", err)
	}
	for rs.Next() {
		var r faultRow
		if err := rs.Scan(&r.conv, &r.seq, &r.sender, &r.action, &r.body); err != nil {
			t.Fatalf("scan message: %v", err)
		}
		res.rows = append(res.rows, r)
		res.byConv[r.conv] = append(res.byConv[r.conv], r)
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		t.Fatalf("read messages: %v", err)
	}
	as, err := db.QueryContext(ctx, `SELECT action_id::text, created_at FROM messages WHERE action_id IS NOT NULL UNION ALL SELECT action_id::text, created_at FROM applied_actions`)
	if err != nil {
		t.Fatalf("query applied actions: %v", err)
	}
	for as.Next() {
		var id string
		var at time.Time
		if err := as.Scan(&id, &at); err != nil {
			t.Fatalf("scan applied action: %v", err)
		}
		res.appliedAt[id] = at
	}
	if err := errors.Join(as.Err(), as.Close()); err != nil {
		t.Fatalf("read applied actions: %v", err)
	}
	cs, err := db.QueryContext(ctx, `SELECT id::text, last_seq FROM conversations`)
	if err != nil {
		t.Fatalf("query conversations: %v", err)
	}
	defer cs.Close()
	for cs.Next() {
		var id string
		var last int64
		if err := cs.Scan(&id, &last); err != nil {
			t.Fatalf("scan conversation: %v", err)
		}
		res.lastSeq[id] = last
	}
	if err := cs.Err(); err != nil {
		t.Fatalf("read conversations: %v", err)
	}
	return res
}

// check counts, for every message sent, its rows; rows nobody sent; and per
// conversation, seqs that are not exactly 1..last_seq.
func (d *faultDB) check(t *testing.T, sent []faultSent) (lost, doubled, extra, gaps int) {
	t.Helper()
	byAction := map[string][]faultRow{}
	byBody := map[string]int{}
	for _, r := range d.rows {
		byAction[r.action] = append(byAction[r.action], r)
		byBody[r.body]++
	}
	ids := map[string]bool{}
	for _, s := range sent {
		ids[s.id] = true
		rows := byAction[s.id]
		switch {
		case len(rows) == 0:
			lost++
			t.Errorf("lost: %q (action %s, conversation %s) is not in the database", s.body, s.id, s.conv)
		case len(rows) > 1 || byBody[s.body] > 1:
			doubled++
			t.Errorf("doubled: %q (action %s) is stored %d times under its id, %d times by body", s.body, s.id, len(rows), byBody[s.body])
		case rows[0].conv != s.conv || rows[0].sender != s.sender || rows[0].body != s.body:
			t.Errorf("action %s stored as %+v, sent as %+v", s.id, rows[0], s)
		}
	}
	for _, r := range d.rows {
		if !ids[r.action] {
			extra++
			t.Errorf("extra row nobody sent: %+v", r)
		}
	}
	for conv, last := range d.lastSeq {
		rows := d.byConv[conv]
		for i, r := range rows {
			if r.seq != int64(i+1) {
				gaps++
				t.Errorf("conversation %s: row %d has seq %d", conv, i, r.seq)
				break
			}
		}
		if int64(len(rows)) != last {
			gaps++
			t.Errorf("conversation %s: %d messages, last_seq %d", conv, len(rows), last)
		}
	}
	return lost, doubled, extra, gaps
}

-- The commit of messages, made cheaper (issue 11). Profiled during ingest,
-- PostgreSQL spent over a third of its CPU in the foreign-key triggers of
-- the rows a send inserts (one SPI lookup per message row for its
-- conversation and another for its sender, two more per history row) and
-- about an eighth parsing and planning the batch's four statements.
--
-- 1. natter_send_batch does a whole group commit in one call, and its
--    plans are kept per connection (PL/pgSQL caches them), so a batch is
--    one round trip and no planning.
--
-- 2. The foreign keys of messages and seen_history go. Every row they
--    checked is written by a path that already proves the reference while
--    it holds a lock that keeps it true until commit:
--      - a sent message: natter_send_batch locks its conversation row
--        (FOR NO KEY UPDATE, which a DELETE must wait for), then reads the
--        sender's membership in a new statement; a membership row exists
--        only for an existing user and conversation (those foreign keys
--        stay), and a user's deletion locks the same conversation rows
--        first (DeleteAccount, and natter_user_gone below for anyone
--        else), so it waits for the send, or the send sees it;
--      - a system message: its UPDATE of the conversation row locks it;
--      - a seen_history row: only inserted for a member row the same
--        statement has just updated, whose lock a deletion of the
--        conversation or the user must wait for (the cascades below and
--        the foreign keys of conversation_members delete that row).
--    The constraints that protect what other paths write stay:
--    conversation_members, sessions, applied_actions, blocks, invites,
--    push subscriptions and conversations.created_by.
--
-- 3. What the dropped keys did on delete (cascade, set null) is done by
--    BEFORE DELETE triggers on conversations and users: cold paths, run
--    once per deleted row. They lock what a concurrent writer holds first,
--    so nothing is inserted behind their back.

ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_sender_id_fkey;
ALTER TABLE seen_history DROP CONSTRAINT seen_history_conversation_id_fkey;
ALTER TABLE seen_history DROP CONSTRAINT seen_history_user_id_fkey;

-- A conversation's messages and read history go with it. The conversation
-- row is already locked by the DELETE (no send can be in its transaction);
-- the member rows are locked so a read mark in flight, which inserts its
-- history row under its member row's lock, commits before the history is
-- deleted (after that it finds no member row and inserts nothing).
CREATE FUNCTION natter_conversation_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM conversation_members m WHERE m.conversation_id = OLD.id ORDER BY m.user_id FOR UPDATE;
    DELETE FROM seen_history h WHERE h.conversation_id = OLD.id;
    DELETE FROM messages m WHERE m.conversation_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER conversations_gone BEFORE DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION natter_conversation_gone();

-- A user's messages stay without a sender (DeleteAccount has erased their
-- bodies) and their read history goes. The user's conversations are locked
-- in id order, as every send locks them, so a send of theirs in flight
-- commits first (and is unlinked here) and a later one finds them no
-- longer a member; then their member rows, for read marks in flight.
-- DeleteAccount takes these locks itself before it deletes the user.
CREATE FUNCTION natter_user_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM conversations c
        WHERE c.id IN (SELECT m.conversation_id FROM conversation_members m WHERE m.user_id = OLD.id)
        ORDER BY c.id FOR NO KEY UPDATE;
    PERFORM 1 FROM conversation_members m WHERE m.user_id = OLD.id ORDER BY m.conversation_id FOR UPDATE;
    DELETE FROM seen_history h WHERE h.user_id = OLD.id;
    UPDATE messages m SET sender_id = NULL WHERE m.sender_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER users_gone BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION natter_user_gone();

-- natter_send_batch applies many message.send actions (arrays in step, one
-- element per action; the caller has validated them and removed repeated
-- (user, action) pairs) and returns one row per action in input order:
--
--   outcome  'sent', 'replay' (the action's message exists, in whatever
--            conversation), 'prior' (the action id was used by another kind
--            of action: prior_kind, prior_result), 'notfound' (no such
--            conversation, or the user is not a member) or 'closed';
--   members  the member ids of the conversation, on the first 'sent' row
--            of each conversation only, for the fan-out.
--
-- Step 1 locks the conversations in id order (batches running together do
-- not deadlock) and takes the batch's one timestamp. Step 2 is a new
-- statement, so in READ COMMITTED its snapshot sees every commit made
-- before the locks were granted: it finds the replays, memberships and
-- each conversation's last_seq (which nobody else can move while we hold
-- the lock), numbers the new messages in input order, inserts them, moves
-- each conversation's last_seq once and each sender's read cursor once per
-- conversation, with its history row. A duplicate action racing into
-- another conversation fails the statement on messages_sender_action; the
-- caller retries alone.
--
-- The statement is written so that its plan does not depend on estimates:
-- every lookup is a LATERAL ... LIMIT 1 (a nested loop over a unique
-- index, never a scan of messages), message ids are drawn before the
-- insert (no join of the inserted rows back to the batch), and nothing
-- joins one intermediate result to another. So the generic plan, made
-- once per connection, is right for any batch size, and a batch costs no
-- planning. (Written with ordinary joins, the plan hashed or merged whole
-- tables and joined CTEs by nested loops: more than twice the CPU.)
CREATE FUNCTION natter_send_batch(p_users bigint[], p_actions uuid[], p_convs uuid[], p_bodies text[])
RETURNS TABLE (
    i bigint, outcome text, id bigint, conversation_id uuid, seq bigint, sender_id bigint, sender text,
    kind text, body text, action_id uuid, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz,
    prior_kind text, prior_result text, members bigint[])
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    ts timestamptz;
BEGIN
    -- One index probe per distinct conversation, in id order (as a filter
    -- on a scan, id = ANY(p_convs) compared every row with every element).
    PERFORM 1 FROM (SELECT DISTINCT u.c FROM unnest(p_convs) AS u(c) ORDER BY u.c) d,
        LATERAL (SELECT 1 FROM conversations c WHERE c.id = d.c FOR NO KEY UPDATE) l;
    ts := clock_timestamp(); -- after the locks: later batches of a conversation get later times

    RETURN QUERY
    WITH f AS (
        SELECT t.u, t.a, t.c, t.b, t.i, r.mid, p.pk, p.pr, mb.nick, cv.last_seq,
            CASE WHEN r.mid IS NOT NULL THEN 'replay'
                 WHEN p.pk IS NOT NULL THEN 'prior'
                 WHEN cv.last_seq IS NULL OR mb.nick IS NULL THEN 'notfound'
                 WHEN cv.closed THEN 'closed'
                 ELSE 'sent' END AS o
        FROM unnest(p_users, p_actions, p_convs, p_bodies) WITH ORDINALITY AS t(u, a, c, b, i)
        LEFT JOIN LATERAL (SELECT m.id AS mid FROM messages m
            WHERE m.sender_id = t.u AND m.action_id = t.a LIMIT 1) r ON true
        LEFT JOIN LATERAL (SELECT aa.kind AS pk, aa.result::text AS pr FROM applied_actions aa
            WHERE aa.user_id = t.u AND aa.action_id = t.a LIMIT 1) p ON true
        LEFT JOIN LATERAL (SELECT u.nickname AS nick FROM conversation_members cm JOIN users u ON u.id = cm.user_id
            WHERE cm.conversation_id = t.c AND cm.user_id = t.u LIMIT 1) mb ON true
        LEFT JOIN LATERAL (SELECT cv.last_seq, cv.closed_at IS NOT NULL AS closed FROM conversations cv
            WHERE cv.id = t.c LIMIT 1) cv ON true),
    n AS (
        SELECT f.*,
            CASE WHEN f.o = 'sent' THEN f.last_seq + count(*) FILTER (WHERE f.o = 'sent') OVER (PARTITION BY f.c ORDER BY f.i) END AS seq,
            CASE WHEN f.o = 'sent' THEN nextval('messages_id_seq') END AS id,
            f.o = 'sent' AND f.i = min(f.i) FILTER (WHERE f.o = 'sent') OVER (PARTITION BY f.c) AS first
        FROM f),
    ins AS (
        INSERT INTO messages (id, conversation_id, seq, sender_id, kind, body, action_id, created_at)
        SELECT n.id, n.c, n.seq, n.u, 'text', n.b, n.a, ts FROM n WHERE n.o = 'sent'),
    adv AS (
        UPDATE conversations cv SET last_seq = cv.last_seq + k.cnt, last_message_at = ts
        FROM (SELECT n.c, count(*) AS cnt FROM n WHERE n.o = 'sent' GROUP BY n.c) k
        WHERE cv.id = k.c),
    up AS (
        UPDATE conversation_members cm SET seen_seq = s.seq, seen_at = ts
        FROM (SELECT n.c, n.u, max(n.seq) AS seq FROM n WHERE n.o = 'sent' GROUP BY n.c, n.u) s
        WHERE cm.conversation_id = s.c AND cm.user_id = s.u AND cm.seen_seq < s.seq
        RETURNING cm.conversation_id, cm.user_id, cm.seen_seq),
    hist AS (
        INSERT INTO seen_history (conversation_id, user_id, seq, seen_at)
        SELECT up.conversation_id, up.user_id, up.seen_seq, ts FROM up
        ON CONFLICT DO NOTHING)
    SELECT n.i, n.o,
        coalesce(n.id, m.id), coalesce(m.conversation_id, n.c), coalesce(n.seq, m.seq),
        CASE WHEN n.o = 'sent' THEN n.u ELSE m.sender_id END,
        CASE WHEN n.o = 'sent' THEN n.nick ELSE m.sender END,
        m.kind, m.body, m.action_id, CASE WHEN n.o = 'sent' THEN ts ELSE m.created_at END, m.edited_at, m.deleted_at,
        n.pk, n.pr,
        CASE WHEN n.first THEN (SELECT array_agg(cm.user_id ORDER BY cm.user_id)
            FROM conversation_members cm WHERE cm.conversation_id = n.c) END
    FROM n
    LEFT JOIN LATERAL (SELECT m.*, su.nickname AS sender FROM messages m LEFT JOIN users su ON su.id = m.sender_id
        WHERE m.id = n.mid LIMIT 1) m ON true
    ORDER BY n.i;
END $$;

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
-- not deadlock). Step 2 is a new statement, so in READ COMMITTED its
-- snapshot sees every commit made before the locks were granted: it finds
-- the replays and memberships, advances each conversation's last_seq once
-- by its number of messages, inserts the messages numbered in input order
-- and moves each sender's read cursor once per conversation, with its
-- history row. A duplicate action racing into another conversation fails
-- the statement on messages_sender_action; the caller retries alone.
--
-- plan_cache_mode: the batch size varies, and a custom plan per call would
-- bring the planning back; the generic plan (nested loops over the unique
-- indexes) is the right one for any size.
CREATE FUNCTION natter_send_batch(p_users bigint[], p_actions uuid[], p_convs uuid[], p_bodies text[])
RETURNS TABLE (
    i bigint, outcome text, id bigint, conversation_id uuid, seq bigint, sender_id bigint, sender text,
    kind text, body text, action_id uuid, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz,
    prior_kind text, prior_result text, members bigint[])
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM conversations c WHERE c.id = ANY(p_convs) ORDER BY c.id FOR NO KEY UPDATE;

    RETURN QUERY
    WITH x AS (
        SELECT t.u, t.a, t.c, t.b, t.i
        FROM unnest(p_users, p_actions, p_convs, p_bodies) WITH ORDINALITY AS t(u, a, c, b, i)),
    f AS (
        SELECT x.u, x.a, x.c, x.b, x.i, m.id AS mid, aa.kind AS pk, aa.result::text AS pr, mu.nickname AS nick,
            CASE WHEN m.id IS NOT NULL THEN 'replay'
                 WHEN aa.kind IS NOT NULL THEN 'prior'
                 WHEN cv.id IS NULL OR mu.id IS NULL THEN 'notfound'
                 WHEN cv.closed_at IS NOT NULL THEN 'closed'
                 ELSE 'sent' END AS o
        FROM x
        LEFT JOIN messages m ON m.sender_id = x.u AND m.action_id = x.a
        LEFT JOIN applied_actions aa ON aa.user_id = x.u AND aa.action_id = x.a
        LEFT JOIN conversations cv ON cv.id = x.c
        LEFT JOIN conversation_members cm ON cm.conversation_id = x.c AND cm.user_id = x.u
        LEFT JOIN users mu ON mu.id = cm.user_id),
    ok AS (SELECT f.u, f.a, f.c, f.b, f.i FROM f WHERE f.o = 'sent'),
    counts AS (SELECT ok.c, count(*) AS n FROM ok GROUP BY ok.c),
    adv AS (
        UPDATE conversations cv SET last_seq = cv.last_seq + counts.n, last_message_at = clock_timestamp()
        FROM counts WHERE cv.id = counts.c
        RETURNING cv.id, cv.last_seq - counts.n AS base, cv.last_message_at),
    ins AS (
        INSERT INTO messages AS nm (conversation_id, seq, sender_id, kind, body, action_id, created_at)
        SELECT ok.c, adv.base + row_number() OVER (PARTITION BY ok.c ORDER BY ok.i), ok.u, 'text', ok.b, ok.a, adv.last_message_at
        FROM ok JOIN adv ON adv.id = ok.c
        ORDER BY ok.c, ok.i
        RETURNING nm.id, nm.conversation_id, nm.seq, nm.sender_id, nm.action_id, nm.created_at),
    up AS (
        UPDATE conversation_members cm SET seen_seq = s.seq, seen_at = clock_timestamp()
        FROM (SELECT ins.conversation_id, ins.sender_id, max(ins.seq) AS seq FROM ins GROUP BY ins.conversation_id, ins.sender_id) s
        WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id AND cm.seen_seq < s.seq
        RETURNING cm.conversation_id, cm.user_id, cm.seen_seq, cm.seen_at),
    hist AS (
        INSERT INTO seen_history (conversation_id, user_id, seq, seen_at)
        SELECT up.conversation_id, up.user_id, up.seen_seq, up.seen_at FROM up
        ON CONFLICT DO NOTHING),
    mem AS (
        SELECT cm.conversation_id, array_agg(cm.user_id ORDER BY cm.user_id) AS ids
        FROM conversation_members cm WHERE cm.conversation_id IN (SELECT counts.c FROM counts)
        GROUP BY cm.conversation_id)
    SELECT f.i, f.o,
        coalesce(ins.id, m.id), coalesce(m.conversation_id, f.c), coalesce(ins.seq, m.seq),
        CASE WHEN f.o = 'sent' THEN f.u ELSE m.sender_id END,
        CASE WHEN f.o = 'sent' THEN f.nick ELSE su.nickname END,
        m.kind, m.body, m.action_id, coalesce(ins.created_at, m.created_at), m.edited_at, m.deleted_at,
        f.pk, f.pr,
        CASE WHEN f.o = 'sent' AND f.i = min(f.i) FILTER (WHERE f.o = 'sent') OVER (PARTITION BY f.c) THEN mem.ids END
    FROM f
    LEFT JOIN ins ON f.o = 'sent' AND ins.sender_id = f.u AND ins.action_id = f.a
    LEFT JOIN messages m ON m.id = f.mid
    LEFT JOIN users su ON su.id = m.sender_id
    LEFT JOIN mem ON mem.conversation_id = f.c
    ORDER BY f.i;
END $$;

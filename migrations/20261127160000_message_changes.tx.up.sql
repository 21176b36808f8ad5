-- Edits, deletions, reactions and replies (shared/edits.go).

-- The conversation's event sequence: every applied change to a message
-- advances it, and the changed messages carry it, so a resuming client
-- asks for what changed after its cursor.
ALTER TABLE conversations ADD COLUMN last_event_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_to_seq bigint;
-- Partial: messages never changed (almost all) cost the index nothing.
CREATE INDEX messages_events ON messages (conversation_id, event_seq) WHERE event_seq > 0;
CREATE INDEX messages_replies ON messages (conversation_id, reply_to_seq) WHERE reply_to_seq IS NOT NULL;

-- Earlier versions of edited messages, erased with the message.
CREATE TABLE message_edits (
    id          bigserial PRIMARY KEY,
    message_id  bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    body        text        NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_edits_message ON message_edits (message_id, id);

-- One row per (message, person, emoji); conversation and seq are repeated
-- so a page of history reads its reactions with one range probe.
CREATE TABLE message_reactions (
    message_id      bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id uuid        NOT NULL,
    seq             bigint      NOT NULL,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji           text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (message_id, user_id, emoji)
);
CREATE INDEX message_reactions_range ON message_reactions (conversation_id, seq);

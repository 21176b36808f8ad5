-- People can block people (issue 7, consent): a blocked person cannot start a
-- one-to-one with the blocker nor bring them into a conversation. A block
-- does not touch conversations that exist already.
CREATE TABLE blocks (
    blocker_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
-- "Who blocked this person?" is the question every create and add asks;
-- the primary key answers "whom did I block?".
CREATE INDEX blocks_blocked ON blocks (blocked_id);

-- Natter's whole data model (DESIGN.md section 3).

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text        NOT NULL,
    nickname      text        NOT NULL,
    password_hash text        NOT NULL,
    admin         boolean     NOT NULL DEFAULT false,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness without the citext extension.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_nickname_key ON users (lower(nickname));
-- Prefix search on nicknames ("as you type"), keyset-paged by lower(nickname).
CREATE INDEX users_nickname_prefix ON users (lower(nickname) text_pattern_ops);

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE, -- SHA-256 of the 256-bit token; the token itself is never stored
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id              uuid PRIMARY KEY,           -- made by the creating client (UUIDv7)
    title           text        NOT NULL DEFAULT '', -- '' means: built from member nicknames
    direct          boolean     NOT NULL DEFAULT false,
    direct_key      text UNIQUE,                -- 'low:high' user ids of a one-to-one, so there is only one
    created_by      bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    last_seq        bigint      NOT NULL DEFAULT 0, -- incremented in the inserting transaction: gap-free
    last_message_at timestamptz
);

CREATE TABLE conversation_members (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner           boolean     NOT NULL DEFAULT false,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    seen_seq        bigint      NOT NULL DEFAULT 0,
    seen_at         timestamptz,
    muted           boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (conversation_id, user_id)
);
-- Exactly one owner per conversation.
CREATE UNIQUE INDEX conversation_members_one_owner ON conversation_members (conversation_id) WHERE owner;
CREATE INDEX conversation_members_user ON conversation_members (user_id);

CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint      NOT NULL,
    sender_id       bigint      REFERENCES users (id) ON DELETE SET NULL, -- NULL for system messages
    kind            text        NOT NULL DEFAULT 'text',
    body            text        NOT NULL,
    action_id       uuid,                       -- the client's idempotency key
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    deleted_at      timestamptz,
    CONSTRAINT messages_conversation_seq UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_sender_action ON messages (sender_id, action_id) WHERE action_id IS NOT NULL;

-- History of read cursors: "seen up to seq S at T". Who saw message M and
-- when is, per member, the earliest row with seq >= M.
CREATE TABLE seen_history (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq             bigint      NOT NULL,
    seen_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id, seq)
);

-- Every durable action applied, with its result, so a replay returns the
-- original result and runs nothing twice. Checked in the effect's transaction.
CREATE TABLE applied_actions (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action_id  uuid        NOT NULL,
    kind       text        NOT NULL,
    result     jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, action_id)
);

CREATE TABLE push_subscriptions (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   text        NOT NULL UNIQUE,
    p256dh     text        NOT NULL,
    auth       text        NOT NULL,
    device     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- Server secrets made on first start and kept: VAPID keys, the resume-token
-- key ring.
CREATE TABLE server_keys (
    name       text PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);

-- Web Push, mute and "hide previews" (issue 8).

-- A subscription belongs to the session (device) that made it: revoking the
-- session, signing out or disabling the account deletes it (the triggers
-- below), so a device nobody is signed in on is never notified.
ALTER TABLE push_subscriptions ADD COLUMN session_id bigint REFERENCES sessions (id) ON DELETE CASCADE;
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

-- Mute: muted until this time ('infinity' for "until turned back on");
-- NULL or past means not muted. mute_changed_at orders changes that reach
-- a device by several paths (live event, resume), so the newest wins.
ALTER TABLE conversation_members ADD COLUMN muted_until timestamptz,
    ADD COLUMN mute_changed_at timestamptz;

-- "Hide previews": push notifications say only "New message".
ALTER TABLE users ADD COLUMN hide_previews boolean NOT NULL DEFAULT false;

-- Every way a session ends sets revoked_at (sign-out, "sign out
-- everywhere", revocation by the operator); a trigger catches them all,
-- including paths written after this one.
CREATE FUNCTION push_forget_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM push_subscriptions WHERE session_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_push_revoked AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION push_forget_session();

CREATE FUNCTION push_forget_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM push_subscriptions WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_push_disabled AFTER UPDATE OF disabled_at ON users
    FOR EACH ROW WHEN (NEW.disabled_at IS NOT NULL) EXECUTE FUNCTION push_forget_user();

-- One row per message whose pushes went out: a replayed send is fanned out
-- again (clients merge by seq), and must not notify twice. UNLOGGED: after
-- a crash at worst a replay notifies once more.
CREATE UNLOGGED TABLE push_claims (
    conversation_id uuid        NOT NULL,
    seq             bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, seq)
);

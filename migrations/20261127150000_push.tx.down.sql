DROP TABLE push_claims;
DROP TRIGGER users_push_disabled ON users;
DROP FUNCTION push_forget_user();
DROP TRIGGER sessions_push_revoked ON sessions;
DROP FUNCTION push_forget_session();
ALTER TABLE users DROP COLUMN hide_previews;
ALTER TABLE conversation_members DROP COLUMN muted_until, DROP COLUMN mute_changed_at;
DROP INDEX push_subscriptions_session;
ALTER TABLE push_subscriptions DROP COLUMN session_id;

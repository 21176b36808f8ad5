DROP TABLE message_reactions;
DROP TABLE message_edits;
DROP INDEX messages_replies;
DROP INDEX messages_events;
ALTER TABLE messages DROP COLUMN reply_to_seq;
ALTER TABLE messages DROP COLUMN event_seq;
ALTER TABLE conversations DROP COLUMN last_event_seq;

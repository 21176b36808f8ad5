DROP INDEX messages_search;
CREATE INDEX messages_search ON messages USING gin (conversation_id, search);

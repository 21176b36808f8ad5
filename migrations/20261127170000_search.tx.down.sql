DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN IF EXISTS search;
-- btree_gin stays: another object may have come to use it.

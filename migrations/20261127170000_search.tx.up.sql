-- Full-text search over messages (issue 10).
--
-- search is GENERATED, so no insert path has to know about it: the group
-- commit stays one INSERT, an edit that changes body or a delete that sets
-- deleted_at recomputes it in the same UPDATE, and nothing can forget to.
-- A deleted message, an erased (empty) body and system messages get NULL,
-- which matches no query: deleted messages never match.
--
-- Words are the runs of letters and digits of the body, lowercased by the
-- 'simple' configuration (no stemming, no stop words, so every language
-- works). Punctuation is turned into spaces first, so "example.com" and
-- "foo_bar" are two words each, exactly as the browser's offline index
-- splits them (shared.SearchWords): the same message matches the same
-- words online and offline. Another configuration ('english', ...) is set
-- with `natter admin search-language`, which rebuilds this column.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN deleted_at IS NULL AND kind = 'text' AND body <> ''
    THEN to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))
    END
) STORED;

-- One GIN index over (conversation_id, search), which btree_gin allows:
-- a search is always limited to the searcher's conversations, and this
-- index intersects "in these conversations" with "has these words" before
-- touching a row. With the words alone, a common word in a big database
-- meant visiting every message holding it, anybody's (140 ms for 100k
-- matches on a million messages, against 8 ms; docs/BENCHMARKS.md).
-- btree_gin is a trusted contrib extension: the database owner may
-- create it.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX messages_search ON messages USING gin (conversation_id, search);

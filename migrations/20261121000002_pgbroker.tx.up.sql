-- Side tables of package pgbroker (PostgreSQL LISTEN/NOTIFY between nodes).
-- Both are UNLOGGED: their rows matter for a minute at most, so they skip the
-- WAL, and losing them in a crash costs nothing.

-- An event too large for one NOTIFY payload (PostgreSQL caps it under 8000
-- bytes) is stored here and its key notified instead. Every node reads it;
-- publishers delete rows older than a minute.
CREATE UNLOGGED TABLE pgbroker_spill (
    key        text PRIMARY KEY,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per running server, refreshed every few seconds, so the admin CLI
-- can show live connections per node.
CREATE UNLOGGED TABLE pgbroker_nodes (
    id          text PRIMARY KEY, -- one per process: node name plus a random instance id
    node        text        NOT NULL,
    connections integer     NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);

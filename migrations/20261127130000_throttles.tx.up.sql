-- Throttles shared by every node (issue 13): with per-process counters an
-- attacker who spreads sign-in guesses or registrations over N nodes gets N
-- times the limits. UNLOGGED: a throttle's state is worth less than the WAL
-- it would cost, and losing it in a database crash only resets the limits.
--
-- throttle_marks is a sliding window: one row per counted attempt under
-- each key it counts against; a ticket names the rows of one attempt so a
-- success can hand them back.
CREATE UNLOGGED TABLE throttle_marks (
    key    text        NOT NULL,
    at     timestamptz NOT NULL,
    ticket bigint      NOT NULL
);
CREATE INDEX throttle_marks_key ON throttle_marks (key, at);
CREATE INDEX throttle_marks_at ON throttle_marks (at);

-- throttle_buckets is a token bucket per key: tokens left at time at.
CREATE UNLOGGED TABLE throttle_buckets (
    key    text             PRIMARY KEY,
    tokens double precision NOT NULL,
    at     timestamptz      NOT NULL
);
CREATE INDEX throttle_buckets_at ON throttle_buckets (at);

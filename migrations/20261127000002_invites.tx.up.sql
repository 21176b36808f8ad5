-- Invite codes for NATTER_SIGNUP=invite. Only a SHA-256 of each code is
-- stored, like session tokens: a database dump hands out no invites.
-- A registration counts its use in the transaction that creates the user.
CREATE TABLE invites (
    id         bigserial PRIMARY KEY,
    code_hash  bytea       NOT NULL UNIQUE,
    max_uses   integer     NOT NULL CHECK (max_uses > 0),
    uses       integer     NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

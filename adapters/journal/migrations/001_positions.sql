-- 001: positions with their counters (no orders yet).
CREATE TABLE positions (
    position_id     TEXT PRIMARY KEY,
    mint            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'active', 'closing', 'closed', 'failed')),
    launch          TEXT NOT NULL,
    expected_tokens INTEGER NOT NULL DEFAULT 0,
    bought_tokens   INTEGER NOT NULL DEFAULT 0,
    sold_tokens     INTEGER NOT NULL DEFAULT 0,
    pnl_lamports    INTEGER NOT NULL DEFAULT 0,
    exit_reason     TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '',
    opened_at       REAL NOT NULL,
    updated_at      REAL NOT NULL
);
CREATE INDEX positions_by_state ON positions (state);
CREATE INDEX positions_by_mint ON positions (mint);

-- The position journal, at its latest version (fresh databases are created from this file;
-- existing ones are brought here by migrations/NNN_*.sql, tracked in PRAGMA user_version).
-- Money and token amounts are integers; times are Unix seconds; orders are JSON.
CREATE TABLE IF NOT EXISTS positions (
    position_id     TEXT PRIMARY KEY,
    mint            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'active', 'closing', 'closed', 'failed')),
    launch          TEXT NOT NULL,               -- JSON of the Launch that opened it
    expected_tokens INTEGER NOT NULL DEFAULT 0,  -- fixed by the buy instruction, known before it lands
    bought_tokens   INTEGER NOT NULL DEFAULT 0,
    sold_tokens     INTEGER NOT NULL DEFAULT 0,
    pnl_lamports    INTEGER NOT NULL DEFAULT 0,
    exit_reason     TEXT NOT NULL DEFAULT '',
    exit_at         REAL NOT NULL DEFAULT 0,
    outcome         TEXT NOT NULL DEFAULT '',
    opened_at       REAL NOT NULL,
    updated_at      REAL NOT NULL,
    buy_order       TEXT,                        -- JSON Order, NULL until the buy is signed
    sell_orders     TEXT NOT NULL DEFAULT '[]',  -- JSON list of Orders, oldest first
    wallet          TEXT NOT NULL DEFAULT '',    -- owner pubkey of the wallet that trades it
    genesis_hash    TEXT NOT NULL DEFAULT ''     -- the chain it trades on ('' = unknown)
);
CREATE INDEX IF NOT EXISTS positions_by_state ON positions (state);
CREATE INDEX IF NOT EXISTS positions_by_mint ON positions (mint);

-- the last trade of each copy target seen on each chain (actors/copy_gaps.py)
CREATE TABLE IF NOT EXISTS copy_seen (
    target       TEXT NOT NULL,
    genesis_hash TEXT NOT NULL,
    signature    TEXT NOT NULL,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (target, genesis_hash)
);

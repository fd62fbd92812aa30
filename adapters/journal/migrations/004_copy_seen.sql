-- 004: the last trade of each copy target seen on each chain (genesis hash), so a restarted bot
-- counts the trades they made while it was down (actors/copy_gaps.py).
CREATE TABLE IF NOT EXISTS copy_seen (
    target       TEXT NOT NULL,
    genesis_hash TEXT NOT NULL,
    signature    TEXT NOT NULL,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (target, genesis_hash)
);

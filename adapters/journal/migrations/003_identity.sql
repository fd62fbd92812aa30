-- 003: whose position a row is: the wallet (owner pubkey) and the chain (genesis hash).
-- Rows written before this are '' (unknown): recovery reports them and never resumes them.
ALTER TABLE positions ADD COLUMN wallet TEXT NOT NULL DEFAULT '';
ALTER TABLE positions ADD COLUMN genesis_hash TEXT NOT NULL DEFAULT '';

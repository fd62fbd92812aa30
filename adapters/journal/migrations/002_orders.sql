-- 002: buy and sell orders as JSON columns, and when the exit was decided.
ALTER TABLE positions ADD COLUMN exit_at REAL NOT NULL DEFAULT 0;
ALTER TABLE positions ADD COLUMN buy_order TEXT;
ALTER TABLE positions ADD COLUMN sell_orders TEXT NOT NULL DEFAULT '[]';

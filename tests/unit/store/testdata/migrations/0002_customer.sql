-- Two statements, a comment, and bytes that must arrive unchanged: «王小明» \ "quoted" )"
ALTER TABLE shop_orders ADD COLUMN customer TEXT NOT NULL DEFAULT '';
CREATE INDEX shop_orders_by_customer ON shop_orders (customer, key);

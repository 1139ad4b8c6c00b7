DROP TABLE IF EXISTS device_purchase_order_items;

--bun:split

DROP TABLE IF EXISTS device_purchase_orders;

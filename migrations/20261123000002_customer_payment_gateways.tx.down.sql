DROP TABLE IF EXISTS convenience_fees;

--bun:split

DROP TABLE IF EXISTS payment_gateway_payment_types;

--bun:split

DROP TABLE IF EXISTS payment_gateway_applications;

--bun:split

DROP TABLE IF EXISTS payment_gateway_bill_types;

--bun:split

DROP TABLE IF EXISTS customer_payment_gateways;

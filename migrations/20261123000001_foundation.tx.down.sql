DROP TABLE IF EXISTS audit_log;

--bun:split

DROP TABLE IF EXISTS connector_configurations;

--bun:split

DROP TABLE IF EXISTS connectors;

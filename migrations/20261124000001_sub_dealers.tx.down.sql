DROP TABLE IF EXISTS sub_dealer_users;

--bun:split

DROP TABLE IF EXISTS sub_dealers;

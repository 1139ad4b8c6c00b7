-- Text limits: every text column the API writes holds at most as many characters as its rule in
-- Go allows (models/rules.go, README "Limits"), and every array at most 500 items, so that a
-- value that slips past the rules is refused by the database rather than stored.
ALTER TABLE connector_configurations
    ADD CONSTRAINT connector_configurations_username_length CHECK (char_length(username) <= 200),
    ADD CONSTRAINT connector_configurations_terminal_id_length CHECK (char_length(terminal_id) <= 100),
    ADD CONSTRAINT connector_configurations_store_id_length CHECK (char_length(store_id) <= 100),
    ADD CONSTRAINT connector_configurations_api_endpoint_url_length CHECK (char_length(api_endpoint_url) <= 2048),
    ADD CONSTRAINT connector_configurations_three_d_secure_endpoint_url_length CHECK (char_length(three_d_secure_endpoint_url) <= 2048),
    ADD CONSTRAINT connector_configurations_bank_code_length CHECK (char_length(bank_code) <= 50);

--bun:split

ALTER TABLE customer_payment_gateways
    ADD CONSTRAINT customer_payment_gateways_merchant_id_length CHECK (char_length(merchant_id) <= 100),
    ADD CONSTRAINT customer_payment_gateways_display_name_length CHECK (char_length(display_name) <= 200);

--bun:split

ALTER TABLE payment_gateway_payment_types
    ADD CONSTRAINT payment_gateway_payment_types_payment_type_length CHECK (char_length(payment_type) <= 50);

--bun:split

ALTER TABLE convenience_fees
    ADD CONSTRAINT convenience_fees_payment_type_length CHECK (char_length(payment_type) <= 50);

--bun:split

ALTER TABLE sub_dealers
    ADD CONSTRAINT sub_dealers_main_dealer_code_length CHECK (char_length(main_dealer_code) <= 50),
    ADD CONSTRAINT sub_dealers_code_length CHECK (char_length(code) <= 50),
    ADD CONSTRAINT sub_dealers_erp_code_length CHECK (char_length(erp_code) <= 50),
    ADD CONSTRAINT sub_dealers_name_length CHECK (char_length(name) <= 200),
    ADD CONSTRAINT sub_dealers_address_length CHECK (char_length(address) <= 500),
    ADD CONSTRAINT sub_dealers_city_code_length CHECK (char_length(city_code) <= 50),
    ADD CONSTRAINT sub_dealers_district_code_length CHECK (char_length(district_code) <= 50),
    ADD CONSTRAINT sub_dealers_phone_length CHECK (char_length(phone) <= 32),
    ADD CONSTRAINT sub_dealers_tax_number_length CHECK (char_length(tax_number) <= 50),
    ADD CONSTRAINT sub_dealers_tax_office_length CHECK (char_length(tax_office) <= 200),
    ADD CONSTRAINT sub_dealers_payment_ex_currency_type_length CHECK (char_length(payment_ex_currency_type) <= 50),
    ADD CONSTRAINT sub_dealers_usable_payment_set_definition_ids_items CHECK (cardinality(usable_payment_set_definition_ids) <= 500),
    ADD CONSTRAINT sub_dealers_customer_representative_ids_items CHECK (cardinality(customer_representative_ids) <= 500);

--bun:split

ALTER TABLE sub_dealer_users
    ADD CONSTRAINT sub_dealer_users_code_length CHECK (char_length(code) <= 50),
    ADD CONSTRAINT sub_dealer_users_name_length CHECK (char_length(name) <= 200),
    ADD CONSTRAINT sub_dealer_users_surname_length CHECK (char_length(surname) <= 200),
    ADD CONSTRAINT sub_dealer_users_email_length CHECK (char_length(email) <= 254),
    ADD CONSTRAINT sub_dealer_users_gsm_length CHECK (char_length(gsm) <= 32),
    ADD CONSTRAINT sub_dealer_users_title_length CHECK (char_length(title) <= 200),
    ADD CONSTRAINT sub_dealer_users_description_length CHECK (char_length(description) <= 1000),
    ADD CONSTRAINT sub_dealer_users_erp_code_length CHECK (char_length(erp_code) <= 50),
    ADD CONSTRAINT sub_dealer_users_payment_ex_currency_type_length CHECK (char_length(payment_ex_currency_type) <= 50),
    ADD CONSTRAINT sub_dealer_users_tax_number_length CHECK (char_length(tax_number) <= 50),
    ADD CONSTRAINT sub_dealer_users_tax_office_length CHECK (char_length(tax_office) <= 200),
    ADD CONSTRAINT sub_dealer_users_roles_items CHECK (cardinality(roles) <= 500),
    ADD CONSTRAINT sub_dealer_users_rule_names_items CHECK (cardinality(rule_names) <= 500);

--bun:split

ALTER TABLE device_purchase_orders
    ADD CONSTRAINT device_purchase_orders_dealer_code_length CHECK (char_length(dealer_code) <= 50),
    ADD CONSTRAINT device_purchase_orders_payment_type_length CHECK (char_length(payment_type) <= 50),
    ADD CONSTRAINT device_purchase_orders_shipping_method_gateway_id_length CHECK (char_length(shipping_method_gateway_id) <= 100),
    ADD CONSTRAINT device_purchase_orders_shipping_address_line1_length CHECK (char_length(shipping_address_line1) <= 500),
    ADD CONSTRAINT device_purchase_orders_shipping_address_line2_length CHECK (char_length(shipping_address_line2) <= 500),
    ADD CONSTRAINT device_purchase_orders_shipping_address_city_length CHECK (char_length(shipping_address_city) <= 200),
    ADD CONSTRAINT device_purchase_orders_shipping_address_postal_code_length CHECK (char_length(shipping_address_postal_code) <= 20),
    ADD CONSTRAINT device_purchase_orders_shipping_address_state_length CHECK (char_length(shipping_address_state) <= 200),
    ADD CONSTRAINT device_purchase_orders_shipping_company_length CHECK (char_length(shipping_company) <= 200),
    ADD CONSTRAINT device_purchase_orders_shipping_email_length CHECK (char_length(shipping_email) <= 254),
    ADD CONSTRAINT device_purchase_orders_shipping_name_length CHECK (char_length(shipping_name) <= 200),
    ADD CONSTRAINT device_purchase_orders_shipping_phone_length CHECK (char_length(shipping_phone) <= 32);

--bun:split

ALTER TABLE device_purchase_order_items
    ADD CONSTRAINT order_items_product_gateway_country_product_id_length CHECK (char_length(product_gateway_country_product_id) <= 100),
    ADD CONSTRAINT order_items_product_gateway_product_gateway_id_length CHECK (char_length(product_gateway_product_gateway_id) <= 100),
    ADD CONSTRAINT order_items_product_gateway_product_status_length CHECK (char_length(product_gateway_product_status) <= 50),
    ADD CONSTRAINT order_items_product_gateway_product_type_length CHECK (char_length(product_gateway_product_type) <= 50),
    ADD CONSTRAINT order_items_product_gateway_product_id_length CHECK (char_length(product_gateway_product_id) <= 100),
    ADD CONSTRAINT order_items_product_name_length CHECK (char_length(product_name) <= 200),
    ADD CONSTRAINT order_items_product_description_length CHECK (char_length(product_description) <= 1000),
    ADD CONSTRAINT order_items_product_image_url_length CHECK (char_length(product_image_url) <= 2048),
    ADD CONSTRAINT order_items_product_status_length CHECK (char_length(product_status) <= 50);

-- Drops the text and array limits.
ALTER TABLE connector_configurations
    DROP CONSTRAINT connector_configurations_username_length,
    DROP CONSTRAINT connector_configurations_terminal_id_length,
    DROP CONSTRAINT connector_configurations_store_id_length,
    DROP CONSTRAINT connector_configurations_api_endpoint_url_length,
    DROP CONSTRAINT connector_configurations_three_d_secure_endpoint_url_length,
    DROP CONSTRAINT connector_configurations_bank_code_length;

--bun:split

ALTER TABLE customer_payment_gateways
    DROP CONSTRAINT customer_payment_gateways_merchant_id_length,
    DROP CONSTRAINT customer_payment_gateways_display_name_length;

--bun:split

ALTER TABLE payment_gateway_payment_types
    DROP CONSTRAINT payment_gateway_payment_types_payment_type_length;

--bun:split

ALTER TABLE convenience_fees
    DROP CONSTRAINT convenience_fees_payment_type_length;

--bun:split

ALTER TABLE sub_dealers
    DROP CONSTRAINT sub_dealers_main_dealer_code_length,
    DROP CONSTRAINT sub_dealers_code_length,
    DROP CONSTRAINT sub_dealers_erp_code_length,
    DROP CONSTRAINT sub_dealers_name_length,
    DROP CONSTRAINT sub_dealers_address_length,
    DROP CONSTRAINT sub_dealers_city_code_length,
    DROP CONSTRAINT sub_dealers_district_code_length,
    DROP CONSTRAINT sub_dealers_phone_length,
    DROP CONSTRAINT sub_dealers_tax_number_length,
    DROP CONSTRAINT sub_dealers_tax_office_length,
    DROP CONSTRAINT sub_dealers_payment_ex_currency_type_length,
    DROP CONSTRAINT sub_dealers_usable_payment_set_definition_ids_items,
    DROP CONSTRAINT sub_dealers_customer_representative_ids_items;

--bun:split

ALTER TABLE sub_dealer_users
    DROP CONSTRAINT sub_dealer_users_code_length,
    DROP CONSTRAINT sub_dealer_users_name_length,
    DROP CONSTRAINT sub_dealer_users_surname_length,
    DROP CONSTRAINT sub_dealer_users_email_length,
    DROP CONSTRAINT sub_dealer_users_gsm_length,
    DROP CONSTRAINT sub_dealer_users_title_length,
    DROP CONSTRAINT sub_dealer_users_description_length,
    DROP CONSTRAINT sub_dealer_users_erp_code_length,
    DROP CONSTRAINT sub_dealer_users_payment_ex_currency_type_length,
    DROP CONSTRAINT sub_dealer_users_tax_number_length,
    DROP CONSTRAINT sub_dealer_users_tax_office_length,
    DROP CONSTRAINT sub_dealer_users_roles_items,
    DROP CONSTRAINT sub_dealer_users_rule_names_items;

--bun:split

ALTER TABLE device_purchase_orders
    DROP CONSTRAINT device_purchase_orders_dealer_code_length,
    DROP CONSTRAINT device_purchase_orders_payment_type_length,
    DROP CONSTRAINT device_purchase_orders_shipping_method_gateway_id_length,
    DROP CONSTRAINT device_purchase_orders_shipping_address_line1_length,
    DROP CONSTRAINT device_purchase_orders_shipping_address_line2_length,
    DROP CONSTRAINT device_purchase_orders_shipping_address_city_length,
    DROP CONSTRAINT device_purchase_orders_shipping_address_postal_code_length,
    DROP CONSTRAINT device_purchase_orders_shipping_address_state_length,
    DROP CONSTRAINT device_purchase_orders_shipping_company_length,
    DROP CONSTRAINT device_purchase_orders_shipping_email_length,
    DROP CONSTRAINT device_purchase_orders_shipping_name_length,
    DROP CONSTRAINT device_purchase_orders_shipping_phone_length;

--bun:split

ALTER TABLE device_purchase_order_items
    DROP CONSTRAINT order_items_product_gateway_country_product_id_length,
    DROP CONSTRAINT order_items_product_gateway_product_gateway_id_length,
    DROP CONSTRAINT order_items_product_gateway_product_status_length,
    DROP CONSTRAINT order_items_product_gateway_product_type_length,
    DROP CONSTRAINT order_items_product_gateway_product_id_length,
    DROP CONSTRAINT order_items_product_name_length,
    DROP CONSTRAINT order_items_product_description_length,
    DROP CONSTRAINT order_items_product_image_url_length,
    DROP CONSTRAINT order_items_product_status_length;

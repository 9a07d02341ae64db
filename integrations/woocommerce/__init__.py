"""WooCommerce: order payloads as `OrderData` and the redelivery key (`payloads`). Signatures:
`integrations.signatures`, shared with Shopify."""

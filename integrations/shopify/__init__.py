"""Shopify: webhook payloads as `CartData`/`OrderData` (`payloads`), the Admin GraphQL API client (`admin_api`)
and its `AbandonedCheckout` nodes through the webhooks' own mapping (`graphql_checkouts`). Webhook signatures are
checked by `integrations.signatures`, shared with WooCommerce."""

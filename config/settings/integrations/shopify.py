"""Shopify: the app's API secret signs every webhook (a store may override it)."""

from config.env import env_str

# Development default, documented in the README; production requires the variable.
# B105: the documented development default; production requires the variable.
DEVELOPMENT_SHOPIFY_API_SECRET = "dev-shopify-secret-not-for-production"  # nosec B105
SHOPIFY_API_SECRET = env_str("SHOPIFY_API_SECRET", DEVELOPMENT_SHOPIFY_API_SECRET)

# Where the Admin API is reached: blank means each store's own https://{shop_domain}. Only tests point it at a
# local stand-in; it is deliberately not read from the environment, so no deployment can send a store's access
# token anywhere else.
SHOPIFY_ADMIN_BASE_URL = ""

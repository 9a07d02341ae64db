"""Provider code the apps call: Shopify, WooCommerce and Twilio clients, their signature checks (each written
once) and the mapping of their payloads to the plain data classes of `integrations.data`.

It sits below the apps and above `core`: it imports no app (import-linter's layers contract in pyproject.toml), so a
mapping returns `CartData`/`OrderData` and the app that called it stores them.
"""

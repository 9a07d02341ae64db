"""The demo: `manage.py seed_demo` (stores, users and 90 days of history across every app) and `manage.py
run_product` (the whole product in one command). The top layer: it touches every app, and no app imports it."""

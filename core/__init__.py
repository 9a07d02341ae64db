"""The bottom layer every app may import: access (roles), request and input helpers, domain errors, CSV output,
field encryption and the database devices under `core.db`. It imports no app of the product (see
docs/architecture.md); import-linter's layers contract in `make lint` keeps it so."""

"""Soak: the running product for a bounded time, 50 agents working the queue while stores send 100 webhooks/s.

Run with `make bench-soak` (BENCH_ARGS="--smoke" for a run of about a minute: 15 s at 10 webhooks/s, 5 agents) or
`.venv/bin/python -m bench.soak --help`. One run:

1. holds the embedded PostgreSQL and Redis and works in the benchmarks' scratch database (`cart_recovery_bench`, or
   BENCH_DATABASE_URL; never the development database): migrates and empties it, creates three Shopify stores
   (the bench store and two more, each with its own webhook secret, abandonment delay 20 s, 10 s with a payment
   failure) and --agents Recovery specialists (default 50; one in ten works one store only, one in four speaks
   Spanish too), each signed in with a session and a CSRF cookie made in the session store;
2. starts the product as production runs it: gunicorn serving `config.wsgi` to the agents (--workers sync workers,
   default 4) and a second one, the webhook intake, that the stores send to (--intake-workers, default 2), both
   with `bench.common.settings` and an access log of each request's kind, status and time; a Celery worker for
   ingestion's queue (2 processes) and one for the default queue (1), their task processes at `WORKER_NICENESS`,
   Celery beat and the inbox dispatcher; mail and texts go nowhere (locmem, a temporary file);
3. every agent opens the console and says available; then the stores' signed `checkouts/create` and
   `checkouts/update` deliveries (bench/soak/stores.py: real payload shapes and signatures, 4% redeliveries and 1%
   replays, updates of the same checkout, numbers in area codes inside their calling hours, 1% of them on a fresh
   national DNC list) go out at --rate per second (default 100) for --duration seconds (default 120) on up to
   --store-connections at once (default 64), each stamped with the time it is due, while the agents work the
   queue through the console's HTTP endpoints as the browser does (bench/soak/agents.py: Next cart, the cart
   screen, Dial on the offline line, line polls, the five steps or a quick wrap-up, sometimes the link by email,
   hang up, the wrap-up and the next cart; 0.3-1.0 s between actions); at the end no new cart is taken and the
   calls in hand get --grace seconds to be wrapped up;
4. waits for the worker to process everything (--drain-timeout), then checks the database against what was sent
   and what the agents saw (bench/soak/verify.py): every event stored once and processed, one cart per store and
   checkout token with its last update, every call recorded and wrapped up, one voice attempt per dial, no cart
   held by two agents at once (the calls' history and the agents' own timestamps);
5. prints latency p50/p95/p99 for the webhooks (from the time each was due) and for each kind of agent request
   (client-side, and gunicorn's own time), the errors by status and the CPU other processes took, writes
   bench/results/soak-<time>.json and exits non-zero when a target is missed: the stores' rate kept (and every
   webhook answered within Shopify's 5 s), zero errors, nothing lost or duplicated, no double assignment.

Everything it started is stopped when it ends, Ctrl-C included, and the scratch data is emptied (unless --keep-data).
The agents are threads of this process and the stores' client is a process of its own, all sharing the
machine's cores with the product.
"""

"""Call-console benchmark: the cart screen and the step partials for 50 agents on 1,000,000 carts.

Run with `make bench-console` (BENCH_ARGS="--smoke" for a run of under a minute on 20,000 carts) or
`.venv/bin/python -m bench.console --help`. One run:

1. holds the embedded PostgreSQL and Redis and works in the benchmarks' scratch database (`cart_recovery_bench`, or
   BENCH_DATABASE_URL; never the development database), loads --carts carts (default 1,000,000) and --agents
   agents (default 50) with the work-queue benchmark's loader (bench/work_queue/setup.py: COPY, a realistic mix, a
   fresh national DNC list), puts the agents in "Recovery specialists" and gives each store a few value points;
2. gives every agent an open call as the product does: `call_take_next` at the queue benchmark's fixed instant (a
   weekday 19:00 UTC, inside every area code's calling hours), then `call_dial` (offline line, the gate asked at that
   instant) and the answer "reached", so the call waits at step 2; each call's cart gets 12-60 rows of history days
   earlier (5-29 contact attempts with the gate's decisions, recovery messages, cart events, earlier calls with
   notes; bench/console/data.py); each agent gets a session and a CSRF cookie made directly in the session store;
3. counts SQL queries in this process (Django's test Client, `CaptureQueriesContext`) for the cart screen, each step
   partial and the line partial, on carts with 0, 10, 100 and 1,000 history rows, and keeps the plans (EXPLAIN
   ANALYZE) of the cart screen's statements (bench/console/queries.py);
4. starts gunicorn (2 sync workers, `bench.common.settings`) with an access log of each request's own time, and runs two
   phases of --duration seconds (default 30), each agent a thread on the same calls (bench/console/load.py):
   saturated (the next request the moment the last one answered: cart screen, steps 2 -> 3 -> 4 -> 5 and back to
   2, a line poll between each) and paced (one action every ~2 s, a line poll every second, as a person at the
   console); the cart screen's compliance panel asks the gate on the real clock (whatever it answers, it is the
   same one statement), nothing is dialed during the phases;
5. prints server time (gunicorn's) and client latency p50/p95/p99 per request kind, the query table and the
   slowest statements with their plans, writes bench/results/console-<time>.json and exits non-zero when a target
   is missed: cart screen and step partial server p95 under 50 ms in both phases, the same query count for every
   history size, every request answered 200.

Everything it started is stopped when it ends, Ctrl-C included, and the scratch data is emptied (unless --keep-data).
The client threads share the machine's two cores with gunicorn and PostgreSQL; each phase says how much CPU other
processes took.
"""

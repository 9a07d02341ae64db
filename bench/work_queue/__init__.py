"""Work-queue benchmark: `next_cart` for 50 agents on 1,000,000 carts, against a bare SKIP LOCKED pop.

Run with `make bench-queue` (BENCH_ARGS="--smoke" for a run of under a minute on 20,000 carts) or
`.venv/bin/python -m bench.work_queue --help`. One run:

1. holds the embedded PostgreSQL and Redis and works in the ingestion benchmark's scratch database
   (`cart_recovery_bench`, or BENCH_DATABASE_URL; never the development database): migrates and empties it;
2. loads --carts carts (default 1,000,000) of a realistic mix with COPY: 5 stores, 750,000 customers with
   valid US numbers over 34 area codes, 12% of carts open, about half of those call first, some held, some
   called and waiting for their next call, some due again (see bench/work_queue/data.py); a national DNC list
   (fresh, 1% of the customers on it) and --agents agents (default 50; one in ten works one store only,
   one in five speaks Spanish), then VACUUM ANALYZE;
3. three phases of --duration seconds (default 20), each from the same queue (it is put back and vacuumed
   between them), all at one fixed instant, a weekday 19:00 UTC when every area code is inside its calling
   hours (`next_cart(now=...)`; the floor compares with the same instant):
   the floor: one thread per agent, each on its own psycopg connection, popping with a bare
   `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)` in a tight loop;
   `next_cart` saturated: one thread per agent, each its own Django connection, in a tight loop;
   `next_cart` paced: each agent asks about once every 2 seconds;
   in every phase the agents are dealt over --processes worker processes (default 5, so 10 threads each),
   as gunicorn's workers serve agents, started afresh for the phase; their clocks start together;
   after each pop, outside the timing, the agent makes the call: the cart gets one more attempt, its next
   call 5 hours on, and its lease back (what `cart_attempt_record` and `cart_release` do), so every pop
   takes a fresh cart for the floor and `next_cart` alike (bench/work_queue/load.py);
4. webhook to agent: starts gunicorn (2 sync workers, `bench.common.settings`), the inbox dispatcher and a Celery
   worker, and sends --probes signed Shopify `checkouts/create` deliveries (default 300) one at a time, each
   already quiet for the abandonment delay and with a declined payment, for customers in a state where it
   is calling time now; a waiting agent who works only that store polls `next_cart` every 50 ms; each is
   timed from sending the request to `next_cart` returning that cart (bench/work_queue/webhook.py);
5. checks that no cart was handed to two agents, prints a table, writes bench/results/queue-<time>.json with
   the plans (EXPLAIN ANALYZE) of next_cart's candidate query, and exits non-zero when a target is missed.

Everything it started is stopped when it ends, Ctrl-C included, and the scratch data is emptied (unless
--keep-data). The client processes share the machine's two cores with PostgreSQL, for the floor and for
`next_cart` alike, so compare the ratio, not the raw latencies. `python -m bench.work_queue.profile` then times one
agent's pops on the kept data (Python and PostgreSQL per call, cProfile).
"""

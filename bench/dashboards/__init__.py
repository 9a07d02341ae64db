"""Dashboards benchmark: the 30/60/90-day dashboard and the live view on 1,000,000 carts and 5,000,000 attempts.

Run with `make bench-dashboards` (BENCH_ARGS="--smoke" for a run of under a minute on 5,000 carts) or
`.venv/bin/python -m bench.dashboards --help`. One run:

1. holds the embedded PostgreSQL and Redis and works in the benchmarks' scratch database (`cart_recovery_bench`, or
   BENCH_DATABASE_URL; never the development database); makes 5 stores, --agents agents (default 50, specialists
   with an hourly cost) and --supervisors supervisors (default 8), each signed in with a session;
2. generates 120 days of the operation and loads it with COPY (bench/dashboards/data.py): --carts carts (default
   1,000,000; routes, statuses, a 5% control group, credited recoveries), about --attempts contact attempts (default
   5,000,000) each with the gate's decision, a call for every voice attempt (about 1,000,000, with the script's step
   times, frictions and offers) and the agents' status log (shifts, and on a call / wrap-up / available around every
   call, as the console records it), then VACUUM ANALYZE;
3. builds the daily roll-ups from the loaded data, times beat's refreshes (today; the recent days), and checks the
   30-day numbers added up from them against the raw rows' (bench/dashboards/rollups.py);
4. in this process: times each section of the dashboard (every metric of the six windows, each breakdown, the funnel)
   and of the live view, with its SQL statements and their times (`CaptureQueriesContext`), renders the whole pages
   through Django's test Client (no filter, a store, an agent, the live panel), and keeps the plans (EXPLAIN
   (ANALYZE, BUFFERS)) of the slowest statements (bench/dashboards/measure.py);
5. starts gunicorn (2 sync workers, `bench.common.settings`, a 15-minute timeout so a slow page is measured, not killed)
   with an access log of each request's own time; for --duration seconds (default 30) each supervisor keeps the live
   view open (its panel polled every 5 s, as htmx does) and opens the dashboard again every 2-5 s of reading, in turn
   without a filter, for one store and for one agent (bench/dashboards/load.py); then the CSV downloads, one at a time;
   meanwhile a thread rebuilds today's roll-ups every minute, as beat does;
6. prints server time (gunicorn's) p50/p95/p99 per request, the roll-ups' figures, the slowest sections and
   statements, writes bench/results/dashboards-<time>.json (sections, statements, plans) and exits non-zero when
   the target is missed: dashboard server time p95 under 300 ms (with and without filters), every request answered,
   the roll-ups' numbers equal to the raw rows'.

Everything it started is stopped when it ends, Ctrl-C included, and the scratch data is emptied (unless --keep-data).
"""

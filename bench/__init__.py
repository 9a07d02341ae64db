"""The benchmarks: one package per benchmark, each run as `python -m bench.<name>` from the project root.

`bench.common` holds what they share (the scratch database, the processes they start, the load generators, the
CPU meter, the run's frame and verdict, the Django settings and URLs their gunicorn serves). The benchmarks:
`bench.ingest` (webhooks into gunicorn), `bench.work_queue` (`next_cart`; not `queue`, which would stand in for
the standard library's module), `bench.console` (the call console's screens), `bench.dashboards`, `bench.soak`
(the whole product under load) and `bench.dnc` (the registry import and the gate). Each takes `--smoke`: a run of
seconds on small data that `make test` makes (tests/bench/), so a change that breaks a benchmark fails CI.
bench/README.md gives each one's command, method, targets and latest figures.
"""

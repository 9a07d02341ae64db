"""The ingest benchmark: run with `python -m bench.ingest`; bench/ingest/run.py describes the run."""

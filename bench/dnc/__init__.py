"""The dnc benchmark: run with `python -m bench.dnc`; bench/dnc/run.py describes the run."""

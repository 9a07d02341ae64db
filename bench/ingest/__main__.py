"""`python -m bench.ingest`: the ingest benchmark, described in bench/ingest/run.py."""

from __future__ import annotations

import sys

from bench.ingest import run

if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:]))

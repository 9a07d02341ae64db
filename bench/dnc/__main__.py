"""`python -m bench.dnc`: the dnc benchmark, described in bench/dnc/run.py."""

from __future__ import annotations

import sys

from bench.dnc import run

if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:]))

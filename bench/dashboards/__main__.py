"""`python -m bench.dashboards`: the dashboards benchmark, described in bench/dashboards/__init__.py."""

from __future__ import annotations

import sys

import bench.dashboards
from bench.dashboards import run

# Guarded: the worker processes multiprocessing starts import this module again, under another name.
if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:], description=bench.dashboards.__doc__))

"""`python -m bench.console`: the call-console benchmark, described in bench/console/__init__.py."""

from __future__ import annotations

import sys

import bench.console
from bench.console import run

# Guarded: the worker processes multiprocessing starts import this module again, under another name.
if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:], description=bench.console.__doc__))

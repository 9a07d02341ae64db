"""`python -m bench.soak`: the soak benchmark, described in bench/soak/__init__.py."""

from __future__ import annotations

import sys

import bench.soak
from bench.soak import run

# Guarded: the worker processes multiprocessing starts import this module again, under another name.
if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:], description=bench.soak.__doc__))

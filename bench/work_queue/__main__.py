"""`python -m bench.work_queue`: the work-queue benchmark, described in bench/work_queue/__init__.py."""

from __future__ import annotations

import sys

import bench.work_queue
from bench.work_queue import run

# Guarded: the worker processes multiprocessing starts import this module again, under another name.
if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:], description=bench.work_queue.__doc__))

"""A benchmark's command line: its arguments with `--smoke`, and the paths it prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common import REPO_ROOT

SMOKE_HELP = ("a run of seconds on small data ({sizes}), as `make test` makes it: missed performance targets are "
              "reported but do not fail it, any error or failed correctness check does; BENCH_RESULTS_DIR sets "
              "where its results go")


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None, *, smoke: dict) -> argparse.Namespace:
    """The parser's arguments plus `--smoke`, whose sizes (`smoke`, by destination) replace the defaults; a flag
    given on the command line still wins over them."""
    sizes = ", ".join(f"--{name.replace('_', '-')} {value:g}" if isinstance(value, int | float) and
                      not isinstance(value, bool) else f"--{name.replace('_', '-')}" for name, value in smoke.items())
    main = sys.modules["__main__"].__spec__
    if main is not None:  # run with -m: the usage line shows the command, not "__main__.py"
        parser.prog = f"python -m {main.name.removesuffix('.__main__')}"
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP.format(sizes=sizes))
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args


def shown(path: Path) -> str:
    """A path as the run prints it: from the project root when it is inside it (bench/results/...)."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)

"""Settings for the `import_dnc` processes the DNC benchmark runs: the bench settings, with the rejected-lines
reports kept apart, because the bench database numbers its imports from 1 like the development one does."""

from __future__ import annotations

from bench.common.settings import *  # noqa: F403
from config.embedded import VAR_DIR

DNC_REPORTS_DIR = VAR_DIR / "bench" / "dnc-reports"

"""Settings entry point: `DEBUG=0` selects production, anything else development.

Tests use `config.settings.test` explicitly (see pytest.ini).
"""

from config.env import env_bool

if env_bool("DEBUG", True):
    from config.settings.development import *  # noqa: F403
else:
    from config.settings.production import *  # noqa: F403

"""Settings for the real Celery workers the worker-crash tests start and kill.

Development's settings with DATABASE_URL (the test database) and REDIS_URL (a private Redis) from the
environment, emails recorded to a file, and a short broker visibility timeout so a message a killed worker
held is handed out again within seconds instead of production's hour.
"""

from config.settings.development import *  # noqa: F403

DEBUG = False
EMAIL_BACKEND = "tests.reliability.outbox.RecordingEmailBackend"
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 2}  # noqa: F405

"""Settings for the test suite: the real settings, fed test-only environment defaults first."""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "false")
# A Redis database of its own, so clearing the cache between tests touches nothing else.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Production settings otherwise (DEBUG off), but the test client speaks plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# The concurrency tests file hundreds of dossiers from one account within a second; the throttle
# tests (tests/security/test_throttling.py) set low rates of their own.
os.environ.setdefault("THROTTLE_SUBMISSION", "100000/min")
os.environ.setdefault("THROTTLE_REGISTRATION", "100000/min")
os.environ.setdefault("THROTTLE_PORTAL_SUBMISSION", "100000/min")

from config.settings import *  # noqa: F403
from config.settings import CACHES, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
CACHES["default"]["KEY_PREFIX"] = "onestop-test"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", "/tmp/onestop-test-media")

if os.environ.get("TEST_DATABASE_NAME"):  # lets two suites run side by side on one server
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}  # noqa: F405

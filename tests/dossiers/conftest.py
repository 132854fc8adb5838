"""The dossier fixtures live in tests/dossier_fixtures.py (shared with other suites); helpers re-exported."""
from tests.dossier_fixtures import *  # noqa: F403

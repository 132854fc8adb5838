"""Run in a subprocess by tests/search/test_fold.py: the same searches on SQLite (the `make run` database).

Prints one JSON object: search text -> what each selector found.
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["ALLOWED_HOSTS"] = "testserver"

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.search.cases import QUEUE_SEARCHES, run_searches, seed_names  # noqa: E402

call_command("migrate", verbosity=0)
call_command("load_demo", "--no-tokens", stdout=open(os.devnull, "w"))
seed_names()
print(json.dumps(run_searches(QUEUE_SEARCHES), ensure_ascii=False, sort_keys=True))

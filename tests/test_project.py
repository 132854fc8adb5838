"""The project's own promises: the README's two commands, CI calling the same one, the schema."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    assert readme.index("make run") < 200


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    last_command = [line for line in ci.strip().splitlines() if line and not line.startswith("#")][-1]
    assert last_command == "make test"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: install\n\t\$\(BIN\)/python -m pytest$", makefile, re.M)


def test_domain_core_imports_no_framework():
    for path in (ROOT / "onestop").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(django|rest_framework|celery)\b", source, re.M), path


@pytest.mark.django_db
def test_committed_openapi_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--file", str(generated), "--validate", "--fail-on-warn"],
        cwd=ROOT,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": "/usr/bin:/bin"},
    )
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert generated.read_text(encoding="utf-8") == committed, "API changed: run `make schema` and commit"


@pytest.mark.django_db
def test_schema_and_swagger_are_served(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/procedures/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # served from our static files

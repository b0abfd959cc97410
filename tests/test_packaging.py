"""The app installed the standard way: a wheel built from the checkout carries its templates, static
files, migrations and compiled catalogs, migrates an empty database and answers in Chinese, with no
`make` and no source tree behind it (issue 9: installed by `pip install .`, the app spoke English)."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tracker import PROJECT_ROOT

CHECK = r"""
import sys, tracker
from pathlib import Path
assert Path(tracker.__file__).is_relative_to(sys.argv[1]), tracker.__file__
from flask_migrate import upgrade
app = tracker.create_app({"SECRET_KEY": "x" * 32})  # SQLite in TRACKER_INSTANCE_PATH
with app.app_context():
    upgrade()
client = app.test_client()
page = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
css = client.get("/static/vendor/bootstrap/bootstrap.min.css")
print("STATUS", css.status_code)
print(page)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # From a copy without build output, compiled catalogs or a venv, as a clean clone is: a build/ left by
    # an earlier build (or .mo files from `make translations`) would hide a wheel that lacks them.
    source = tmp_path_factory.mktemp("source") / "tracker"
    shutil.copytree(PROJECT_ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "instance", "__pycache__", "*.mo", "test-results", "bench"))
    # Built as pip builds any package: in an isolated environment with pyproject.toml's build requirements.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=300)
    (built,) = out.glob("tracker-*.whl")
    return built


def test_the_wheel_carries_compiled_catalogs_and_everything_the_app_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tracker/translations/zh/LC_MESSAGES/messages.mo" in names
    assert "tracker/templates/base.html" in names
    assert "tracker/static/vendor/bootstrap/bootstrap.min.css" in names
    assert "tracker/migrations/env.py" in names
    assert any(name.startswith("tracker/migrations/versions/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_installed_wheel_migrates_and_answers_in_chinese(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=300)
    assert (target / "tracker/translations/zh/LC_MESSAGES/messages.mo").stat().st_size > 0
    # Run outside the checkout, the installed copy first on the path; dependencies come from this venv.
    env = {**os.environ, "PYTHONPATH": str(target), "TRACKER_INSTANCE_PATH": str(tmp_path / "instance")}
    env = {key: value for key, value in env.items() if key not in ("TRACKER_DATABASE_URL", "TRACKER_ENV")}
    result = subprocess.run([sys.executable, "-c", CHECK, str(target)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "STATUS 200" in result.stdout
    assert "登录" in result.stdout and "Sign in" not in result.stdout

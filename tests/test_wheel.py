"""The package as a user gets it: the project's own `python -m build`, the wheel installed into a fresh
virtual environment outside the checkout, and `mantis demo` run there, in a folder with no plans/.

The new environment installs only the wheel (`--no-deps`) and borrows this one's installed
dependencies through a .pth line, so nothing is downloaded; the wheel's `mantis` comes first on its path,
and the test checks that it is the one imported."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from tests.conftest import REPO

from mantis.plans.library import default_plans_dir, packaged_library

DEMO_TIMEOUT_S = 600
WHERE = "from mantis.plans.library import default_plans_dir"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("*.whl")
    return built


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MANTIS_", "VIRTUAL_ENV", "PYTHON"))}
    return {**env, **extra}


def test_the_wheel_carries_plans_suites_demo_sites_and_console(wheel: Path) -> None:
    assert wheel.name.startswith("mantis_browser_runs-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "mantis/library/plans/example/extract_listings.json",
        "mantis/library/plans/example/hn_top5.json",
        "mantis/library/tasks/crm/crm_tasks.json",
        "mantis/demo/marketplace.py",
        "mantis/console/templates/run.html",
        "mantis/console/static/api.js",
        "mantis/store/migrations/versions/0001_initial_schema.py",
    ):
        assert name in names, name


def test_mantis_demo_runs_from_a_fresh_venv_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    where = subprocess.run(
        [python, "-c", f"import mantis; {WHERE}; print(mantis.__file__, default_plans_dir())"],
        cwd=folder,
        env=clean_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert where[0].startswith(str(venv)) and where[1].startswith(str(venv)), where
    assert (Path(where[1]) / "tasks" / "crm" / "crm_tasks.json").is_file()

    demo = subprocess.run(
        [venv / "bin" / "mantis", "demo", "--no-record-video"],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:] + log_of(folder)
    assert "viable" in demo.stdout and "Succeeded" in demo.stdout
    assert (folder / ".mantis" / "local-token").is_file()


def log_of(folder: Path) -> str:
    log = folder / ".mantis" / "server.log"
    return log.read_text()[-3000:] if log.exists() else ""


def test_the_library_named_else_here_else_packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MANTIS_PLANS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_plans_dir() == packaged_library()
    assert (default_plans_dir() / "plans" / "example" / "extract_listings.json").is_file()
    (tmp_path / "plans").mkdir()
    assert default_plans_dir() == tmp_path.resolve()
    monkeypatch.setenv("MANTIS_PLANS_DIR", str(tmp_path / "plans"))
    assert default_plans_dir() == (tmp_path / "plans").resolve()

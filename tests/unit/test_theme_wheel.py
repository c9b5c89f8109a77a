"""The wheel ships the themes as `govtui/themes`, and an installed govtui reads them from there."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from govtui.ui.theme import SHIPPED_THEMES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without network the build backend must already be installed; with it, isolation works too.
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("govtui-*.whl")
    return built


def test_wheel_contains_the_themes(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for theme in SHIPPED_THEMES:
        assert f"govtui/themes/{theme}.yaml" in names
    assert "govtui/ui/govtui.tcss" in names


def test_installed_wheel_loads_its_packaged_themes(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "from govtui.ui.theme import themes_dir, load_themes; "
        "print(themes_dir()); print(sorted(load_themes()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    location, names = result.stdout.strip().splitlines()
    assert Path(location) == target / "govtui" / "themes"
    assert all(f"'{theme}'" in names for theme in SHIPPED_THEMES)

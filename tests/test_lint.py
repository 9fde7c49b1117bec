"""The code is lint-clean by ruff, with the project's line length and rules (pyproject.toml, ``[tool.ruff]``)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_sees_real_cases(tmp_path):
    """The rule set catches what it is there for: an unused import, an undefined name, a line over 120."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "bad.py").write_text("import os\n\nprint(undefined_name)\nx = '" + "a" * 130 + "'\n")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "bad.py"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    for code in ("F401", "F821", "E501"):
        assert code in done.stdout, (code, done.stdout)

"""The LINE layer's public surface is a closed list: every module of portal/line is either
public (portal/line/README.md) or forbidden to features by the import-linter contract, so a
new module cannot slip past ``lint-imports`` unclassified. And the contracts hold."""

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINE = ROOT / "portal" / "line"


def _public() -> set[str]:
    readme = (LINE / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Public modules", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `portal\.line\.(\w+)`", section, flags=re.MULTILINE))


def _forbidden() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    lines = config["importlinter:contract:line-public-modules"]["forbidden_modules"].split()
    return {line.removeprefix("portal.line.") for line in lines}


def _modules() -> set[str]:
    found = {p.stem for p in LINE.glob("*.py") if p.stem != "__init__"}
    found |= {p.name for p in LINE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return found


def test_every_module_of_the_line_layer_is_public_or_forbidden_to_features():
    public, forbidden = _public(), _forbidden()
    assert {"models", "sender", "content", "residents", "chat"} <= public
    assert not public & forbidden
    assert _modules() - public - forbidden == set(), "classify the new module: README public list or .importlinter"
    assert (public | forbidden) - _modules() == set(), "a listed module does not exist"


@pytest.mark.skipif(shutil.which("lint-imports", path=str(ROOT / ".venv" / "bin")) is None, reason="import-linter not installed")
def test_import_contracts_are_kept():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lint-imports"), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr

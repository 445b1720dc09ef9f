"""FILE@REV: the revision reaches git as a revision, never as an option of git's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.mark.parametrize("rev", ["--output=written", "-p", ""])
def test_a_revision_like_an_option_is_refused(tmp_path: Path, cli, rev: str,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    rule = tmp_path / "cement.rule"
    rule.write_text((RULES / "cement.rule").read_text(encoding="utf-8"), encoding="utf-8")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "cement.rule"], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = cli("diff", f"cement.rule@{rev}", "cement.rule")
    assert status == 1 and out == ""
    assert f"cement.rule@{rev}: '{rev}' is not a git revision" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # git wrote nothing

"""The README's two commands stay true: CI runs the second one verbatim."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)[:2]]


def test_readme_starts_with_install_and_run_then_test():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.index("```bash")
    assert text[:first_block].count("\n") <= 2, "the commands come first"
    install_run, run_tests = readme_commands()
    assert "qms serve" in install_run and "pip install" in install_run
    assert "pytest" in run_tests


def test_ci_runs_the_readme_test_command():
    _, run_tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run_tests in ci.splitlines()

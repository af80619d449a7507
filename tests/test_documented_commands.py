"""The documentation's commands work: the README's tour runs as written, every documented command parses.

The tour test executes the ``$ `` lines of the README's "five-minute tour" in order, in a temporary
``SCORELINE_HOME`` and working folder, against the real data mirror (``../shared/data`` rewritten to
``$SCORELINE_SHARED_DATA``), and fails when a command exits non-zero or its output lacks a figure the README
shows for it (match counts, RPS values, percentages: see :func:`figures`). It compares against whatever the
README says, so regenerating the README's outputs from a real run is all a change of figures needs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer

from scoreline.cli.main import app
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").rglob("*.md"))
SHARED_DATA_IN_DOCS = "../shared/data"
# Figures: thousands with commas, decimals with 2+ places, percentages, integers of 3+ digits; not parts of
# words, paths, hashes or dates (a figure followed by "-" or "…" is a date or a truncated cell).
FIGURE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+\.\d{2,}%?|\d+\.\d+%|\d{3,})(?![\w.…-])")
TIMINGS = re.compile(r'"seconds": [\d.]+')  # how long a step took differs from run to run
FENCE = re.compile(r"^```(\w*)\s*$")
LONG_DECIMAL = re.compile(r"\d+\.\d{7,}")  # a float printed in full (JSON): compared to 6 decimal places


@dataclass
class TourCommand:
    """A ``$ `` line of the README's tour and the output shown below it."""

    line: str
    output: list[str] = field(default_factory=list)


def tour_commands(readme: str) -> list[TourCommand]:
    """The ``$ `` lines (with their outputs) of the console blocks of the README's tour, in order."""
    tour = readme.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    commands: list[TourCommand] = []
    for block in fenced_blocks(tour, languages=("console",)):
        for line in block:
            if line.startswith("$ "):
                commands.append(TourCommand(line[2:].strip()))
            elif line.strip() and commands:
                commands[-1].output.append(line)
    return commands


def fenced_blocks(text: str, languages: tuple[str, ...] | None = None) -> list[list[str]]:
    """The lines of each fenced code block of ``text`` (only those in ``languages`` if given)."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    keep = False
    for line in text.splitlines():
        fence = FENCE.match(line)
        if fence and current is None:
            current, keep = [], languages is None or fence.group(1) in languages
        elif fence and current is not None:
            if keep:
                blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def figures(output: list[str]) -> list[str]:
    """The figures of a README output (see ``FIGURE``), timings left out."""
    return [match for line in output for match in FIGURE.findall(TIMINGS.sub("", line))]


def shows(output: str, figure: str) -> bool:
    """Whether ``output`` shows ``figure``; a full-precision float matches to 6 decimal places."""
    if not LONG_DECIMAL.fullmatch(figure):
        return figure in output
    return any(round(float(found), 6) == round(float(figure), 6) for found in LONG_DECIMAL.findall(output))


def documented_scoreline_commands(text: str) -> list[str]:
    """Every ``scoreline ...`` command line in the fenced blocks of ``text`` (continuations joined)."""
    found = []
    for block in fenced_blocks(text):
        joined = "\n".join(block).replace("\\\n", " ")
        for raw in joined.splitlines():
            line = raw.strip().removeprefix("$ ")
            for prefix in (".venv/bin/scoreline ", "scoreline "):
                if line.startswith(prefix):
                    found.append("scoreline " + line[len(prefix) :])
    return found


def test_the_tour_and_the_docs_commands_are_found() -> None:
    tour = tour_commands(README.read_text(encoding="utf-8"))
    assert [command.line.split()[1] for command in tour][:3] == ["ingest", "data", "features"]
    assert "0.2017" in figures(next(c for c in tour if c.line.startswith("scoreline backtest")).output)
    assert figures(['{"rows": 1900, "seconds": 2.092, "path": "/x/1cc531b8642f.parquet"}']) == ["1900"]
    assert figures(["│ 1 │ champion │ 0.2083 │ +0.0054 │ c3318dc3 │ 2026-11-2… │", "57.9% / 22.5%"]) == [
        "0.2083",
        "0.0054",
        "57.9%",
        "22.5%",
    ]
    assert len([c for doc in DOCS for c in documented_scoreline_commands(doc.read_text())]) >= 10
    assert shows('"rps": 0.20173498997354533', "0.20173498993324293")
    assert not shows('"rps": 0.2017359', "0.20173498993324293") and not shows("0.2018", "0.2017")


def _resolve(argv: list[str]) -> tuple[Any, list[str], list[str]]:
    """The click command ``argv`` (after ``scoreline``) names, its path and its remaining arguments."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    rest = list(argv)
    while rest and rest[0] in ("-v", "--verbose", "--debug"):  # the root's own options
        rest.pop(0)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command = command.commands[rest[0]]
        path.append(rest.pop(0))
    return command, path, rest


def parse_documented(line: str) -> None:
    """Parse a documented command with the CLI's own parser (nothing runs); raises on an unknown flag."""
    argv = shlex.split(line.replace("[", " ").replace("]", " "), comments=True)[1:]
    command, path, rest = _resolve(argv)
    assert not hasattr(command, "commands"), f"{line!r}: no such command"
    context = command.make_context(" ".join(["scoreline", *path]), rest)
    context.close()


@pytest.mark.parametrize(
    "source", [README, *DOCS], ids=lambda path: str(Path(path).relative_to(PROJECT_ROOT))
)
def test_every_documented_command_parses(source: Path) -> None:
    for line in documented_scoreline_commands(source.read_text(encoding="utf-8")):
        parse_documented(line.replace(SHARED_DATA_IN_DOCS, "/data"))


def test_a_wrong_flag_in_the_docs_would_fail() -> None:
    with pytest.raises(Exception, match="No such option"):
        parse_documented("scoreline backtest --leagues E0 --test-seasons 2425 --model elo")
    with pytest.raises(AssertionError, match="no such command"):
        parse_documented("scoreline features")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.timeout(3600)  # the whole tour: two backtests, training, staging (about 15 min on 2 busy cores)
def test_the_readme_tour_runs_as_written(shared_data: Path, tmp_path: Path) -> None:
    commands = tour_commands(README.read_text(encoding="utf-8"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCORELINE_")}
    env |= {"SCORELINE_HOME": str(tmp_path / "home"), "COLUMNS": "120", "NO_COLOR": "1"}
    for command in commands:
        argv = shlex.split(command.line.replace(SHARED_DATA_IN_DOCS, str(shared_data)))
        assert argv[0] == "scoreline", command.line
        done = subprocess.run(
            [sys.executable, "-m", "scoreline", *argv[1:]],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        shown = done.stdout + done.stderr
        assert done.returncode == 0, f"$ {command.line}\n{shown[-3000:]}"
        missing = [figure for figure in figures(command.output) if not shows(shown, figure)]
        assert not missing, f"$ {command.line}: README figures {missing} not in the output:\n{shown[-3000:]}"

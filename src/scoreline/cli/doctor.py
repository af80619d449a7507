"""``scoreline doctor``: what works on this machine and what to run next, in one screen.

Each check reads only (it creates no store, registry or folder): the home folder, the store, the registry
and its champion, the recorded backtests, the scheduled fixtures, then the optional Airflow and Chromium.
A check is ``ok``, ``warn`` (works, but a panel or command will be empty), ``fail`` (a command will fail)
or ``absent`` (optional and not installed). The exit status is 1 when a check failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from scoreline.cli.data import DB_OPTION_HELP

if TYPE_CHECKING:
    from scoreline.settings import Settings

Status = Literal["ok", "warn", "fail", "absent"]
INGEST_HINT = (
    "scoreline ingest --leagues E0,E1 --seasons 2021-2425 "
    "(downloads; --from-dir DIR reads a local football-data mirror)"
)
TRAIN_HINT = "scoreline train --model dixon_coles --leagues E0,E1 --register champion"
BACKTEST_HINT = "scoreline backtest --leagues E0 --test-seasons 2425 --models dixon_coles,elo"
FIXTURES_HINT = (
    "scoreline fixtures fetch (the coming round), or scoreline fixtures upcoming --as-of 2025-05-10"
)
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


@dataclass(frozen=True)
class Check:
    """One check's outcome: what was looked at, what was found and, unless all is well, what to run."""

    name: str
    status: Status
    detail: str
    hint: str | None = None


def check_home(settings: Settings) -> Check:
    """The home folder (store, registry, caches): present and writable, and how much it has cached."""
    home = settings.home_dir
    if not home.exists():
        return Check("home", "warn", f"{home} does not exist yet (the first command creates it)")
    if not os.access(home, os.W_OK):
        return Check(
            "home", "fail", f"{home} is not writable", "set SCORELINE_HOME to a folder you can write"
        )
    cached = sum(1 for path in settings.cache_dir.rglob("*.csv")) if settings.cache_dir.is_dir() else 0
    return Check("home", "ok", f"{home} (writable; {cached} downloaded files cached)")


def check_store(url: str) -> Check:
    """The store opens and holds matches with results."""
    from scoreline.redaction import redact, redact_url
    from scoreline.store import Store

    shown = redact_url(url)
    local = _duckdb_file(url)
    if local is not None and not local.is_file():
        return Check("store", "fail", f"no store yet at {local}", INGEST_HINT)
    try:
        with Store.from_url(url) as store:
            summary = store.summary()
    except Exception as error:  # any failure to open or read is this check's finding
        return Check(
            "store", "fail", f"cannot read {shown}: {redact(str(error))}", "check --db or SCORELINE_DB_URL"
        )
    matches, played = int(summary["matches"].sum()), int(summary["matches_with_result"].sum())
    if matches == 0:
        return Check("store", "fail", f"{shown} holds no matches", INGEST_HINT)
    leagues = sorted(summary["league"].astype(str).unique())
    return Check(
        "store", "ok", f"{shown}: {matches:,} matches ({played:,} with results), leagues {', '.join(leagues)}"
    )


def check_registry(settings: Settings) -> tuple[Check, Check]:
    """The MLflow registry (its versions) and the champion alias the API and ``predict`` load."""
    from scoreline.redaction import redact, redact_url
    from scoreline.registry.tracking import Tracking

    tracking = Tracking.from_settings(settings)
    if tracking.sqlite_path is not None and not tracking.sqlite_path.is_file():
        missing = Check("registry", "fail", f"no registry yet at {tracking.sqlite_path}", TRAIN_HINT)
        return missing, Check("champion", "fail", "no champion (no registry)", TRAIN_HINT)
    try:
        from scoreline.registry.registry import CHAMPION, list_versions

        versions = list_versions(tracking)
    except Exception as error:  # an unreachable tracking server or a broken store is the finding
        broken = Check("registry", "fail", f"cannot read {redact_url(tracking.uri)}: {redact(str(error))}")
        return broken, Check(
            "champion", "fail", "unknown (registry unreadable)", "check SCORELINE_MLFLOW_URI"
        )
    registry = Check("registry", "ok", f"{redact_url(tracking.uri)}: {len(versions)} registered versions")
    if not versions:
        registry = Check("registry", "warn", f"{redact_url(tracking.uri)}: no registered version", TRAIN_HINT)
    champion = next((row for row in versions if CHAMPION in row["aliases"]), None)
    if champion is None:
        return registry, Check("champion", "fail", "no champion alias", TRAIN_HINT)
    rps = champion["metrics"].get("val_rps")
    scored = f", validation RPS {rps:.4f}" if rps is not None else ""
    return registry, Check("champion", "ok", f"version {champion['version']} ({champion['model']}{scored})")


def check_backtests(settings: Settings) -> Check:
    """The newest recorded backtest (what the dashboard's leaderboard shows)."""
    from scoreline.pipelines.backtest_index import index_path, latest_backtest

    latest = latest_backtest(index_path(settings.home_dir))
    if latest is None:
        return Check(
            "backtests", "warn", "none recorded (the dashboard's leaderboard is empty)", BACKTEST_HINT
        )
    what = f"{', '.join(latest.models)} on {', '.join(latest.leagues)} {', '.join(latest.test_seasons)}"
    return Check("backtests", "ok", f"newest {latest.written_at[:16]}: {what} in {latest.path}")


def check_fixtures(url: str) -> Check:
    """Scheduled fixtures in the coming week (the dashboard's first panel)."""
    from scoreline.pipelines.upcoming import upcoming_fixtures
    from scoreline.store import Store

    local = _duckdb_file(url)
    if local is not None and not local.is_file():
        return Check("fixtures", "warn", "no store yet", FIXTURES_HINT)
    try:
        with Store.from_url(url) as store:
            upcoming = upcoming_fixtures(store, None, 7)
    except Exception:  # the store check reports why the store cannot be read
        return Check("fixtures", "warn", "unknown (store unreadable)")
    if upcoming.empty:
        return Check("fixtures", "warn", "none in the next 7 days", FIXTURES_HINT)
    return Check("fixtures", "ok", f"{len(upcoming)} in the next 7 days")


def check_airflow() -> Check:
    """Airflow (optional extra): installed or not, without importing it."""
    if importlib.util.find_spec("airflow") is None:
        return Check("airflow", "absent", "not installed (optional: pip install -e '.[airflow]')")
    from importlib.metadata import version as installed_version

    version = installed_version("apache-airflow")
    dags = os.environ.get("AIRFLOW__CORE__DAGS_FOLDER")
    if dags and Path(dags, "scoreline_training.py").is_file():
        return Check("airflow", "ok", f"{version}, DAGs folder {dags}")
    return Check(
        "airflow",
        "ok",
        f"{version} installed; DAGs folder not set to this project's dags/",
        "export AIRFLOW__CORE__DAGS_FOLDER=$(pwd)/dags (README, Automation with Airflow)",
    )


def check_chromium() -> Check:
    """Chromium and Playwright (optional: only the dashboard's browser tests use them)."""
    found = next((path for path in CHROMIUM_PATHS if Path(path).is_file()), None) or shutil.which("chromium")
    if found is None:
        return Check("chromium", "absent", "not found (optional, browser tests: apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        return Check(
            "chromium", "warn", f"{found}, but Playwright is not installed", "pip install -e '.[dev]'"
        )
    return Check("chromium", "ok", f"{found} with Playwright (browser tests run)")


def run_checks(settings: Settings, db_url: str) -> list[Check]:
    """Every check, in the order of the workflow."""
    registry, champion = check_registry(settings)
    steps: list[Callable[[], Check]] = [
        lambda: check_home(settings),
        lambda: check_store(db_url),
        lambda: registry,
        lambda: champion,
        lambda: check_backtests(settings),
        lambda: check_fixtures(db_url),
        check_airflow,
        check_chromium,
    ]
    return [step() for step in steps]


def next_step(checks: list[Check]) -> str | None:
    """The first failed check's hint, else the first warning's: what to run next."""
    for status in ("fail", "warn"):
        found = next((check.hint for check in checks if check.status == status and check.hint), None)
        if found:
            return found
    return None


def _duckdb_file(url: str) -> Path | None:
    prefix = "duckdb:///"
    return Path(url[len(prefix) :]).expanduser() if url.startswith(prefix) else None


def doctor_command(
    db: str | None = typer.Option(None, "--db", help=DB_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
) -> None:
    """Check the store, registry, champion, backtests, fixtures, Airflow, Chromium; say what to run next."""
    from scoreline.settings import get_settings

    settings = get_settings()
    checks = run_checks(settings, db or settings.resolved_db_url)
    following = next_step(checks)
    if as_json:
        typer.echo(json.dumps({"checks": [asdict(check) for check in checks], "next": following}))
    else:
        typer.echo(render(checks, following))
    if any(check.status == "fail" for check in checks):
        raise typer.Exit(1)


def render(checks: list[Check], following: str | None) -> str:
    """One line per check (its hint below it), then what to run next."""
    lines = []
    for check in checks:
        lines.append(f"{check.status.upper():<7}{check.name:<11}{check.detail}")
        if check.hint and check.status != "ok":
            lines.append(f"{'':<18}-> {check.hint}")
        elif check.hint:
            lines.append(f"{'':<18}   {check.hint}")
    lines.append(f"Next: {following}" if following else "All set: `scoreline serve` shows the dashboard.")
    return "\n".join(lines)

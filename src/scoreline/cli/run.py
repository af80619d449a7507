"""``scoreline run``: the whole training pipeline in-process, on the embedded defaults."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

DEFAULT_MODELS = "dixon_coles,elo,pi_rating,lgbm"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def run_command(
    leagues: str = typer.Option("E0", "--leagues", help="Leagues to ingest, backtest and train on."),
    seasons: str = typer.Option("1920-2425", "--seasons", help="Seasons to ingest, e.g. 1920-2425."),
    test_seasons: str = typer.Option("2425", "--test-seasons", help="Seasons the backtest predicts."),
    models: str = typer.Option(DEFAULT_MODELS, "--models", help="Catalogue models to backtest and train."),
    from_dir: Path | None = typer.Option(None, "--from-dir", help="Read football-data files from DIR."),
    until: str | None = typer.Option(
        None, "--until", help="Train on matches before this date (default today)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Ingest, validate, build features, backtest, train, register and run the promotion gate."""
    from scoreline.pipelines import steps
    from scoreline.sources.seasons import parse_season_range

    league_list, model_list = _split(leagues), _split(models)
    tests = parse_season_range(test_seasons)
    console = Console(stderr=True)
    summary: dict[str, Any] = {}
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:

        def step(name: str, action: Callable[[], Any]) -> Any:
            task = bar.add_task(name, total=1)
            result = action()
            bar.update(task, completed=1, description=f"[green]{name}")
            return result

        # Backtests also need the neighbouring divisions (E0 trains goal models on E0 and E1).
        source = str(from_dir) if from_dir else None
        summary["ingest"] = step(
            "ingest", lambda: steps.ingest_step(_with_divisions(league_list), seasons, source)
        )
        summary["validate"] = step("validate", steps.validate_step)
        summary["features"] = step("features", lambda: steps.features_step(league_list))
        summary["backtests"] = [
            step(f"backtest {m} {lg}", partial(steps.backtest_step, m, lg, tests))
            for m in model_list
            for lg in league_list
        ]
        summary["trained"] = [
            step(f"train {m}", partial(steps.train_step, m, league_list, until)) for m in model_list
        ]
        summary["registered"] = step(
            "register", lambda: steps.register_step(summary["trained"], summary["backtests"])
        )
        summary["promotion"] = step("promotion gate", lambda: steps.promote_step(summary["registered"]))
    if as_json:
        typer.echo(json.dumps(summary, default=str, indent=2))
        return
    _print_summary(summary)


def _with_divisions(leagues: list[str]) -> list[str]:
    from scoreline.evaluation.walk_forward import DIVISION_LADDERS, related_divisions

    ladder = tuple(d for rungs in DIVISION_LADDERS for d in rungs)
    return sorted({d for league in leagues for d in related_divisions(league, ladder)})


def _print_summary(summary: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="Backtest (walk-forward, lower RPS is better)")
    for column in ("model", "league", "matches", "rps", "closing line rps"):
        table.add_column(column, justify="left" if column in ("model", "league") else "right")
    for row in sorted(summary["backtests"], key=lambda r: r["rps"]):
        table.add_row(
            row["model"],
            row["league"],
            str(row["n"]),
            f"{row['rps']:.4f}",
            f"{row['market_closing_rps']:.4f}",
        )
    console.print(table)
    registered, decision = summary["registered"], summary["promotion"]
    console.print(
        f"champion version: {registered['champion'] or 'unchanged'}; "
        f"challenger: {registered.get('challenger_model')} (version {registered['challenger']}); "
        f"promoted: {'yes' if decision['promote'] else 'no'} ({decision['reason']})"
    )

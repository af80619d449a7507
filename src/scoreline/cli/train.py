"""``scoreline train | promote | rollback | models``: training runs and the champion/challenger registry."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from scoreline.redaction import redact

models_app = typer.Typer(help="Train, register, promote and roll back models.")

DB_HELP = "SQLAlchemy URL of the store (default: $SCORELINE_DB_URL, else the DuckDB file in SCORELINE_HOME)."


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def parse_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are read as JSON where they parse (numbers, true, null), else as text."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--param")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


def params_for(model: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters for ``model``: unprefixed keys apply to every model, ``model.key`` to that one only."""
    chosen = {key: value for key, value in params.items() if "." not in key}
    prefix = f"{model}."
    chosen.update({key[len(prefix) :]: value for key, value in params.items() if key.startswith(prefix)})
    return chosen


def _echo_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, default=str))


def _fail(error: Exception, code: int = 1) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {redact(str(error))}", highlight=False)
    return typer.Exit(code)


@contextmanager
def mlflow_output(verbose: bool) -> Iterator[None]:
    """Unless ``verbose``, silence MLflow's own output: its warnings, event lines and progress bars.

    The command's JSON answer says what was trained and registered; MLflow's lines ("Registered model ...
    already exists" on a new registry, schema hints, download bars) only bury it.
    """
    if verbose:
        yield
        return
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    from mlflow.utils.logging_utils import disable_logging, enable_logging

    mlflow_logger = logging.getLogger("mlflow")
    level = mlflow_logger.level
    disable_logging()
    mlflow_logger.setLevel(logging.ERROR)  # its INFO lines and its warnings (the pickling notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="mlflow")
            yield
    finally:
        mlflow_logger.setLevel(level)
        enable_logging()


VERBOSE_HELP = "Show MLflow's own output (warnings, progress bars, registry messages)."


@models_app.command("train")
def train_command(
    models: Annotated[
        list[str], typer.Option("--model", help="Catalogue model name; repeat to train several.")
    ],
    leagues: Annotated[
        str | None, typer.Option("--leagues", help="Comma-separated divisions, e.g. E0,E1.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Cutoff date (exclusive), default today.")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the estimator and of numpy/random.")] = 0,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="Model parameter key=value (all models) or model.key=value; repeatable."
        ),
    ] = None,
    cadence: Annotated[
        str, typer.Option("--cadence", help="Walk-forward refit cadence: week, day or season.")
    ] = "week",
    register: Annotated[
        str | None,
        typer.Option("--register", help="Register the best trained model as 'champion' or 'challenger'."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help=VERBOSE_HELP)] = False,
) -> None:
    """Fit models on every match before the cutoff and log each as an MLflow run (walk-forward validated)."""
    import pandas as pd

    from scoreline.pipelines import train as pipeline
    from scoreline.registry import registry

    if register not in (None, registry.CHAMPION, registry.CHALLENGER):
        raise _fail(ValueError(f"--register takes champion or challenger, not {register!r}"), 2)
    cutoff = pd.Timestamp(until) if until else pd.Timestamp.today().normalize()
    params = parse_params(param or [])
    results = []
    try:
        with mlflow_output(verbose):
            for name in models:
                results.append(
                    pipeline.train_from_store(
                        name,
                        cutoff,
                        leagues=_split(leagues),
                        db_url=db,
                        params=params_for(name, params),
                        seed=seed,
                        factory=pipeline.catalogue_factory,
                        cadence=cadence,  # type: ignore[arg-type]
                    )
                )
            version = None
            if register:
                version = registry.register(pipeline.best_result(results).run_id, register)
    except (ValueError, KeyError, TypeError, registry.RegistryError) as error:
        raise _fail(error) from error
    runs = [
        {"model": r.model, "run_id": r.run_id, "metrics": r.metrics, "data_hash": r.data_hash}
        for r in results
    ]
    _echo_json({"runs": runs, "registered_version": version, "alias": register})


@models_app.command("promote")
def promote_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and log, but leave the aliases alone.")
    ] = False,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 2000,
    level: Annotated[float, typer.Option("--level", help="Confidence level of the interval.")] = 0.95,
    min_matches: Annotated[
        int, typer.Option("--min-matches", help="Fewest common matches to decide on.")
    ] = 100,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit",
            help="Refit both models walk-forward on the challenger's validation matches from the store.",
        ),
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Also write the decision JSON here.")
    ] = None,
) -> None:
    """Promote the challenger if its RPS beats the champion's significantly on the same matches."""
    from scoreline import columns as c
    from scoreline.odds import attach_opening_prices
    from scoreline.registry.promotion import promote, validation_scope
    from scoreline.registry.registry import RegistryError

    try:
        matches = None
        if refit:
            from scoreline.settings import get_settings
            from scoreline.store import Store

            scope = validation_scope()
            with Store.from_url(db or get_settings().resolved_db_url) as store:
                matches = store.read_matches(leagues=scope.leagues, before=scope.until)
                opening = store.read_odds(leagues=scope.leagues, market=c.MARKET_1X2, timing=c.OPENING)
            matches = attach_opening_prices(matches, opening)  # for market models; the others ignore them
        decision = promote(
            matches=matches, n_boot=n_boot, level=level, min_matches=min_matches, dry_run=dry_run
        )
    except RegistryError as error:
        raise _fail(error) from error
    document = {**decision.to_dict(), "dry_run": dry_run}
    if output is not None:
        output.write_text(json.dumps(document, indent=2))
    _echo_json(document)


@models_app.command("rollback")
def rollback_command() -> None:
    """Make the previous champion the champion again."""
    from scoreline.registry.registry import rollback

    version = rollback()  # a RegistryError (no previous champion) is reported by the CLI's error boundary
    _echo_json({"champion": version})


@models_app.command("models")
def models_command(
    catalogue: Annotated[
        bool,
        typer.Option("--catalogue", help="List the catalogue's models (names for --model) instead."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered versions with their aliases and validation metrics (or the model catalogue)."""
    from rich.console import Console
    from rich.table import Table

    if catalogue:
        _print_catalogue(as_json)
        return
    from scoreline.registry.registry import MODEL_NAME, list_versions

    with mlflow_output(verbose=False):
        rows = list_versions()
    if as_json:
        _echo_json(rows)
        return
    table = Table(title=f"{MODEL_NAME} versions")
    for header in ("Version", "Aliases", "Model", "Val RPS", "vs market", "Run", "Created"):
        table.add_column(header)
    for row in rows:
        found = row["metrics"]
        table.add_row(
            str(row["version"]),
            ", ".join(row["aliases"]),
            row["model"],
            f"{found['val_rps']:.4f}" if "val_rps" in found else "",
            f"{found['rps_minus_market']:+.4f}" if "rps_minus_market" in found else "",
            str(row["run_id"])[:8],
            row["created"][:19],
        )
    Console().print(table)


def _print_catalogue(as_json: bool) -> None:
    """Every catalogue model with its one-line description (no registry or store is read)."""
    from scoreline.models.catalogue import CATALOGUE

    if as_json:
        _echo_json({name: entry.description for name, entry in CATALOGUE.items()})
        return
    width = max(map(len, CATALOGUE))
    for name, entry in CATALOGUE.items():
        typer.echo(f"{name:<{width}}  {entry.description}")

"""``scoreline ledger``: check the prediction ledger for tampering and list its live and replay runs."""

from __future__ import annotations

import json

import typer

ledger_app = typer.Typer(
    help="The prediction ledger: verify its keyed hash chain and list its runs.", no_args_is_help=True
)


@ledger_app.callback()
def ledger_callback() -> None:
    """The prediction ledger: verify its keyed hash chain and list its live and replay runs."""


@ledger_app.command("verify")
def verify_command(
    db: str | None = typer.Option(None, "--db", help="Store URL (default: SCORELINE_DB_URL or DuckDB)."),
    adopt: bool = typer.Option(
        False, "--adopt", help="Record the head of a ledger this home has none for (a new machine)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check every prediction and score against the keyed hash chain and recorded head; exit 1 if tampered.

    Detects rows edited, inserted, backdated or deleted (also from the end), scores changed, tables dropped.
    """
    from scoreline.settings import get_settings
    from scoreline.staging.ledger import Ledger, LedgerTamperedError
    from scoreline.store import Store

    store = Store.from_url(db or get_settings().resolved_db_url)
    try:
        report = Ledger(store.engine).verify(adopt=adopt)
    except LedgerTamperedError as error:
        typer.echo(f"ledger TAMPERED: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    runs = [
        {"run": item.run, "replay": item.replay, "predictions": item.predictions, "scores": item.scores}
        for item in report.runs
    ]
    if as_json:
        document = {
            "intact": True,
            "predictions": report.predictions.seq,
            "scores": report.scores.seq,
            "head_file": str(report.head_file),
            "runs": runs,
        }
        typer.echo(json.dumps(document))
        return
    typer.echo(
        f"ledger intact: {report.predictions.seq} predictions, {report.scores.seq} scores "
        f"(chain head recorded in {report.head_file})"
    )
    for item in report.runs:
        kind = "live" if not item.replay else f"replay {item.run}"
        typer.echo(f"  {kind}: {item.predictions} predictions, {item.scores} scores")

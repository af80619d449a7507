"""The ``scoreline`` command line: a thin shell over pipelines and library functions.

One error boundary (:class:`ErrorBoundaryGroup`) turns every failure of every command into one line saying
what happened and one saying what to do (:mod:`scoreline.cli.errors`), with exit status 2 for a mistake in
the command or the settings and 1 otherwise; ``--debug`` (or ``SCORELINE_DEBUG=1``) adds the traceback.
Everything it prints, and every log record, goes through :func:`scoreline.redaction.redact` first.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from scoreline import __version__
from scoreline.cli.backtest import backtest_command
from scoreline.cli.data import data_app
from scoreline.cli.doctor import doctor_command
from scoreline.cli.errors import describe_failure
from scoreline.cli.features import features_app
from scoreline.cli.fixtures import fixtures_app
from scoreline.cli.ingest import ingest_command
from scoreline.cli.insights import insights_app
from scoreline.cli.ledger import ledger_app
from scoreline.cli.run import run_command
from scoreline.cli.serve import predict_command, serve_command
from scoreline.cli.stage import stage_command
from scoreline.cli.train import models_app
from scoreline.redaction import install_log_redaction, redact, url_secrets

_ARGS_KEY = "scoreline.args"


class ErrorBoundaryGroup(TyperGroup):
    """The root command: runs the chosen command and reports whatever it raises, redacted (see module)."""

    # typer passes its own Context (a click Context); typer's vendored click base class is private
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        ctx.meta[_ARGS_KEY] = list(args)  # passwords typed on the command line (--db URL) are secrets too
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors, --help, exits: click's job
            raise
        except Exception as error:
            secrets = command_line_secrets(ctx)
            failure = describe_failure(error)
            if _debug(ctx):
                trace = "".join(traceback.format_exception(error))
                typer.echo(redact(trace, secrets).rstrip(), err=True)
            typer.echo(f"error: {redact(failure.message, secrets)}", err=True)
            if failure.hint:
                typer.echo(f"hint: {redact(failure.hint, secrets)}", err=True)
            raise typer.Exit(failure.exit_code) from None


def command_line_secrets(ctx: typer.Context) -> set[str]:
    """The configured secrets and the passwords of URLs given on the command line."""
    from scoreline.settings import get_settings  # pydantic: loaded when a command runs, not for --help

    found = {secret for arg in ctx.meta.get(_ARGS_KEY, []) for secret in url_secrets(arg)}
    try:
        return found | get_settings().secret_values()
    except Exception:  # settings that do not load hold no secret we could know; the failure says why
        return found


def _debug(ctx: typer.Context) -> bool:
    from scoreline.settings import get_settings

    if ctx.params.get("debug"):
        return True
    try:
        return get_settings().debug
    except Exception:  # unreadable settings: no traceback unless --debug
        return False


app = typer.Typer(
    name="scoreline",
    cls=ErrorBoundaryGroup,
    help="Football match prediction, end to end: data, features, models, backtests, serving.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: flags without typer's "<bool>" placeholder, and rich is not loaded
    pretty_exceptions_show_locals=False,  # locals hold URLs and keys; the boundary prints redacted text
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scoreline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    debug: bool = typer.Option(
        False, "--debug", envvar="SCORELINE_DEBUG", help="Show the traceback of a failure (redacted)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """scoreline: football match prediction you can check against the market."""
    from scoreline.settings import get_settings  # pydantic: loaded when a command runs, not for --help

    settings = get_settings()
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction(command_line_secrets(ctx))
    for noisy in ("matplotlib", "alembic", "mlflow", "urllib3", "httpx", "numba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


# Commands in the order of the workflow: data, features, backtests, training, staging, serving, insights.
app.command("ingest")(ingest_command)
app.add_typer(fixtures_app, name="fixtures")
app.add_typer(data_app, name="data")
app.add_typer(features_app, name="features")
app.command("backtest")(backtest_command)
app.add_typer(models_app)
app.command("run")(run_command)
app.command("stage")(stage_command)
app.add_typer(ledger_app, name="ledger")
app.command("serve")(serve_command)
app.command("predict")(predict_command)
app.add_typer(insights_app, name="insights")
app.command("doctor")(doctor_command)

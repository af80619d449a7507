"""``scoreline ingest``: football-data.co.uk files (downloaded or from a folder) into the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from scoreline.cli.data import DB_OPTION_HELP, resolve_db_url, summary_document

if TYPE_CHECKING:  # the ingest code loads pandas and SQLAlchemy: imported when the command runs
    from rich.console import Console

    from scoreline.pipelines.ingest import FileOutcome, IngestReport
    from scoreline.sources.football_data import SourceFile
    from scoreline.store import Store

DEFAULT_SEASONS = "1516-2425"


def _split(values: str | None) -> list[str] | None:
    if values is None:
        return None
    parts = [part.strip() for part in values.split(",") if part.strip()]
    return parts or None


def _sources(from_dir: str | None, leagues: list[str] | None, seasons: str | None) -> list[SourceFile]:
    from scoreline.sources.football_data import DEFAULT_LEAGUES, discover_folder, fetch_football_data
    from scoreline.sources.seasons import parse_season_range

    if from_dir is not None:
        return discover_folder(from_dir, leagues, parse_season_range(seasons) if seasons else None)
    return fetch_football_data(leagues or DEFAULT_LEAGUES, parse_season_range(seasons or DEFAULT_SEASONS))


def _print_report(console: Console, report: IngestReport, store: Store) -> None:
    from scoreline.pipelines.ingest import FileStatus

    totals = report.totals()
    console.print(
        f"{len(report.files)} files: {report.count(FileStatus.STORED)} stored, "
        f"{report.count(FileStatus.REPLACED)} replaced, {report.count(FileStatus.UNCHANGED)} unchanged, "
        f"{len(report.failed)} failed; {totals['matches']:,} matches, "
        f"{totals['odds_rows']:,} odds rows and {totals['quarantined']:,} quarantined rows written.",
        soft_wrap=True,
    )
    for outcome in report.failed:
        console.print(
            f"[red]{outcome.status.value}[/red] {outcome.source_file}: {outcome.error}",
            highlight=False,
            soft_wrap=True,
        )
    stored = summary_document(store.summary())["totals"]
    assert isinstance(stored, dict)
    console.print(
        f"Store now holds {stored['matches']:,} matches ({stored['matches_with_result']:,} with results), "
        f"{stored['odds_rows']:,} odds rows, {stored['quarantined']:,} quarantined rows.",
        soft_wrap=True,
    )


def ingest_command(
    from_dir: Annotated[
        str | None,
        typer.Option(
            "--from-dir",
            help="Read <DIR>/<DIV>/<SEASON>.csv files instead of downloading from football-data.co.uk; DIR "
            "is a folder or s3://bucket/prefix (objects whose ETag is unchanged are not read again).",
        ),
    ] = None,
    leagues: Annotated[
        str | None,
        typer.Option("--leagues", help="Comma-separated division codes, e.g. E0,SP1 (default: all)."),
    ] = None,
    seasons: Annotated[
        str | None,
        typer.Option(
            "--seasons",
            help="Seasons as 2324, 1516,1617 or 1516-2425 "
            f"(default: all found locally, {DEFAULT_SEASONS} when downloading).",
        ),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
) -> None:
    """Ingest football-data.co.uk season files into the store (unchanged files are skipped)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scoreline.errors import FROM_DIR_HINT, ConfigurationError
    from scoreline.pipelines.ingest import ingest
    from scoreline.sources.football_data import SourceUnavailableError
    from scoreline.store import Store

    console = Console(stderr=True)
    try:
        files = _sources(from_dir, _split(leagues), seasons)
    except SourceUnavailableError as exc:
        if from_dir is None:
            raise  # offline or the site is down: the error boundary says so, with what to do
        raise ConfigurationError(str(exc), FROM_DIR_HINT) from exc
    if not files:
        console.print("[yellow]no files to ingest[/yellow]")
        raise typer.Exit(1)
    with Store.from_url(resolve_db_url(db)) as store:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("ingesting", total=len(files))

            def advance(outcome: FileOutcome) -> None:
                bar.update(task, advance=1, description=f"{outcome.source_file} {outcome.status.value}")

            report = ingest(store, files, progress=advance)
        _print_report(console, report, store)
    if not report.ok:
        raise typer.Exit(1)

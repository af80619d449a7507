"""``scoreline ingest --from-dir s3://...`` against the loopback S3 server: same store as from a folder, and
ETags spare the reads of unchanged objects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scoreline import storage
from scoreline.cli.main import app
from scoreline.pipelines.ingest import FileStatus, ingest
from scoreline.sources.football_data import discover_folder
from scoreline.store import Store
from tests.s3.conftest import upload_folder

runner = CliRunner()
REAL_FILES = [f"{league}/{season}.csv" for league in ("E0", "E1") for season in ("2223", "2324")]


def summary(db: str) -> str:
    result = runner.invoke(app, ["data", "summary", "--db", db])
    assert result.exit_code == 0, result.output
    return result.stdout


def summary_json(db: str) -> dict[str, Any]:
    result = runner.invoke(app, ["data", "summary", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


@pytest.mark.shared_data
@pytest.mark.slow
def test_ingest_from_s3_equals_ingest_from_the_folder(
    s3: Any, bucket: str, shared_data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mirror"
    for name in REAL_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_data / "football-data" / name, folder / name)
    upload_folder(s3, folder, f"s3://{bucket}/football-data")
    from_s3, from_folder = f"duckdb:///{tmp_path / 's3.duckdb'}", f"duckdb:///{tmp_path / 'folder.duckdb'}"

    result = runner.invoke(app, ["ingest", "--from-dir", f"s3://{bucket}/football-data", "--db", from_s3])
    assert result.exit_code == 0, result.output
    assert "4 files: 4 stored, 0 replaced, 0 unchanged, 0 failed" in result.output
    assert runner.invoke(app, ["ingest", "--from-dir", str(folder), "--db", from_folder]).exit_code == 0

    assert summary(from_s3) == summary(from_folder)
    document = summary_json(from_s3)
    assert document == summary_json(from_folder)
    assert [(row["league"], row["season"]) for row in document["rows"]] == [
        ("E0", "2223"), ("E0", "2324"), ("E1", "2223"), ("E1", "2324"),
    ]  # fmt: skip
    assert document["totals"]["matches"] == 2 * 380 + 2 * 552


def test_cli_ingest_from_s3_then_unchanged(s3: Any, bucket: str, local_mirror: Path, tmp_path: Path) -> None:
    upload_folder(s3, local_mirror, f"s3://{bucket}/mirror")
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    first = runner.invoke(app, ["ingest", "--from-dir", f"s3://{bucket}/mirror", "--db", db])
    assert first.exit_code == 0, first.output
    assert "4 files: 4 stored, 0 replaced, 0 unchanged, 0 failed; 224 matches" in first.output
    again = runner.invoke(app, ["ingest", "--from-dir", f"s3://{bucket}/mirror/", "--db", db])
    assert again.exit_code == 0, again.output
    assert "4 files: 0 stored, 0 replaced, 4 unchanged, 0 failed; 0 matches" in again.output


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file the football-data source reads through the storage seam."""
    reads: list[str] = []
    real = storage.read_bytes

    def read_bytes(location: str | Path) -> bytes:
        reads.append(str(location))
        return real(location)

    monkeypatch.setattr(storage, "read_bytes", read_bytes)
    return reads


def test_unchanged_etags_are_not_read_and_a_changed_object_is(
    s3: Any, bucket: str, local_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/mirror"
    upload_folder(s3, local_mirror, url)
    reads = counting_reads(monkeypatch)
    with Store.from_url(f"duckdb:///{tmp_path / 'store.duckdb'}") as store:
        first = ingest(store, discover_folder(url))
        assert first.count(FileStatus.STORED) == 4 and len(reads) == 4
        files_before, summary_before = store.read_ingested_files(), store.summary()

        reads.clear()
        second = ingest(store, discover_folder(url))
        assert second.count(FileStatus.UNCHANGED) == 4 and reads == []  # no object read, nothing stored
        assert store.read_ingested_files().equals(files_before) and store.summary().equals(summary_before)

        changed = (local_mirror / "SP1" / "2324.csv").read_bytes().replace(b"\n", b"\r\n")  # new bytes
        s3.pipe_file(f"{bucket}/mirror/SP1/2324.csv", changed)
        reads.clear()
        third = ingest(store, discover_folder(url))
        assert reads == [f"{url}/SP1/2324.csv"]
        assert [o.status for o in third.files].count(FileStatus.REPLACED) == 1
        assert third.files[-1].source_file == "SP1/2324.csv" and third.files[-1].status is FileStatus.REPLACED


def test_etag_records_do_not_skip_a_store_without_the_content(
    s3: Any, bucket: str, local_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/mirror"
    upload_folder(s3, local_mirror, url)
    with Store.from_url(f"duckdb:///{tmp_path / 'one.duckdb'}") as store:
        ingest(store, discover_folder(url))
    reads = counting_reads(monkeypatch)
    with Store.from_url(f"duckdb:///{tmp_path / 'two.duckdb'}") as other:
        report = ingest(other, discover_folder(url))
        assert report.count(FileStatus.STORED) == 4 and len(reads) == 4
        assert int(other.summary()["matches"].sum()) == 224


def test_listing_carries_etags_and_where_they_are_recorded(
    s3: Any, bucket: str, local_mirror: Path, isolated_home: Path
) -> None:
    upload_folder(s3, local_mirror, f"s3://{bucket}/mirror")
    files = discover_folder(f"s3://{bucket}/mirror", leagues=["E0"], seasons=["2324"])
    assert [(f.source_file, f.path) for f in files] == [("E0/2324.csv", f"s3://{bucket}/mirror/E0/2324.csv")]
    source = files[0]
    assert source.etag == s3.info(f"{bucket}/mirror/E0/2324.csv")["ETag"]
    records = isolated_home / "cache" / "objects"
    assert source.etag_record == records / "s3" / bucket / "mirror" / "E0" / "2324.json"
    assert source.known_sha256() is None  # never read yet
    content = source.read_bytes()
    record = json.loads(source.etag_record.read_text())
    assert record["etag"] == source.etag and record["url"] == f"s3://{bucket}/mirror/E0/2324.csv"
    assert source.known_sha256() == record["sha256"] and len(content) > 1000


def test_fixtures_from_s3(s3: Any, bucket: str, tmp_path: Path) -> None:
    from scoreline.simulate import simulate_league, write_football_data_csv

    league = simulate_league(n_teams=4, seasons=("2526",), seed=1)
    local = tmp_path / "fixtures.csv"
    write_football_data_csv(league.matches.head(3).assign(FTHG=None, FTAG=None), local)
    s3.put_file(str(local), f"{bucket}/data/fixtures.csv")
    db = f"duckdb:///{tmp_path / 'f.duckdb'}"
    result = runner.invoke(app, ["fixtures", "fetch", "--from-dir", f"s3://{bucket}/data", "--db", db])
    assert result.exit_code == 0, result.output
    assert "fixtures.csv stored: 3 fixtures" in result.output

"""Feature drift between a reference window (the training rows) and recent rows, with Evidently.

:func:`drift_report` runs Evidently's ``DataDriftPreset`` on the chosen feature columns, writes its HTML
report and a JSON file (our summary plus Evidently's own result), and returns a :class:`DriftResult`.

Each column gets the two-sample Kolmogorov-Smirnov test at a Bonferroni level ``alpha / n_columns``, so an
unchanged feature set shows any drifted column at most ``alpha`` (5%) of the time, however many columns are
tested, while a real shift in one feature still stands out. Evidently's own default for a reference of more
than 1000 rows, the normed Wasserstein distance at 0.1, flags unchanged features far too often when the
current window is a few weeks of matches (20% of columns at 300 rows; see docs/staging.md). The dataset
drifts when at least ``drift_share`` of the tested columns drift. Evidently is imported only when a report is
made (its import takes several seconds).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from scoreline.io import write_atomic

log = logging.getLogger(__name__)

# Features that move with the calendar, not with the world: they differ between a training window of whole
# seasons and a few recent weeks by construction (see docs/features.md), so drift on them means nothing.
CALENDAR_FEATURE_PREFIXES: Final = ("form_played_season", "form_season_stage", "form_rest_days")
DRIFT_HTML: Final = "drift.html"
DRIFT_JSON: Final = "drift.json"
DEFAULT_DRIFT_SHARE: Final = 0.5  # Evidently's default share of drifted columns for dataset drift
DEFAULT_METHOD: Final = "ks"
DEFAULT_ALPHA: Final = 0.05  # family-wise false-alarm rate of the default test, split over the columns
_VALUE_DRIFT: Final = "evidently:metric_v2:ValueDrift"
_DRIFTED_COUNT: Final = "evidently:metric_v2:DriftedColumnsCount"


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift test: Evidently's method, its score and threshold, and the verdict."""

    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    """What :func:`drift_report` found and where it wrote the reports."""

    drifted_columns: list[str]
    share_drifted: float
    dataset_drift: bool
    html_path: Path
    json_path: Path
    columns: list[ColumnDrift]
    skipped_columns: list[str]  # requested columns with no value in the reference or the current rows
    n_reference: int
    n_current: int
    drift_share: float = DEFAULT_DRIFT_SHARE

    @property
    def group_shares(self) -> dict[str, float]:
        """Share of drifted columns per feature group (see :func:`feature_group`), in column order."""
        groups: dict[str, list[bool]] = {}
        for item in self.columns:
            groups.setdefault(feature_group(item.column), []).append(item.drifted)
        return {group: sum(flags) / len(flags) for group, flags in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-ready summary (the per-column scores, not Evidently's full result)."""
        return {
            "dataset_drift": self.dataset_drift,
            "share_drifted": round(self.share_drifted, 6),
            "drift_share": self.drift_share,
            "drifted_columns": list(self.drifted_columns),
            "group_shares": {group: round(share, 6) for group, share in self.group_shares.items()},
            "skipped_columns": list(self.skipped_columns),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": [
                {
                    "column": item.column,
                    "method": item.method,
                    "score": round(item.score, 6),
                    "threshold": item.threshold,
                    "drifted": item.drifted,
                }
                for item in self.columns
            ],
            "html": self.html_path.name,
            "json": self.json_path.name,
        }


def feature_group(column: str) -> str:
    """A feature's group: its name up to the first underscore (``elo``, ``pi``, ``form``, ``mkt``)."""
    return column.split("_", 1)[0]


def drift_columns(columns: Iterable[str]) -> list[str]:
    """The feature columns worth testing for drift: all but the calendar-driven ones."""
    return [column for column in columns if not column.startswith(CALENDAR_FEATURE_PREFIXES)]


def _check_columns(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns to test: present in both frames and not empty in either (the rest are logged, skipped)."""
    if not columns:
        raise ValueError("no columns to test for drift")
    for name, frame in (("reference", reference), ("current", current)):
        if frame.empty:
            raise ValueError(f"the {name} rows are empty: drift needs rows on both sides")
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise ValueError(f"the {name} rows lack drift column(s) {missing}")
        not_numeric = [column for column in columns if not pd.api.types.is_numeric_dtype(frame[column])]
        if not_numeric:
            raise ValueError(f"drift columns must be numeric; in the {name} rows {not_numeric} are not")
    empty = [column for column in columns if reference[column].isna().all() or current[column].isna().all()]
    if empty:
        log.warning("drift: skipping column(s) with no value in the reference or current rows: %s", empty)
    tested = [column for column in columns if column not in empty]
    if not tested:
        raise ValueError(f"every drift column is empty in the reference or current rows: {columns}")
    return tested


def _column_results(evidently_result: dict[str, Any]) -> list[ColumnDrift]:
    """Per-column method, score and threshold from the metrics; the verdict from the matching test."""
    failed = {
        test["metric_config"]["metric_id"]
        for test in evidently_result["tests"]
        if test["metric_config"]["params"].get("type") == _VALUE_DRIFT and test["status"] == "FAIL"
    }
    results = []
    for metric in evidently_result["metrics"]:
        config = metric["config"]
        if config.get("type") == _VALUE_DRIFT:
            results.append(
                ColumnDrift(
                    column=str(config["column"]),
                    method=str(config["method"]),
                    score=float(metric["value"]),
                    threshold=float(config["threshold"]),
                    drifted=metric["id"] in failed,
                )
            )
    return results


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    out_dir: Path,
    drift_share: float = DEFAULT_DRIFT_SHARE,
    method: str | None = DEFAULT_METHOD,
    threshold: float | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> DriftResult:
    """Test ``columns`` for drift from ``reference`` to ``current``; write ``drift.html`` and ``drift.json``.

    By default each column gets the Kolmogorov-Smirnov test with p-value threshold ``alpha / n_columns``.
    ``method`` and ``threshold`` pass an Evidently stat-test name (e.g. ``"wasserstein"``, ``"psi"``; ``None``
    for Evidently's choice per column) and its threshold (``None``: the method's default, or the Bonferroni
    level for ``"ks"``). Neither frame is modified.
    """
    tested = _check_columns(reference, current, columns)
    if threshold is None and method == DEFAULT_METHOD:
        threshold = alpha / len(tested)
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=tested)
    preset = DataDriftPreset(columns=tested, drift_share=drift_share, method=method, threshold=threshold)
    snapshot = Report([preset], include_tests=True).run(
        current_data=Dataset.from_pandas(current[tested].reset_index(drop=True), data_definition=definition),
        reference_data=Dataset.from_pandas(
            reference[tested].reset_index(drop=True), data_definition=definition
        ),
    )
    evidently_result = snapshot.dict()
    per_column = _column_results(evidently_result)
    drifted = [item.column for item in per_column if item.drifted]
    share = len(drifted) / len(per_column)
    out_dir = Path(out_dir)
    html_path, json_path = out_dir / DRIFT_HTML, out_dir / DRIFT_JSON
    result = DriftResult(
        drifted_columns=drifted,
        share_drifted=share,
        dataset_drift=share >= drift_share,
        html_path=html_path,
        json_path=json_path,
        columns=per_column,
        skipped_columns=[column for column in columns if column not in tested],
        n_reference=len(reference),
        n_current=len(current),
        drift_share=drift_share,
    )
    write_atomic(html_path, snapshot.get_html_str(as_iframe=False))
    document = {"summary": result.to_dict(), "evidently": json.loads(snapshot.json())}
    write_atomic(json_path, json.dumps(document, indent=1, default=str) + "\n")
    log.info("drift: %d of %d column(s) drifted (%s)", len(drifted), len(per_column), ", ".join(drifted))
    return result

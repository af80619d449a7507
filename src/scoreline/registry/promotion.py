"""Promotion gate: the challenger replaces the champion only if it is significantly better.

Both versions are scored on the SAME walk-forward matches (those both predicted and that have a result) by
per-match RPS. The challenger is promoted only when its mean RPS is lower and the paired block-bootstrap
interval of ``RPS(challenger) - RPS(champion)`` lies entirely below 0
(:func:`scoreline.evaluation.stats.compare`; blocks are league-season-weeks). The Diebold-Mariano p-value is
reported beside it. Every decision, promoted or not, is logged as an MLflow run in the
``scoreline-promotion`` experiment (tags, metrics and ``decision.json``) and as registered-model tag
``last_promotion``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics, stats
from scoreline.evaluation.predictions import MODEL
from scoreline.evaluation.scoring import common_matches, round_blocks
from scoreline.evaluation.walk_forward import Cadence, walk_forward
from scoreline.odds import OPENING_PRICE_COLUMNS
from scoreline.registry.registry import (
    CHALLENGER,
    CHAMPION,
    MODEL_NAME,
    RegistryError,
    _version,
    load_model,
    set_champion,
)
from scoreline.registry.tracking import PROMOTION_EXPERIMENT, Tracking, activate, client

logger = logging.getLogger(__name__)

VALIDATION_ARTIFACT = "validation/predictions.parquet"  # logged by the training pipeline
DEFAULT_MIN_MATCHES = 100
EVIDENCE_METRICS = (
    "n",
    "mean_diff",
    "ci_low",
    "ci_high",
    "dm_stat",
    "p_value",
    "rps_champion",
    "rps_challenger",
)


@dataclass(frozen=True)
class PromotionDecision:
    """The verdict and its evidence. ``mean_diff`` is mean RPS(challenger) - RPS(champion)."""

    promote: bool
    reason: str
    n: int
    mean_diff: float
    ci_low: float
    ci_high: float
    dm_stat: float
    p_value: float
    rps_champion: float
    rps_challenger: float
    level: float
    n_boot: int
    champion_version: int | None = None
    challenger_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes ``None``)."""
        return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(self).items()}


def decide(
    champion: pd.DataFrame,
    challenger: pd.DataFrame,
    *,
    n_boot: int = stats.DEFAULT_BOOTSTRAP,
    level: float = stats.DEFAULT_LEVEL,
    seed: int = 0,
    min_matches: int = DEFAULT_MIN_MATCHES,
) -> PromotionDecision:
    """Compare two walk-forward prediction frames (``PREDICTION_COLUMNS``) on their common matches."""
    frames = [
        champion.assign(**{MODEL: CHAMPION}),
        challenger.assign(**{MODEL: CHALLENGER}),
    ]
    aligned, report = common_matches(pd.concat(frames, ignore_index=True))
    n = int(report["n_scored"])
    if n < max(min_matches, 2):
        nan = float("nan")
        reason = f"only {n} common matches with results (need {min_matches}): not promoted"
        return PromotionDecision(False, reason, n, nan, nan, nan, nan, nan, nan, nan, level, n_boot)
    losses = {}
    for name in (CHAMPION, CHALLENGER):
        rows = aligned[aligned[MODEL] == name]
        probs = rows[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
        losses[name] = metrics.rps_scores(probs, metrics.outcome_indices(rows[c.RESULT]))
    blocks = round_blocks(aligned[aligned[MODEL] == CHAMPION])
    result = stats.compare(
        CHALLENGER,
        losses[CHALLENGER],
        CHAMPION,
        losses[CHAMPION],
        blocks,
        n_boot=n_boot,
        level=level,
        seed=seed,
    )
    if result["mean_diff"] >= 0:
        reason = "challenger's RPS is not lower than the champion's: not promoted"
    elif not result["a_beats_b"]:
        reason = f"challenger is better but the {level:.0%} interval includes 0: not promoted"
    else:
        reason = f"challenger's RPS is lower and the {level:.0%} interval excludes 0: promoted"
    return PromotionDecision(
        promote=bool(result["a_beats_b"]),
        reason=reason,
        n=n,
        mean_diff=float(result["mean_diff"]),
        ci_low=float(result["ci_low"]),
        ci_high=float(result["ci_high"]),
        dm_stat=float(result["dm_stat"]),
        p_value=float(result["p_value"]),
        rps_champion=float(losses[CHAMPION].mean()),
        rps_challenger=float(losses[CHALLENGER].mean()),
        level=level,
        n_boot=n_boot,
    )


def validation_predictions(run_id: str, tracking: Tracking | None = None) -> pd.DataFrame:
    """The walk-forward validation predictions logged by training run ``run_id``."""
    mlflow_client = client(tracking)
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = mlflow_client.download_artifacts(run_id, VALIDATION_ARTIFACT, folder)
        except Exception as error:  # MLflow raises store-specific errors for a missing artefact
            raise RegistryError(f"run {run_id} has no {VALIDATION_ARTIFACT}: {error}") from error
        return pd.read_parquet(path)


@dataclass(frozen=True)
class ValidationScope:
    """What a training run validated on: its leagues, validation season, cutoff and refit cadence."""

    leagues: list[str]
    season: str
    until: pd.Timestamp
    cadence: Cadence


def validation_scope(ref: str | int = CHALLENGER, tracking: Tracking | None = None) -> ValidationScope:
    """The validation scope of the training run behind a registered version (alias or number)."""
    mlflow_client = client(tracking)
    params = mlflow_client.get_run(str(_version(mlflow_client, ref).run_id)).data.params
    return ValidationScope(
        leagues=[x for x in params["leagues"].split(",") if x],
        season=params["validation_season"],
        until=pd.Timestamp(params["until"]),
        cadence=params.get("cadence", "week"),  # type: ignore[arg-type]
    )


def refit_predictions(
    champion: Any, challenger: Any, matches: pd.DataFrame, scope: ValidationScope
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Walk-forward predictions of fresh copies (``sklearn.base.clone``) of both estimators on one scope.

    Used when the two versions' logged validations do not share matches (e.g. trained a season apart).
    ``matches`` carry ``odds.OPENING_PRICE_COLUMNS`` when either model uses the market.
    """
    played = matches[(pd.to_datetime(matches[c.DATE]) < scope.until.normalize())]
    played = played[played[c.LEAGUE].isin(scope.leagues)]
    # Opening prices, where attached (market models need them), are pre-match inputs of every fixture.
    prices = [name for name in OPENING_PRICE_COLUMNS if name in played.columns]
    result = walk_forward(
        played,
        {CHAMPION: champion, CHALLENGER: challenger},
        scope.leagues,
        [scope.season],
        features=played[[*c.MATCH_KEY, *prices]] if prices else None,
        cadence=scope.cadence,
    )
    predictions = result.predictions
    return predictions[predictions[MODEL] == CHAMPION], predictions[predictions[MODEL] == CHALLENGER]


def promote(
    tracking: Tracking | None = None,
    *,
    matches: pd.DataFrame | None = None,
    n_boot: int = stats.DEFAULT_BOOTSTRAP,
    level: float = stats.DEFAULT_LEVEL,
    seed: int = 0,
    min_matches: int = DEFAULT_MIN_MATCHES,
    dry_run: bool = False,
) -> PromotionDecision:
    """Decide on the current challenger against the current champion, log the decision, apply it.

    The evidence is each version's logged walk-forward predictions, restricted to their common matches; with
    ``matches``, both estimators are instead refitted walk-forward on the challenger's validation scope
    (:func:`refit_predictions`). With ``dry_run`` the decision is logged but the aliases are left alone.
    """
    mlflow_client = client(tracking)
    champion_mv = _version(mlflow_client, CHAMPION)
    challenger_mv = _version(mlflow_client, CHALLENGER)
    if matches is None:
        evidence = (
            validation_predictions(str(champion_mv.run_id), tracking),
            validation_predictions(str(challenger_mv.run_id), tracking),
        )
    else:
        evidence = refit_predictions(
            load_model(CHAMPION, tracking).estimator,
            load_model(CHALLENGER, tracking).estimator,
            matches,
            validation_scope(CHALLENGER, tracking),
        )
    decision = decide(
        *evidence,
        n_boot=n_boot,
        level=level,
        seed=seed,
        min_matches=min_matches,
    )
    decision = PromotionDecision(
        **{
            **asdict(decision),
            "champion_version": int(champion_mv.version),
            "challenger_version": int(challenger_mv.version),
        }
    )
    log_decision(decision, tracking, dry_run=dry_run)
    if decision.promote and not dry_run:
        set_champion(int(challenger_mv.version), tracking)
    logger.info("promotion: %s", decision.reason)
    return decision


def log_decision(decision: PromotionDecision, tracking: Tracking | None = None, dry_run: bool = False) -> str:
    """Log ``decision`` as a run of the promotion experiment and a registered-model tag; the run id."""
    import mlflow

    experiment_id = activate(tracking, PROMOTION_EXPERIMENT)
    record = {**decision.to_dict(), "dry_run": dry_run}
    with mlflow.start_run(experiment_id=experiment_id, run_name="promotion") as run:
        mlflow.set_tags(
            {
                "promoted": str(decision.promote and not dry_run).lower(),
                "decision": "promote" if decision.promote else "keep",
                "reason": decision.reason,
                "dry_run": str(dry_run).lower(),
                "champion_version": str(decision.champion_version),
                "challenger_version": str(decision.challenger_version),
            }
        )
        evidence = {name: record[name] for name in EVIDENCE_METRICS}
        mlflow.log_metrics({k: float(v) for k, v in evidence.items() if v is not None})
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "decision.json"
            path.write_text(json.dumps(record, indent=2))
            mlflow.log_artifact(str(path))
    client(tracking).set_registered_model_tag(MODEL_NAME, "last_promotion", json.dumps(record))
    return str(run.info.run_id)

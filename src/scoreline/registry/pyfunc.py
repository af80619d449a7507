"""The MLflow pyfunc flavour of a scoreline estimator: fixtures in, outcome probabilities out.

:class:`ScorelineModel` is a stateless ``PythonModel``; the fitted estimator travels beside it as a
cloudpickled artefact (``estimator``), so the registry can hand back both the pyfunc and the estimator
itself. Input: one row per fixture with ``league, home, away, kickoff`` and the optional opening 1X2
decimal prices ``opening_price_home, opening_price_draw, opening_price_away``. Models that use the market
(:func:`~scoreline.models.base.needs_opening_prices`) require valid prices on every row and de-vig them
exactly as in training (the estimator builds its market features from them); other models ignore them.
Output: ``p_home, p_draw, p_away`` and, for goal models (estimators with ``predict_grid``), expected goals
and the main goal markets.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import cloudpickle
import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from scoreline import columns as c
from scoreline.models.base import needs_opening_prices
from scoreline.odds import OPENING_PRICE_COLUMNS, price_problems
from scoreline.sources.seasons import seasons_of_dates

FIXTURE_COLUMNS = (c.LEAGUE, c.HOME, c.AWAY, c.KICKOFF)
INPUT_COLUMNS = (*FIXTURE_COLUMNS, *OPENING_PRICE_COLUMNS)  # the prices are optional
MAX_REPORTED_PROBLEMS = 5
ESTIMATOR_ARTIFACT = "estimator"
MODEL_ARTIFACT_PATH = "model"
TOTAL_LINES = (1.5, 2.5, 3.5)  # over/under goal lines in the output of goal models


def fixtures_frame(model_input: pd.DataFrame) -> pd.DataFrame:
    """A match frame for ``model_input`` fixtures: the four fixture columns plus date, season and has_time.

    Raises ``ValueError`` naming the missing columns or the rows without a usable kickoff.
    """
    missing = [name for name in FIXTURE_COLUMNS if name not in model_input.columns]
    if missing:
        raise ValueError(f"fixtures need columns {list(FIXTURE_COLUMNS)}; missing {missing}")
    kickoff = pd.to_datetime(model_input[c.KICKOFF], errors="coerce")
    bad = kickoff.isna() | model_input[list(FIXTURE_COLUMNS[:3])].isna().any(axis=1)
    if bad.any():
        rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
        raise ValueError(f"fixtures rows {rows}: league, home, away and a valid kickoff are required")
    frame = pd.DataFrame(
        {
            c.LEAGUE: model_input[c.LEAGUE].astype(str).to_numpy(),
            c.SEASON: seasons_of_dates(pd.DatetimeIndex(kickoff)),
            c.DATE: kickoff.dt.normalize().to_numpy(),
            c.KICKOFF: kickoff.to_numpy(),
            c.HAS_TIME: (kickoff != kickoff.dt.normalize()).to_numpy(),
            c.HOME: model_input[c.HOME].astype(str).to_numpy(),
            c.AWAY: model_input[c.AWAY].astype(str).to_numpy(),
        }
    )
    if c.SEASON in model_input.columns:
        frame[c.SEASON] = model_input[c.SEASON].astype(str).to_numpy()
    return frame


def opening_prices(model_input: pd.DataFrame) -> pd.DataFrame:
    """The fixtures' ``OPENING_PRICE_COLUMNS`` as floats, checked: every row needs three usable prices.

    Raises ``ValueError`` naming each bad fixture row (position in ``model_input``, its teams) and field: a
    missing column or value, a price not above 1, or a triple whose overround no de-vig method accepts.
    """
    missing = [name for name in OPENING_PRICE_COLUMNS if name not in model_input.columns]
    if missing:
        raise ValueError(
            f"this model uses the market: fixtures need the opening 1X2 prices {list(OPENING_PRICE_COLUMNS)} "
            f"(decimal odds); missing columns {missing}"
        )
    prices = model_input[list(OPENING_PRICE_COLUMNS)].apply(pd.to_numeric, errors="coerce").astype(float)
    problems = price_problems(prices.to_numpy())
    if problems:
        names = dict(zip(c.OUTCOMES, OPENING_PRICE_COLUMNS, strict=True))
        described = [
            f"fixture row {p.row} ({model_input[c.HOME].iloc[p.row]} v {model_input[c.AWAY].iloc[p.row]}): "
            + (f"{names[p.outcome]} {p.reason}" if p.outcome else f"opening prices {p.reason}")
            for p in problems[:MAX_REPORTED_PROBLEMS]
        ]
        more = (
            f" (and {len(problems) - MAX_REPORTED_PROBLEMS} more)"
            if len(problems) > MAX_REPORTED_PROBLEMS
            else ""
        )
        raise ValueError(
            "this model uses the market and needs each fixture's opening 1X2 prices: "
            + "; ".join(described)
            + more
        )
    return prices.set_axis(range(len(prices)))


def goal_columns(grid: Any) -> dict[str, np.ndarray]:
    """Expected goals and the main goal markets of a :class:`~scoreline.models.grid.ScoreGrid`."""
    expected = np.asarray(grid.expected_goals)
    likely = grid.most_likely_scores(1)
    out = {"expected_home_goals": expected[:, 0], "expected_away_goals": expected[:, 1]}
    for line in TOTAL_LINES:
        out[f"p_over_{line:g}".replace(".", "_")] = np.asarray(grid.totals(line).over)
    out["p_btts"] = np.asarray(grid.both_teams_to_score())
    out["most_likely_home_goals"] = np.asarray(likely.home_goals[:, 0], dtype=np.int64)
    out["most_likely_away_goals"] = np.asarray(likely.away_goals[:, 0], dtype=np.int64)
    out["p_most_likely_score"] = np.asarray(likely.probability[:, 0])
    return out


def predict_frame(estimator: Any, fixtures: pd.DataFrame) -> pd.DataFrame:
    """What the pyfunc returns for ``fixtures`` (a frame from :func:`fixtures_frame`).

    Always ``p_home, p_draw, p_away`` (from ``predict_proba``); for goal models also :func:`goal_columns`.
    """
    probs = np.asarray(estimator.predict_proba(fixtures), dtype=float)
    if probs.shape != (len(fixtures), len(c.OUTCOMES)):
        raise ValueError(f"predict_proba must return shape ({len(fixtures)}, 3), got {probs.shape}")
    out = pd.DataFrame(probs, columns=list(c.PROBABILITY_COLUMNS))
    if hasattr(estimator, "predict_grid"):
        for name, values in goal_columns(estimator.predict_grid(fixtures)).items():
            out[name] = values
    return out


class ScorelineModel(PythonModel):
    """Pyfunc wrapper: loads the pickled estimator and predicts fixtures with it."""

    def __init__(self) -> None:
        self.estimator: Any = None

    def load_context(self, context: PythonModelContext) -> None:
        with Path(context.artifacts[ESTIMATOR_ARTIFACT]).open("rb") as handle:
            self.estimator = cloudpickle.load(handle)

    def predict(
        self,
        context: PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        if self.estimator is None:
            raise RuntimeError("the estimator is not loaded; load the model with mlflow.pyfunc.load_model")
        return predict_frame(self.estimator, model_frame(self.estimator, pd.DataFrame(model_input)))


def model_frame(estimator: Any, model_input: pd.DataFrame) -> pd.DataFrame:
    """What ``estimator`` predicts from: :func:`fixtures_frame`, plus the checked opening prices if it uses
    the market (other estimators never see them)."""
    frame = fixtures_frame(model_input)
    if needs_opening_prices(estimator):
        prices = opening_prices(model_input)
        for name in OPENING_PRICE_COLUMNS:
            frame[name] = prices[name].to_numpy()
    return frame


def _requirements() -> list[str]:
    """Pinned requirements of the environment the model was logged from (no inference subprocess)."""
    pins = []
    for name in ("scoreline", "mlflow", "cloudpickle", "numpy", "pandas", "scipy", "scikit-learn"):
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return pins


def input_example(estimator: Any, matches: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The last ``rows`` fixtures of ``matches`` as pyfunc input; with their opening prices (rows that have
    valid ones) if ``estimator`` uses the market."""
    if not needs_opening_prices(estimator):
        return matches[list(FIXTURE_COLUMNS)].tail(rows).reset_index(drop=True)
    present = [name for name in OPENING_PRICE_COLUMNS if name in matches.columns]
    priced = matches[list(FIXTURE_COLUMNS) + present].dropna(subset=present)
    if len(present) < len(OPENING_PRICE_COLUMNS) or priced.empty:
        raise ValueError(
            "this model uses the market: give the matches their opening prices "
            f"{list(OPENING_PRICE_COLUMNS)} (scoreline.odds.attach_opening_prices) for the input example"
        )
    return priced.tail(rows).reset_index(drop=True)


def signature(example: pd.DataFrame, output: pd.DataFrame) -> Any:
    """The pyfunc signature: fixture columns (required), opening prices (optional doubles), ``output``."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import ColSpec, Schema

    inferred = infer_signature(example[list(FIXTURE_COLUMNS)], output)
    assert inferred.inputs is not None
    prices = [ColSpec("double", name, required=False) for name in OPENING_PRICE_COLUMNS]
    return ModelSignature(inputs=Schema([*inferred.inputs.inputs, *prices]), outputs=inferred.outputs)


def log_pyfunc(estimator: Any, matches: pd.DataFrame, folder: Path, example_rows: int = 5) -> str:
    """Log ``estimator`` as a pyfunc to the active run, with signature and input example; its model URI.

    The input example is the last ``example_rows`` of ``matches`` (with opening prices for market models, see
    :func:`input_example`); ``folder`` is a scratch folder for the pickled estimator.
    """
    example = input_example(estimator, matches, example_rows)
    output = predict_frame(estimator, model_frame(estimator, example))
    path = folder / f"{ESTIMATOR_ARTIFACT}.pkl"
    with path.open("wb") as handle:
        cloudpickle.dump(estimator, handle)
    info = mlflow.pyfunc.log_model(
        name=MODEL_ARTIFACT_PATH,
        python_model=ScorelineModel(),
        artifacts={ESTIMATOR_ARTIFACT: str(path)},
        signature=signature(example, output),
        input_example=example,
        pip_requirements=_requirements(),
    )
    return str(info.model_uri)

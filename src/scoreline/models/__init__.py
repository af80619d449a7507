"""Models: scikit-learn classifiers of match frames, their shared machinery and the catalogue that names them.

- :mod:`~scoreline.models.base`: the contract (:class:`MatchModel`, :class:`GoalModel`), the one probability
  check (:func:`check_probabilities`) and :func:`needs_opening_prices` (does a model predict from the
  market's opening prices?);
- :mod:`~scoreline.models.catalogue`: the names the CLI, pipelines and registry use (:func:`make_model`,
  :func:`model_names`); it builds the ensembles from its own entries;
- goal models (a score grid, :mod:`~scoreline.models.grid`): :mod:`~scoreline.models.poisson`,
  :mod:`~scoreline.models.dixon_coles`, :mod:`~scoreline.models.bivariate_poisson`, on the shared
  team-strength fit of :mod:`~scoreline.models._team_strength` and :mod:`~scoreline.models._goal_likelihood`;
- feature models (on :mod:`scoreline.features`, base :mod:`~scoreline.models.feature_model`):
  :mod:`~scoreline.models.rating` (ordered logit, :mod:`~scoreline.models.ordered_logit`),
  :mod:`~scoreline.models.lgbm` (LightGBM), :mod:`~scoreline.models.keras_mlp` (Keras, the ``nn`` extra);
- :mod:`~scoreline.models.ensemble`: a stacked ensemble holding its base models as ``estimators``;
- :mod:`~scoreline.models.memo`: :class:`FitMemo`, the explicit cache a caller running many fits (the
  walk-forward backtest) hands to the models as their ``memory``; models keep no module-level state.

Names are imported on first use, so ``import scoreline.models`` loads neither LightGBM nor TensorFlow.
"""

from __future__ import annotations

from scoreline.lazy import lazy_exports

_EXPORTS = {
    "MatchModel": "base",
    "GoalModel": "base",
    "ConvergenceError": "base",
    "PROBABILITY_TOLERANCE": "base",
    "check_probabilities": "base",
    "needs_opening_prices": "base",
    "predict_frame": "base",
    "ScoreGrid": "grid",
    "CATALOGUE": "catalogue",
    "make_model": "catalogue",
    "model_names": "catalogue",
    "PoissonGoalModel": "poisson",
    "DixonColesGoalModel": "dixon_coles",
    "BivariatePoissonGoalModel": "bivariate_poisson",
    "RatingModel": "rating",
    "LGBMModel": "lgbm",
    "KerasMLPModel": "keras_mlp",
    "EnsembleModel": "ensemble",
    "FitMemo": "memo",
}
__all__ = [*_EXPORTS]  # noqa: PLE0604 (the keys of _EXPORTS are strings)
__getattr__ = lazy_exports(__name__, _EXPORTS)

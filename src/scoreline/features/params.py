"""Parameters of every feature group, with their defaults (see docs/features.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from scoreline.odds import PREFERRED_1X2_BOOKMAKERS


@dataclass(frozen=True)
class EloParams:
    """Goal-based Elo (Hvattum & Arntzen 2010): ``k = k0 * (1 + |goal diff|) ** margin_exponent``.

    ``home_advantage`` is added to the home rating (in points) when computing the expected score;
    ``season_regression`` is the share of the distance to the league mean removed at each season change.
    Defaults were chosen by the squared error of the expected score on football-data seasons 2016/17-2018/19
    (ratings run from 2000/01; nothing from 2021/22 on was looked at).
    """

    k: float = 15.0
    home_advantage: float = 60.0
    margin_exponent: float = 0.25
    initial: float = 1500.0
    season_regression: float = 0.1


@dataclass(frozen=True)
class PiParams:
    """Pi-ratings (Constantinou & Fenton 2013): learning rates ``lambda`` (own) and ``gamma`` (cross-venue).

    ``base`` and ``scale`` are the paper's ``b = 10`` and ``c = 3`` of the rating to goal-difference mapping
    ``b ** (|r| / c) - 1`` and of the error function ``psi(e) = c * log_b(1 + e)``.
    """

    learning_rate: float = 0.035
    cross_rate: float = 0.7
    base: float = 10.0
    scale: float = 3.0
    initial: float = 0.0
    season_regression: float = 0.0


@dataclass(frozen=True)
class PiShotsParams(PiParams):
    """Pi-ratings on a blended margin: ``(1 - w) * goal difference + w * k * shots-on-target difference``.

    Shots on target are a less noisy measure of how well a side played than goals; ``k`` (goals per shot on
    target, about 0.3 in the top five leagues) puts their difference on the goal scale. Where a match has no
    shots-on-target counts the margin is its goal difference. Defaults were chosen on seasons
    2017/18-2020/21 of the top five leagues (RPS of a logit on the ratings, refitted each season; nothing from
    2021/22 on was looked at): ``w = 0.7``, ``k = 0.25``, ``lambda = 0.05``, ``gamma = 0.8``.
    """

    learning_rate: float = 0.05
    cross_rate: float = 0.8
    shots_weight: float = 0.7
    goals_per_shot: float = 0.25


@dataclass(frozen=True)
class FormParams:
    """Recent form: exponentially weighted mean (``halflife`` in matches) and mean of the last ``last_n``."""

    halflife: float = 5.0
    last_n: int = 5


@dataclass(frozen=True)
class MarketParams:
    """Market features from opening 1X2 prices: the first of ``bookmakers`` with a valid triple."""

    bookmakers: tuple[str, ...] = PREFERRED_1X2_BOOKMAKERS


@dataclass(frozen=True)
class FeatureParams:
    """Parameters of all groups; ``FeatureParams.from_mapping({"elo": {"k": 30}})`` overrides some."""

    elo: EloParams = field(default_factory=EloParams)
    pi: PiParams = field(default_factory=PiParams)
    pi_shots: PiShotsParams = field(default_factory=PiShotsParams)
    form: FormParams = field(default_factory=FormParams)
    market: MarketParams = field(default_factory=MarketParams)

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Mapping[str, Any]]) -> FeatureParams:
        """Defaults with ``overrides`` (group -> parameter -> value) applied; unknown names raise."""
        params = cls()
        groups = {f.name for f in fields(cls)}
        for group, values in overrides.items():
            if group not in groups:
                raise ValueError(f"unknown feature group {group!r} in params; choose from {sorted(groups)}")
            current = getattr(params, group)
            known = {f.name for f in fields(current)}
            unknown = set(values) - known
            if unknown:
                raise ValueError(f"unknown {group} parameter(s) {sorted(unknown)}; known: {sorted(known)}")
            params = replace(params, **{group: replace(current, **dict(values))})
        return params

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for hashing and logging)."""
        return asdict(self)


def resolve_params(params: FeatureParams | Mapping[str, Mapping[str, Any]] | None) -> FeatureParams:
    """Accept parameters as an object, an override mapping or ``None`` (defaults)."""
    if params is None:
        return FeatureParams()
    if isinstance(params, FeatureParams):
        return params
    return FeatureParams.from_mapping(params)

"""Request and response bodies of the API (input and output models are separate)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from scoreline.models.base import needs_opening_prices
from scoreline.odds import price_problems
from scoreline.serving.provider import MODEL_REF_PATTERN
from scoreline.serving.service import GOAL_LINE, ModelHandle, Prediction

MAX_FIXTURES = 500
EARLIEST_KICKOFF_YEAR = 1900
LATEST_KICKOFF_YEAR = 2200
LEAGUE_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
MAX_PRICE = 1000.0
ISO_DATE_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")

Probability = Field(ge=0.0, le=1.0)

LocalKickoff = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(timespec="seconds"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$",
            "description": "Kickoff without offset: the league's local time as stored (inputs with an offset "
            "were converted to UTC).",
            "examples": ["2025-08-16T15:00:00"],
        }
    ),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- input ---------------------------------------------------------------------------------------


def _price(example: float) -> Any:
    return Field(gt=1.0, le=MAX_PRICE, allow_inf_nan=False, examples=[example])


class OddsIn(_In):
    """A fixture's opening 1X2 decimal prices (a bookmaker's triple: implied probabilities summing to more
    than 1 and at most 1.3)."""

    home: float = _price(2.1)
    draw: float = _price(3.4)
    away: float = _price(3.6)

    @model_validator(mode="after")
    def _usable_triple(self) -> OddsIn:
        problems = price_problems(np.array([[self.home, self.draw, self.away]]))
        if problems:
            raise ValueError(f"the prices {problems[0].reason}")
        return self


class FixtureIn(_In):
    """A fixture to predict; ``odds`` are used only by market models (``needs_opening_prices``)."""

    league: str = Field(pattern=LEAGUE_PATTERN, examples=["E0"], description="football-data division code.")
    home: str = Field(min_length=1, max_length=64, examples=["Arsenal"])
    away: str = Field(min_length=1, max_length=64, examples=["Chelsea"])
    kickoff: datetime = Field(
        examples=["2025-08-16T15:00:00"],
        description="ISO 8601; a time zone offset is converted to UTC, a naive time is taken as given.",
    )
    odds: OddsIn | None = Field(
        default=None,
        description="Opening 1X2 prices. Market models need them; if absent, the store's are used (422 if it "
        "has none). Other models ignore them.",
    )

    @field_validator("kickoff", mode="before")
    @classmethod
    def _kickoff_is_text(cls, value: Any) -> Any:
        """Only an ISO 8601 string (as the schema says), not a number (or digits) read as a Unix time."""
        if isinstance(value, datetime) or (isinstance(value, str) and ISO_DATE_START.match(value.strip())):
            return value
        raise ValueError("kickoff must be an ISO 8601 date and time string, e.g. 2025-08-16T15:00:00")

    @field_validator("kickoff")
    @classmethod
    def _plausible_kickoff(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        if not EARLIEST_KICKOFF_YEAR <= value.year <= LATEST_KICKOFF_YEAR:
            raise ValueError(
                f"kickoff year must be between {EARLIEST_KICKOFF_YEAR} and {LATEST_KICKOFF_YEAR}"
            )
        return value

    @model_validator(mode="after")
    def _two_teams(self) -> FixtureIn:
        if self.home.casefold() == self.away.casefold():
            raise ValueError("home and away must be different teams")
        return self


class PredictionRequest(_In):
    """1 to 500 fixtures."""

    fixtures: list[FixtureIn] = Field(min_length=1, max_length=MAX_FIXTURES)


class ReloadRequest(_In):
    """Which model to load; default the one the app serves (normally ``champion``)."""

    model: str | None = Field(default=None, pattern=MODEL_REF_PATTERN, examples=["champion", "3"])


class PromoteRequest(_In):
    """Run the promotion gate; ``dry_run`` logs the decision without moving the aliases."""

    dry_run: bool = False


# --- output --------------------------------------------------------------------------------------


class ModelOut(BaseModel):
    """The served model; ``needs_opening_prices`` if it predicts from the fixtures' opening 1X2 prices."""

    name: str
    version: str
    alias: str | None = None
    run_id: str | None = None
    loaded_at: datetime
    needs_opening_prices: bool = False

    @classmethod
    def of(cls, handle: ModelHandle) -> ModelOut:
        return cls(
            name=handle.name,
            version=handle.version,
            alias=handle.alias,
            run_id=handle.run_id,
            loaded_at=handle.loaded_at,
            needs_opening_prices=needs_opening_prices(handle.estimator),
        )


class ModelRef(BaseModel):
    """Which model made a prediction."""

    name: str
    version: str


class OutcomeProbabilities(BaseModel):
    home: float = Probability
    draw: float = Probability
    away: float = Probability


class ExpectedGoals(BaseModel):
    home: float = Field(ge=0.0)
    away: float = Field(ge=0.0)


class ScoreProbability(BaseModel):
    home: int = Field(ge=0)
    away: int = Field(ge=0)
    probability: float = Probability


class OverUnder(BaseModel):
    line: float
    over: float = Probability
    under: float = Probability


class OddsOut(BaseModel):
    home: float = Field(gt=1.0)
    draw: float = Field(gt=1.0)
    away: float = Field(gt=1.0)


class PredictionOut(BaseModel):
    """A model's prediction of one fixture; goal markets are null for models that only give 1X2; ``odds`` are
    the opening prices a market model predicted from (null for other models)."""

    league: str
    home: str
    away: str
    kickoff: LocalKickoff
    probabilities: OutcomeProbabilities
    expected_goals: ExpectedGoals | None
    most_likely_scores: list[ScoreProbability]
    over_under: OverUnder | None
    both_teams_to_score: float | None = Field(default=None, ge=0.0, le=1.0)
    odds: OddsOut | None = None
    model: ModelRef

    @classmethod
    def of(cls, prediction: Prediction) -> PredictionOut:
        return cls.model_validate(prediction_documents([prediction])[0])


def prediction_documents(predictions: Sequence[Prediction]) -> list[dict[str, Any]]:
    """The JSON form of :class:`PredictionOut` for each prediction, built directly in one pass (the API's hot
    path skips model validation; the schema tests check that these documents conform)."""
    return [
        {
            "league": fixture.league,
            "home": fixture.home,
            "away": fixture.away,
            "kickoff": fixture.kickoff.isoformat(timespec="seconds"),
            "probabilities": {"home": home, "draw": draw, "away": away},
            "expected_goals": None if xg is None else {"home": xg[0], "away": xg[1]},
            "most_likely_scores": [{"home": h, "away": a, "probability": p} for h, a, p in scores],
            "over_under": None
            if over is None
            else {"line": GOAL_LINE, "over": over, "under": max(0.0, 1 - over)},
            "both_teams_to_score": btts,
            "odds": None
            if fixture.odds is None
            else {"home": fixture.odds[0], "draw": fixture.odds[1], "away": fixture.odds[2]},
            "model": {"name": name, "version": version},
        }
        for fixture, home, draw, away, xg, scores, over, btts, name, version in predictions
    ]


class PredictionResponse(BaseModel):
    predictions: list[PredictionOut]
    model: ModelOut


class SkippedFixture(BaseModel):
    """A scheduled fixture the served model cannot predict, and why (a market model without its odds)."""

    league: str
    home: str
    away: str
    kickoff: LocalKickoff
    reason: str


class UpcomingResponse(BaseModel):
    """Scheduled fixtures in the store (no result, kickoff in the future) with their predictions; a market
    model skips (and lists in ``skipped``) those without opening odds in the store."""

    fixtures: list[PredictionOut]
    skipped: list[SkippedFixture] = Field(default_factory=list)
    model: ModelOut
    as_of: datetime


class LeagueOut(BaseModel):
    league: str
    season: str
    teams: int
    upcoming: int


class LeaguesResponse(BaseModel):
    leagues: list[LeagueOut]


class TeamsResponse(BaseModel):
    league: str
    season: str
    teams: list[str]


class ModelVersionOut(BaseModel):
    version: int
    aliases: list[str]
    model: str
    metrics: dict[str, float | None]
    run_id: str | None = None
    created: str | None = None


class ModelsResponse(BaseModel):
    serving: ModelOut | None
    versions: list[ModelVersionOut]


class ReloadResponse(BaseModel):
    previous: ModelOut | None
    current: ModelOut


class PromoteResponse(BaseModel):
    promoted: bool
    reason: str
    decision: dict[str, Any]
    serving: ModelOut | None


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str
    model: ModelOut | None = None
    detail: str | None = None


class NameProblem(BaseModel):
    """An unknown name in the request, where it is, and the closest known names."""

    loc: list[str | int]
    kind: str
    name: str
    suggestions: list[str]


class ErrorOut(BaseModel):
    """Every error body (422 uses FastAPI's validation error list instead)."""

    detail: str
    problems: list[NameProblem] = Field(default_factory=list)
    request_id: str | None = None

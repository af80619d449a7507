"""Model cards: what a registered version was trained on, how it scored against the market, its limits.

A card is built from the training run alone (its parameters, tags and metrics, see
:mod:`scoreline.pipelines.train`), so any version can get one later. It is logged to the run as
``model_card/v<version>.json`` and ``.md``, and the markdown becomes the model version's description.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

CARD_FOLDER = "model_card"
# Run tags and parameters written by the training pipeline and read back here.
TAG_PREFIX = "scoreline."
LIMITATIONS_TAG = "scoreline.limitations"
OPENING_PRICES_TAG = "scoreline.needs_opening_prices"  # "true": the model predicts from opening 1X2 prices
FIXTURE_INPUTS = "league, home, away, kickoff"
OPENING_ODDS_INPUTS = (
    "league, home, away, kickoff and the fixture's opening 1X2 decimal prices "
    "(opening_price_home, opening_price_draw, opening_price_away)"
)
OPENING_ODDS_LIMITATION = (
    "Needs each fixture's opening 1X2 odds (home, draw, away decimal prices) to predict: fixtures without "
    "valid opening prices are refused, never predicted without the market."
)
METRIC_LABELS = {
    "val_rps": "RPS",
    "val_log_loss": "log loss",
    "val_brier": "Brier score",
    "val_accuracy": "accuracy",
}
MARKET_LABELS = {
    "market_rps": "market RPS (closing odds, same matches)",
    "rps_minus_market": "model RPS minus market RPS",
    "market_n": "matches with market odds",
}
GENERAL_LIMITATIONS = (
    "Trained on results only (football-data.co.uk): no line-ups, injuries, transfers, schedule congestion "
    "or weather.",
    "Team strengths are as of the training cutoff; predictions far beyond it ignore everything since.",
    "Teams without matches in the training window (newly promoted clubs) get the estimator's default "
    "strength, so their early-season forecasts are weak.",
)


def build_card(run: Run, version: int | None) -> dict[str, Any]:
    """The card of ``run`` (registered as ``version``) as a JSON-ready dict."""
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    scoreline_tags = {k[len(TAG_PREFIX) :]: v for k, v in tags.items() if k.startswith(TAG_PREFIX)}
    limitations = list(GENERAL_LIMITATIONS)
    limitations.append(f"Validated by walk-forward on season {params.get('validation_season', '?')} only.")
    if "market_rps" not in metrics:
        limitations.append("No market comparison: no closing odds were available for the validation matches.")
    elif metrics.get("rps_minus_market", 0.0) > 0:
        limitations.append("Worse than the closing market on the validation matches (higher RPS).")
    limitations.extend(json.loads(tags.get(LIMITATIONS_TAG, "[]")))
    needs_opening_prices = bool(json.loads(tags.get(OPENING_PRICES_TAG, "false")))
    if needs_opening_prices:
        limitations.insert(0, OPENING_ODDS_LIMITATION)
    return {
        "model_name": "scoreline-match-outcome",
        "version": version,
        "model": scoreline_tags.get("model", "unknown"),
        "run_id": run.info.run_id,
        "trained_at": run.info.start_time,
        "training_window": {
            "first_kickoff": scoreline_tags.get("train_first_kickoff"),
            "last_kickoff": scoreline_tags.get("train_last_kickoff"),
            "cutoff": params.get("until"),
            "matches": int(params.get("n_train", 0)),
        },
        "leagues": json.loads(scoreline_tags.get("leagues", "[]")),
        "features": {
            "feature_set_version": scoreline_tags.get("feature_set_version"),
            "inputs": OPENING_ODDS_INPUTS if needs_opening_prices else FIXTURE_INPUTS,
            "needs_opening_prices": needs_opening_prices,
        },
        "parameters": {k[len("model.") :]: v for k, v in params.items() if k.startswith("model.")},
        "seed": params.get("seed"),
        "validation": {
            "season": params.get("validation_season"),
            "matches": int(metrics.get("val_n", 0)),
            "metrics": {k: metrics[k] for k in METRIC_LABELS if k in metrics},
        },
        "market": {k: metrics[k] for k in MARKET_LABELS if k in metrics},
        "provenance": {
            "data_hash": scoreline_tags.get("data_hash"),
            "git_commit": scoreline_tags.get("git_commit"),
            "packages": json.loads(scoreline_tags.get("packages", "{}")),
        },
        "limitations": limitations,
    }


def render_markdown(card: dict[str, Any]) -> str:
    """The card as markdown."""
    window = card["training_window"]
    validation = card["validation"]
    features = card["features"]
    lines = [
        f"# {card['model_name']} v{card['version']}: {card['model']}",
        "",
        f"Run `{card['run_id']}`, seed {card['seed']}.",
        "",
        "## Training data",
        f"- Leagues: {', '.join(card['leagues']) or 'all'}",
        f"- Window: {window['first_kickoff']} to {window['last_kickoff']} ({window['matches']} matches, "
        f"cutoff {window['cutoff']}, exclusive)",
        f"- Features: version `{features['feature_set_version']}`; inputs {features['inputs']}",
        f"- Parameters: {json.dumps(card['parameters'], sort_keys=True)}",
        "",
        f"## Walk-forward validation (season {validation['season']}, {validation['matches']} matches)",
    ]
    lines += [f"- {METRIC_LABELS[k]}: {v:.4f}" for k, v in validation["metrics"].items()]
    lines += ["", "## Against the market"]
    market = card["market"]
    lines += [f"- {MARKET_LABELS[k]}: {v:.4f}" for k, v in market.items()] or ["- not available"]
    provenance = card["provenance"]
    lines += [
        "",
        "## Provenance",
        f"- Data hash: `{provenance['data_hash']}`",
        f"- Git commit: `{provenance['git_commit']}`",
        f"- Packages: {', '.join(f'{k} {v}' for k, v in sorted(provenance['packages'].items()))}",
        "",
        "## Known limitations",
    ]
    lines += [f"- {text}" for text in card["limitations"]]
    return "\n".join(lines) + "\n"


def log_model_card(mlflow_client: MlflowClient, run_id: str, version: int) -> str:
    """Build the card of ``run_id`` as ``version``, log it (JSON and markdown) to the run; the markdown."""
    card = build_card(mlflow_client.get_run(run_id), version)
    markdown = render_markdown(card)
    mlflow_client.log_dict(run_id, card, f"{CARD_FOLDER}/v{version}.json")
    mlflow_client.log_text(run_id, markdown, f"{CARD_FOLDER}/v{version}.md")
    return markdown

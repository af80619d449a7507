"""Style clustering recovers planted styles; k selection, stability, names and label alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.insights.clustering import (
    COVARIANCE_TYPES,
    StyleClusterer,
    align_labels,
    bootstrap_stability,
    cluster_agreement,
    describe_clusters,
)
from scoreline.insights.profiles import STYLE_FEATURES, standardize, team_profiles


@pytest.fixture(scope="module")
def season_profiles(styled) -> pd.DataFrame:
    profiles = standardize(team_profiles(styled.matches, periods=("season",)))
    return profiles.merge(styled.styles, on=[c.LEAGUE, c.SEASON, "team"], validate="one_to_one")


@pytest.mark.parametrize("method", ["gmm", "kmeans"])
def test_planted_styles_are_recovered(season_profiles: pd.DataFrame, method: str) -> None:
    X = season_profiles[list(STYLE_FEATURES)]
    clusterer = StyleClusterer(method=method, k_range=(2, 8)).fit(X)
    assert clusterer.n_clusters_ == 4
    assert cluster_agreement(season_profiles["style"], clusterer.labels_) > 0.8
    # Numbered by size, largest first, and predict agrees with the fit.
    sizes = np.bincount(clusterer.labels_)
    assert list(sizes) == sorted(sizes, reverse=True)
    np.testing.assert_array_equal(clusterer.predict(X), clusterer.labels_)
    proba = clusterer.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), clusterer.labels_)
    selection = clusterer.selection_
    if method == "gmm":
        # BIC over k and covariance type; the chosen pair has the lowest BIC, below a single Gaussian's.
        assert len(selection) == 7 * len(COVARIANCE_TYPES)
        best = selection.loc[selection["bic"].idxmin()]
        assert (best["k"], best["covariance_type"]) == (4, clusterer.covariance_type_)
        assert best["bic"] < clusterer.one_component_bic_
    else:
        assert list(selection["k"]) == list(range(2, 9))
        assert selection["silhouette"].idxmax() == 2  # k = 4


def test_no_structure_gives_low_stability() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(300, 5))
    clusterer = StyleClusterer(method="kmeans", n_clusters=4).fit(noise)
    stability = bootstrap_stability(noise, clusterer, n_boot=5, seed=0)
    assert -1 <= stability.low <= stability.mean <= stability.high <= 1
    assert stability.mean < 0.9  # arbitrary cuts of a blob are not reproducible


@pytest.mark.parametrize("method", ["gmm", "kmeans"])
def test_planted_styles_are_stable(season_profiles: pd.DataFrame, method: str) -> None:
    X = season_profiles[list(STYLE_FEATURES)]
    clusterer = StyleClusterer(method=method, n_clusters=4, covariance_type="tied").fit(X)
    stability = bootstrap_stability(X, clusterer, n_boot=10, seed=0)
    assert stability.n_boot == len(stability.values) == 10
    assert stability.mean > 0.9


def test_clusters_are_named_after_what_sets_them_apart(season_profiles: pd.DataFrame) -> None:
    X = season_profiles[list(STYLE_FEATURES)]
    clusterer = StyleClusterer(method="kmeans", n_clusters=4).fit(X)
    smd, names = describe_clusters(X, clusterer.labels_)
    assert len(set(names.values())) == 4
    # The planted "physical" style (1) fouls and is booked more and shoots less.
    physical = int(pd.Series(clusterer.labels_[season_profiles["style"] == 1]).mode()[0])
    row = smd[smd["cluster"] == physical].set_index("feature")["smd"]
    assert row["fouls_for"] > 1 and row["cards_for"] > 1 and row["shots_for"] < -0.5
    assert "high fouls" in names[physical] or "high cards" in names[physical]
    # The planted "clinical" style (2) converts well.
    clinical = int(pd.Series(clusterer.labels_[season_profiles["style"] == 2]).mode()[0])
    assert smd[(smd["cluster"] == clinical) & (smd["feature"] == "conversion")]["smd"].iloc[0] > 1


def test_align_labels_undoes_a_permutation() -> None:
    centers = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    permuted = centers[[2, 0, 1]] + 0.1
    np.testing.assert_array_equal(align_labels(centers, permuted), [2, 0, 1])
    extra = np.vstack([permuted, [[9.0, 9.0]]])
    assert align_labels(centers, extra).tolist() == [2, 0, 1, 3]


def test_too_few_rows_are_rejected() -> None:
    with pytest.raises(ValueError, match="cannot cluster 2 rows"):
        StyleClusterer(k_range=(2, 4)).fit(np.zeros((2, 3)))


def test_unknown_covariance_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown covariance type 'round'"):
        StyleClusterer(covariance_type="round").fit(np.random.default_rng(0).normal(size=(40, 3)))

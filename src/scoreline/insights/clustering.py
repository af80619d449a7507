"""Clustering team profiles into playing styles: Gaussian mixture or k-means, k chosen from data.

:class:`StyleClusterer` follows the scikit-learn contract. The number of clusters is the BIC minimum (Gaussian
mixture) or the silhouette maximum (k-means) over ``k_range``; clusters are numbered by size (0 = largest) so
labels are reproducible. :func:`bootstrap_stability` refits on bootstrap resamples and compares each refit's
labelling of all rows with the reference by the adjusted Rand index. :func:`describe_clusters` finds the
features that set each cluster apart (standardized mean differences) and names it after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

Method = Literal["gmm", "kmeans"]
METHODS: tuple[Method, ...] = ("gmm", "kmeans")
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
CLUSTER = "cluster"
FEATURE = "feature"
SMD = "smd"
# Readable names for profile features, used in cluster names ("high shots, low fouls").
FEATURE_LABELS = {
    "goals_for": "goals",
    "goals_against": "goals conceded",
    "shots_for": "shots",
    "shots_against": "shots conceded",
    "sot_for": "shots on target",
    "sot_against": "shots on target conceded",
    "corners_for": "corners",
    "corners_against": "corners conceded",
    "fouls_for": "fouls",
    "fouls_against": "fouls suffered",
    "cards_for": "cards",
    "conversion": "conversion",
    "shot_accuracy": "shot accuracy",
    "conversion_against": "opponent conversion",
}


def _matrix(X: np.ndarray | pd.DataFrame) -> np.ndarray:
    """A float matrix with missing values set to 0, the mean of a z-scored feature."""
    return np.nan_to_num(np.asarray(X, dtype=float), nan=0.0)


def _new_model(
    method: Method, k: int, n_init: int, covariance_type: str, seed: int
) -> GaussianMixture | KMeans:
    if method == "gmm":
        return GaussianMixture(k, covariance_type=covariance_type, n_init=n_init, random_state=seed)
    if method == "kmeans":
        return KMeans(k, n_init=n_init, random_state=seed)
    raise ValueError(f"unknown clustering method {method!r}; choose one of {', '.join(METHODS)}")


def _admissible(model: GaussianMixture, shape: tuple[int, ...]) -> bool:
    """Whether a mixture's BIC can be trusted: every component holds enough rows for its covariance.

    A full covariance needs at least ``2 x features`` rows in each component, the others at least 5; below
    that the likelihood of a near-singular component explodes and BIC rewards the overfit.
    """
    n, d = shape
    smallest = float(model.weights_.min()) * n
    return smallest >= (2 * d if model.covariance_type == "full" else 5)


class StyleClusterer:
    """Clusters rows of z-scored team profiles; the number of clusters is chosen by BIC or silhouette.

    Parameters: ``method`` ``"gmm"`` (Gaussian mixture, k by lowest BIC) or ``"kmeans"`` (k by highest
    silhouette); ``k_range`` inclusive bounds searched when ``n_clusters`` is None; ``covariance_type`` of
    the mixture, or ``"auto"`` to choose it by BIC together with k; ``n_init`` restarts; ``random_state``.
    Missing values count as 0 (the z-scored mean).
    Learned: ``n_clusters_``, ``covariance_type_``, ``model_``, ``labels_``, ``centers_`` (cluster means,
    k x features), ``selection_`` (one row per k, and covariance type, tried with ``bic`` or
    ``silhouette``; mixtures with too small components for their covariance are not ``admissible``) and
    ``one_component_bic_``: the BIC of a single full-covariance Gaussian, to show whether any clustering
    beats none. Fits run single-threaded: on these small matrices threads only add
    overhead on a shared machine.
    """

    def __init__(
        self,
        method: Method = "gmm",
        k_range: tuple[int, int] = (2, 8),
        n_clusters: int | None = None,
        covariance_type: str = "auto",
        n_init: int = 3,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.k_range = k_range
        self.n_clusters = n_clusters
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.random_state = random_state

    def _covariance_types(self) -> tuple[str, ...]:
        if self.covariance_type == "auto":
            return COVARIANCE_TYPES
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(
                f"unknown covariance type {self.covariance_type!r}; "
                f"choose auto or {', '.join(COVARIANCE_TYPES)}"
            )
        return (self.covariance_type,)

    def _select(self, X: np.ndarray) -> tuple[int, str, pd.DataFrame]:
        low, high = self.k_range
        ks = [k for k in range(low, high + 1) if k < len(X)]
        if not ks:
            raise ValueError(f"cannot cluster {len(X)} rows into {low}..{high} clusters")
        rows: list[dict[str, object]] = []
        if self.method == "gmm":
            for covariance in self._covariance_types():
                for k in ks:
                    model = _new_model("gmm", k, self.n_init, covariance, self.random_state).fit(X)
                    assert isinstance(model, GaussianMixture)
                    rows.append(
                        {
                            "k": k,
                            "covariance_type": covariance,
                            "bic": float(model.bic(X)),
                            "admissible": _admissible(model, X.shape),
                        }
                    )
            selection = pd.DataFrame(rows)
            candidates = selection[selection["admissible"]] if selection["admissible"].any() else selection
            best = int(np.argmin(candidates["bic"].to_numpy()))
            return int(candidates["k"].iloc[best]), str(candidates["covariance_type"].iloc[best]), selection
        for k in ks:
            labels = _new_model("kmeans", k, self.n_init, "", self.random_state).fit_predict(X)
            score = silhouette_score(X, labels) if len(set(labels)) > 1 else -1.0
            rows.append({"k": k, "silhouette": float(score)})
        selection = pd.DataFrame(rows)
        return ks[int(np.argmax(selection["silhouette"].to_numpy()))], "", selection

    def fit(self, X: np.ndarray | pd.DataFrame) -> StyleClusterer:
        """Choose k (unless ``n_clusters`` is set), fit, and number clusters by size (0 = largest)."""
        data = _matrix(X)
        with threadpool_limits(limits=1):
            if self.n_clusters is None:
                k, covariance, self.selection_ = self._select(data)
            else:
                k, self.selection_ = self.n_clusters, pd.DataFrame({"k": [self.n_clusters]})
                covariance = "full" if self.covariance_type == "auto" else self._covariance_types()[0]
            self.covariance_type_ = covariance if self.method == "gmm" else ""
            self.model_ = _new_model(self.method, k, self.n_init, covariance, self.random_state).fit(data)
            self.one_component_bic_ = float(GaussianMixture(1, covariance_type="full").fit(data).bic(data))
        raw = self.model_.predict(data)
        sizes = np.bincount(raw, minlength=k)
        order = np.lexsort((np.arange(k), -sizes))  # largest first, ties by raw label
        self.relabel_ = np.empty(k, dtype=int)
        self.relabel_[order] = np.arange(k)
        self.n_clusters_ = k
        self.labels_ = self.relabel_[raw]
        self.centers_ = np.vstack([data[self.labels_ == j].mean(axis=0) for j in range(k)])
        return self

    def predict(self, X: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Cluster of each row, in the fitted numbering."""
        return np.asarray(self.relabel_[self.model_.predict(_matrix(X))])

    def predict_proba(self, X: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Posterior cluster probabilities (columns in the fitted numbering); one-hot for k-means."""
        data = _matrix(X)
        if isinstance(self.model_, GaussianMixture):
            raw = self.model_.predict_proba(data)
        else:
            raw = np.eye(self.n_clusters_)[self.model_.predict(data)]
        out = np.empty_like(raw)
        out[:, self.relabel_] = raw
        return out


@dataclass(frozen=True)
class Stability:
    """Adjusted Rand index between the reference clustering and refits on bootstrap resamples."""

    mean: float
    low: float  # 2.5th percentile
    high: float  # 97.5th percentile
    n_boot: int
    values: tuple[float, ...]


def bootstrap_stability(
    X: np.ndarray | pd.DataFrame, clusterer: StyleClusterer, n_boot: int = 30, seed: int = 0
) -> Stability:
    """Refit ``clusterer``'s method with its fitted k on ``n_boot`` bootstrap resamples of the rows.

    Each refit labels all rows; its ARI with the fitted clusterer's labels measures how reproducible the
    clustering is (1 = identical partitions, about 0 = chance agreement).
    """
    data = _matrix(X)
    rng = np.random.default_rng(seed)
    values = []
    with threadpool_limits(limits=1):
        for b in range(n_boot):
            sample = data[rng.integers(0, len(data), len(data))]
            refit = _new_model(
                clusterer.method,
                clusterer.n_clusters_,
                clusterer.n_init,
                clusterer.covariance_type_ or "full",
                seed + b + 1,
            ).fit(sample)
            values.append(float(adjusted_rand_score(clusterer.labels_, refit.predict(data))))
    array = np.asarray(values)
    return Stability(
        mean=float(array.mean()),
        low=float(np.percentile(array, 2.5)),
        high=float(np.percentile(array, 97.5)),
        n_boot=n_boot,
        values=tuple(values),
    )


def standardized_mean_differences(X: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Per cluster and feature: (mean in cluster - mean of the rest) / pooled sd. Long frame, sorted."""
    rows = []
    for cluster in np.unique(labels):
        inside, rest = X[labels == cluster], X[labels != cluster]
        n1, n0 = inside.notna().sum(), rest.notna().sum()
        pooled = np.sqrt(((n1 - 1) * inside.var() + (n0 - 1) * rest.var()) / (n1 + n0 - 2))
        smd = (inside.mean() - rest.mean()) / pooled.where(pooled > 0)
        for feature in X.columns:
            rows.append(
                {
                    CLUSTER: int(cluster),
                    FEATURE: feature,
                    SMD: float(smd[feature]),
                    "mean": float(inside[feature].mean()),
                }
            )
    return pd.DataFrame(rows, columns=[CLUSTER, FEATURE, SMD, "mean"])


def _name(smd: pd.Series, correlation: pd.DataFrame, n_features: int, threshold: float) -> str:
    """'high a, low b' from the largest |SMD| features, skipping ones correlated with a chosen one."""
    chosen: list[str] = []
    for feature in smd.abs().sort_values(ascending=False, kind="stable").index:
        if len(chosen) == n_features or abs(smd[feature]) < threshold:
            break
        if all(abs(correlation.loc[feature, other]) < 0.7 for other in chosen):
            chosen.append(str(feature))
    if not chosen:
        return "average"
    return ", ".join(f"{'high' if smd[f] > 0 else 'low'} {FEATURE_LABELS.get(f, f)}" for f in chosen)


def describe_clusters(
    X: pd.DataFrame, labels: np.ndarray, n_features: int = 2, threshold: float = 0.3
) -> tuple[pd.DataFrame, dict[int, str]]:
    """Standardized mean differences and a readable, unique name per cluster.

    A name lists up to ``n_features`` features with |SMD| >= ``threshold`` (more if two names would clash).
    """
    smd = standardized_mean_differences(X, labels)
    wide = smd.pivot(index=CLUSTER, columns=FEATURE, values=SMD)[list(X.columns)]
    correlation = X.corr().fillna(0.0)
    names: dict[int, str] = {}
    for cluster in wide.index:
        for extra in range(len(X.columns)):
            name = _name(wide.loc[cluster].fillna(0.0), correlation, n_features + extra, threshold)
            if name not in names.values() or extra == len(X.columns) - 1:
                break
        names[int(cluster)] = name if name not in names.values() else f"{name} ({cluster})"
    return smd, names


def align_labels(reference_centers: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Map each cluster of ``centers`` to the nearest reference cluster (Hungarian matching).

    Returns ``mapping`` with ``mapping[j]`` the aligned label of cluster ``j``; clusters left over when there
    are more clusters than reference clusters get new labels after the reference ones.
    """
    cost = np.linalg.norm(centers[:, None, :] - reference_centers[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(np.nan_to_num(cost, nan=1e9))
    mapping = np.full(len(centers), -1, dtype=int)
    mapping[rows] = cols
    next_label = len(reference_centers)
    for j in np.flatnonzero(mapping < 0):
        mapping[j] = next_label
        next_label += 1
    return mapping


def cluster_agreement(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float:
    """Adjusted Rand index between two labellings of the same rows."""
    return float(adjusted_rand_score(np.asarray(a), np.asarray(b)))

"""Insights beside the models: team playing styles from match statistics, and what they mean for results.

Modules: ``profiles`` (team profiles per season and half-season, z-scored), ``clustering`` (Gaussian mixture
and k-means with k chosen by BIC / silhouette, bootstrap stability, cluster names), ``performance`` (points
versus expected points per cluster, matchup draw and upset rates), ``transitions`` (season-to-season moves),
``membership`` (leakage-safe cluster features for models), ``analysis`` / ``report`` / ``plots`` (the
report), ``simulate_styles`` (leagues with planted styles, for tests).
"""

"""A small neural network (Keras 3 on the TensorFlow backend) on the leakage-safe feature table.

Features are standardised with the training means and deviations (missing values become the mean); training
stops early on the last ``validation_fraction`` of the training period (split by date) and keeps the best
weights. Seeds and TensorFlow's deterministic ops make a fit reproducible.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.models.feature_model import FeatureModel
from scoreline.models.lgbm import time_validation_mask


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    return keras


class KerasMLPModel(FeatureModel):
    """Multilayer perceptron with a softmax over home/draw/away."""

    def __init__(
        self,
        groups: tuple[str, ...] = ("elo", "pi", "form"),
        hidden_units: tuple[int, ...] = (32, 16),
        dropout: float = 0.2,
        l2: float = 1e-4,
        learning_rate: float = 3e-3,
        batch_size: int = 512,
        max_epochs: int = 40,
        patience: int = 4,
        validation_fraction: float = 0.15,
        burn_in_days: int = 365,
        learn_days: int | None = 1095,
        random_state: int = 0,
    ) -> None:
        self.groups = groups
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.burn_in_days = burn_in_days
        self.learn_days = learn_days
        self.random_state = random_state

    def _standardise(self, table: pd.DataFrame) -> np.ndarray:
        values = (table.to_numpy(dtype=float) - self.mean_) / self.scale_
        return np.asarray(np.nan_to_num(values, nan=0.0), dtype="float32")

    def _network(self, n_features: int) -> Any:
        keras = _keras()
        layers = [keras.Input(shape=(n_features,))]
        for units in self.hidden_units:
            layers += [
                keras.layers.Dense(
                    units, activation="relu", kernel_regularizer=keras.regularizers.L2(self.l2)
                ),
                keras.layers.Dropout(self.dropout, seed=self.random_state),
            ]
        network = keras.Sequential([*layers, keras.layers.Dense(3, activation="softmax")])
        network.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="categorical_crossentropy")
        return network

    def fit(self, X: pd.DataFrame, y: object = None) -> KerasMLPModel:
        """Train with early stopping on the latest part of the training period."""
        table, outcome, rows = self._training_table(X)
        self.mean_ = np.nanmean(table.to_numpy(dtype=float), axis=0)
        self.mean_ = np.nan_to_num(self.mean_)
        scale = np.nanstd(table.to_numpy(dtype=float), axis=0)
        self.scale_ = np.where(np.nan_to_num(scale) > 0, np.nan_to_num(scale), 1.0)
        inputs, targets = self._standardise(table), np.eye(3, dtype="float32")[outcome]
        keras = _keras()
        keras.utils.set_random_seed(self.random_state)
        network = self._network(inputs.shape[1])
        validation = time_validation_mask(rows[c.DATE], self.validation_fraction)
        fit_args: dict[str, Any] = {"epochs": self.max_epochs, "batch_size": self.batch_size, "verbose": 0}
        if validation.any() and (~validation).sum() > 100:
            fit_args["validation_data"] = (inputs[validation], targets[validation])
            fit_args["callbacks"] = [
                keras.callbacks.EarlyStopping(patience=self.patience, restore_best_weights=True)
            ]
            inputs, targets = inputs[~validation], targets[~validation]
        history = network.fit(inputs, targets, shuffle=True, **fit_args)
        self.epochs_ = len(history.history["loss"])
        self.network_ = network
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Softmax outputs, renormalised in float64 so each row sums to one exactly."""
        inputs = self._standardise(self._prediction_table(X))
        probabilities = np.asarray(self.network_.predict(inputs, verbose=0, batch_size=4096), dtype=float)
        probabilities = np.clip(probabilities, 1e-9, 1.0)
        return np.asarray(probabilities / probabilities.sum(axis=1, keepdims=True))

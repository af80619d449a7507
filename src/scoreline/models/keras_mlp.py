"""A small neural network (Keras 3 on the TensorFlow backend) on the leakage-safe feature table.

Features are standardised with the training means and deviations (missing values become the mean); training
stops early on the last ``validation_fraction`` of the training period (split by date) and keeps the best
weights. The output layer's bias starts at the log base rates, so the network is calibrated in the large
from its first step. ``n_networks`` networks (seeds ``random_state``, ``random_state + 1``, ...) are trained
and their probabilities averaged: one small network's predictions depend on its seed about as much as on
its features. Seeds and TensorFlow's deterministic ops make a fit reproducible.

The network is tiny (a few hundred weights, about a thousand rows), so a plain eager training loop on numpy
batches is several times faster than ``Model.fit``, whose per-fit graph tracing and per-epoch ``tf.data``
iterators cost far more than the arithmetic. TensorFlow runs on one thread: the backtest's workers are
processes, one per core. Tracing a training step costs about a second, more than a fit's arithmetic: with a
:class:`~scoreline.models.memo.FitMemo` as ``memory`` one traced trainer per architecture is reused across the
fits sharing that memo (each fit resets its weights, dropout seeds and optimizer state); without one, every
fit traces its own.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from scoreline import columns as c
from scoreline.models.feature_model import FeatureModel
from scoreline.models.lgbm import time_validation_mask
from scoreline.models.memo import FitMemo


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already initialised in this process: keep its threads
        pass
    return keras


class _Trainer:
    """A network, its Adam optimizer and their compiled training step and loss, reusable across fits of one
    architecture: each fit resets its weights, dropout seeds and optimizer state."""

    def __init__(self, network: Any) -> None:
        import tensorflow as tf

        keras = _keras()
        self.network = network
        self.optimizer = keras.optimizers.Adam()
        self.optimizer.build(network.trainable_variables)
        cross_entropy = keras.losses.CategoricalCrossentropy()

        def loss(x: Any, y: Any, training: bool = False) -> Any:
            return cross_entropy(y, network(x, training=training)) + sum(network.losses)

        def step(x: Any, y: Any) -> None:
            with tf.GradientTape() as tape:
                value = loss(x, y, training=True)
            weights = network.trainable_variables
            self.optimizer.apply(tape.gradient(value, weights), weights)

        self.loss = tf.function(loss, reduce_retracing=True)
        self.step = tf.function(step, reduce_retracing=True)

    def reset(self, initial: Any, learning_rate: float) -> None:
        """Start from ``initial``'s variables (weights and dropout seed states) and a fresh optimizer."""
        for mine, theirs in zip(self.network.variables, initial.variables, strict=True):
            mine.assign(theirs)
        for variable in self.optimizer.variables:
            fresh = learning_rate if variable.path.endswith("learning_rate") else np.zeros(variable.shape)
            variable.assign(np.asarray(fresh, dtype=variable.dtype))


def _trainer(
    network: Any, dropout: float, l2: float, hidden_units: tuple[int, ...], memory: FitMemo | None
) -> _Trainer:
    """A trainer for the architecture of ``network`` (built from a clone of it), shared through ``memory``."""

    def build() -> _Trainer:
        return _Trainer(_keras().models.clone_model(network))

    if memory is None:
        return build()
    return memory.get_or_compute(
        ("keras trainer", network.input_shape, tuple(hidden_units), dropout, l2), build
    )


class KerasMLPModel(FeatureModel):
    """Multilayer perceptrons with a softmax over home/draw/away, ``n_networks`` seeds averaged."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **FeatureModel._parameter_constraints,
        "hidden_units": [tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_networks": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

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
        n_networks: int = 3,
        burn_in_days: int = 365,
        learn_days: int | None = 1095,
        random_state: int = 0,
        memory: FitMemo | None = None,
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
        self.n_networks = n_networks
        self.burn_in_days = burn_in_days
        self.learn_days = learn_days
        self.random_state = random_state
        self.memory = memory

    def _standardise(self, table: pd.DataFrame) -> np.ndarray:
        values = (table.to_numpy(dtype=float) - self.mean_) / self.scale_
        return np.asarray(np.nan_to_num(values, nan=0.0), dtype="float32")

    def _network(self, n_features: int, seed: int) -> Any:
        keras = _keras()
        layers = [keras.Input(shape=(n_features,))]
        for units in self.hidden_units:
            layers += [
                keras.layers.Dense(
                    units, activation="relu", kernel_regularizer=keras.regularizers.L2(self.l2)
                ),
                keras.layers.Dropout(self.dropout, seed=seed),
            ]
        return keras.Sequential([*layers, keras.layers.Dense(3, activation="softmax")])

    def fit(self, X: pd.DataFrame, y: object = None) -> KerasMLPModel:
        """Train with early stopping on the latest part of the training period."""
        self._validate()
        table, outcome, rows = self._training_table(X)
        self.mean_ = np.nanmean(table.to_numpy(dtype=float), axis=0)
        self.mean_ = np.nan_to_num(self.mean_)
        scale = np.nanstd(table.to_numpy(dtype=float), axis=0)
        self.scale_ = np.where(np.nan_to_num(scale) > 0, np.nan_to_num(scale), 1.0)
        inputs, targets = self._standardise(table), np.eye(3, dtype="float32")[outcome]
        validation = time_validation_mask(rows[c.DATE], self.validation_fraction)
        held_out = None
        if validation.any() and (~validation).sum() > 100:
            held_out = (inputs[validation], targets[validation])
            inputs, targets = inputs[~validation], targets[~validation]
        rates = np.bincount(outcome, minlength=3) / len(outcome)
        keras = _keras()
        self.networks_, self.epochs_ = [], []
        trainer: _Trainer | None = None  # one per fit at least: the networks share an architecture
        for seed in range(self.random_state, self.random_state + self.n_networks):
            keras.utils.set_random_seed(seed)
            network = self._network(inputs.shape[1], seed)
            # Start the softmax at the training base rates: early stopping cannot leave it miscalibrated.
            network.layers[-1].bias.assign(np.log(np.clip(rates, 1e-3, 1.0)).astype("float32"))
            if trainer is None:
                trainer = _trainer(network, self.dropout, self.l2, self.hidden_units, self.memory)
            self.epochs_.append(self._train(network, inputs, targets, held_out, seed, trainer))
            self.networks_.append(network)
        return self

    def _train(
        self,
        network: Any,
        inputs: np.ndarray,
        targets: np.ndarray,
        held_out: tuple[np.ndarray, ...] | None,
        seed: int,
        trainer: _Trainer,
    ) -> int:
        """Adam on shuffled mini-batches; with ``held_out``, stop after ``patience`` epochs without a lower
        validation loss (cross-entropy plus the L2 penalty) and restore the best weights. Returns the epochs
        run.

        Training runs on a compiled trainer for the architecture (``trainer``), started from ``network``'s
        (seeded) initial weights; the trained weights are copied back into ``network``.
        """
        trainer.reset(network, self.learning_rate)
        rng = np.random.default_rng(seed)
        best, best_weights, waited, epochs = np.inf, None, 0, 0
        for epoch in range(1, self.max_epochs + 1):
            epochs = epoch
            order = rng.permutation(len(inputs))
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                trainer.step(inputs[batch], targets[batch])
            if held_out is None:
                continue
            current = float(trainer.loss(*held_out))
            if current < best:
                best, best_weights, waited = current, trainer.network.get_weights(), 0
            else:
                waited += 1
                if waited >= self.patience:
                    break
        network.set_weights(best_weights if best_weights is not None else trainer.network.get_weights())
        return epochs

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The networks' mean softmax output, renormalised in float64 so each row sums to one exactly."""
        inputs = self._standardise(self._prediction_table(X))
        outputs = [np.asarray(network(inputs, training=False), dtype=float) for network in self.networks_]
        probabilities = np.mean(outputs, axis=0)
        probabilities = np.clip(probabilities, 1e-9, 1.0)
        return np.asarray(probabilities / probabilities.sum(axis=1, keepdims=True))

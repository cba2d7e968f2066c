"""Small datasets for the demos and tests: two moons, XOR, and Fisher's iris.

* :func:`make_moons` — two interleaving half circles (the problem of micrograd's
  demo), our own code after the recipe of scikit-learn's ``make_moons``;
* :func:`make_xor` — the XOR truth table (optionally repeated, with noise);
* :func:`load_iris` — Fisher's 1936 iris data, the input of Bondartsov's
  "Notes on analytic gradient derivation" (2019), from the file shipped in
  ``micrograd_ext/data/iris.csv`` (source: ``micrograd_ext/data/SOURCE.txt``);
* :func:`split_stratified` and :func:`iris_split` — the seeded stratified split and
  the standardisation the guided tour uses (so ``micrograd-ext draw --row`` feeds the
  very inputs the tour drew).

Everything is float64 and deterministic from its ``seed``.
"""

from __future__ import annotations

import csv
import os
import random
from typing import NamedTuple

import numpy as np

from . import _checks

__all__ = ["make_moons", "make_xor", "load_iris", "Iris", "IRIS_PATH", "split_stratified", "iris_split", "IrisSplit"]

#: The shipped iris file.
IRIS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "iris.csv")

_IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
_IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def _check_n(n: object, where: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{where}: n = {n!r} (expected an integer >= {minimum})")
    return int(n)


def _check_noise(noise: object, where: str) -> float:
    return _checks.real(noise, "noise", where, low=0.0)


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0, *, signed: bool = False,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in the plane: ``X`` of shape ``(n, 2)`` and labels ``y`` ``(n,)``.

    The upper moon (``n // 2`` points, label 0) is ``(cos t, sin t)``, the lower one
    (the other ``n - n // 2``, label 1) is ``(1 - cos t, 1/2 - sin t)``, ``t`` evenly
    spaced in ``[0, pi]``; rows are shuffled and Gaussian noise of standard deviation
    ``noise`` is added to every coordinate.  The same ``seed`` gives the same data
    bit for bit (``numpy.random.default_rng(seed)``).

    ``signed=True`` gives labels ``-1 / +1`` (micrograd's demo: ``y * 2 - 1``).
    """
    n = _check_n(n, "make_moons", 2)
    noise = _check_noise(noise, "make_moons")
    seed = _checks.seed(seed, "make_moons")
    signed = _checks.flag(signed, "signed", "make_moons")
    shuffle = _checks.flag(shuffle, "shuffle", "make_moons")
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.empty((n, 2), dtype=np.float64)
    X[:n_out, 0] = np.cos(t_out)
    X[:n_out, 1] = np.sin(t_out)
    X[n_out:, 0] = 1.0 - np.cos(t_in)
    X[n_out:, 1] = 0.5 - np.sin(t_in)
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    rng = np.random.default_rng(seed)
    if shuffle:
        perm = rng.permutation(n)
        X, y = X[perm], y[perm]
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape)
    return X, (2 * y - 1 if signed else y)


def make_xor(n: int = 4, noise: float = 0.0, seed: int | None = 0, *, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points at the corners ``(0,0), (0,1), (1,0), (1,1)`` with labels ``0, 1, 1, 0``.

    ``n`` points cycle through the four corners in that order (``n = 4``, the default,
    is the truth table itself); ``noise`` adds Gaussian noise of that standard
    deviation to the coordinates (``numpy.random.default_rng(seed)``).
    ``signed=True`` gives labels ``-1 / +1``.
    """
    n = _check_n(n, "make_xor", 1)
    noise = _check_noise(noise, "make_xor")
    seed = _checks.seed(seed, "make_xor")
    signed = _checks.flag(signed, "signed", "make_xor")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    idx = np.arange(n) % 4
    X = corners[idx].copy()
    y = labels[idx]
    if noise > 0:
        X += np.random.default_rng(seed).normal(0.0, noise, size=X.shape)
    return X, (2 * y - 1 if signed else y)


class Iris(NamedTuple):
    """What :func:`load_iris` returns (a tuple: ``X, y, feature_names, class_names = load_iris()``)."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str]


def load_iris(path: str | os.PathLike | None = None) -> Iris:
    """Fisher's iris data (1936): ``X`` float64 ``(150, 4)`` in cm, ``y`` int ``(150,)`` in ``0, 1, 2``.

    Read from the shipped ``micrograd_ext/data/iris.csv`` (or ``path``, a CSV with the
    same header).  Features: sepal length, sepal width, petal length, petal width;
    classes: setosa, versicolor, virginica (50 each, in that order).
    """
    path = IRIS_PATH if path is None else _checks.path(path, "load_iris", what="an iris CSV file")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise FileNotFoundError(f"load_iris: cannot read {path!r} ({e.strerror}); expected the iris CSV "
                                "shipped in micrograd_ext/data/") from None
    want = [*_IRIS_FEATURES, "species"]
    if not rows or [h.strip() for h in rows[0]] != want:
        raise ValueError(f"load_iris: {path!r} has header {rows[0] if rows else None!r}, expected {want}")
    X = np.empty((len(rows) - 1, 4), dtype=np.float64)
    y = np.empty(len(rows) - 1, dtype=np.int64)
    for r, row in enumerate(rows[1:]):
        if len(row) != 5:
            raise ValueError(f"load_iris: {path!r} line {r + 2} has {len(row)} fields, expected 5")
        try:
            X[r] = [float(v) for v in row[:4]]
        except ValueError:
            raise ValueError(f"load_iris: {path!r} line {r + 2}: non-numeric measurement in {row[:4]}") from None
        name = row[4].strip()
        if name not in _IRIS_CLASSES:
            raise ValueError(f"load_iris: {path!r} line {r + 2}: species {name!r}, expected one of {list(_IRIS_CLASSES)}")
        y[r] = _IRIS_CLASSES.index(name)
    return Iris(X, y, list(_IRIS_FEATURES), list(_IRIS_CLASSES))


def split_stratified(y: np.ndarray, n_test_per_class: int, seed: int) -> tuple[list[int], list[int]]:
    """A seeded stratified split: ``n_test_per_class`` rows of each class are held out.

    Returns ``(train_idx, test_idx)``, each sorted, disjoint, covering every row.  Each
    class's rows are shuffled by one ``random.Random(seed)`` in class order.
    """
    n_test_per_class = _check_n(n_test_per_class, "split_stratified", 1)
    seed = _checks.seed(seed, "split_stratified")
    rng = random.Random(seed)
    train: list[int] = []
    test: list[int] = []
    for k in sorted(set(int(v) for v in y)):
        idx = [i for i, v in enumerate(y) if int(v) == k]
        if len(idx) <= n_test_per_class:
            raise ValueError(f"split_stratified: class {k} has {len(idx)} rows, cannot hold out {n_test_per_class}")
        rng.shuffle(idx)
        test += idx[:n_test_per_class]
        train += idx[n_test_per_class:]
    return sorted(train), sorted(test)


class IrisSplit(NamedTuple):
    """What :func:`iris_split` returns: every row standardised with the training rows' statistics."""

    X: np.ndarray  # (150, 4), standardised
    y: np.ndarray  # (150,)
    train: list[int]
    test: list[int]
    mean: np.ndarray
    std: np.ndarray
    raw: np.ndarray  # (150, 4), in cm
    feature_names: list[str]
    class_names: list[str]

    def one_hot(self, rows: list[int] | np.ndarray) -> list[list[float]]:
        """The targets of ``rows`` as one-hot rows (Bondartsov's ``Sy``)."""
        k = len(self.class_names)
        return [[1.0 if int(self.y[r]) == j else 0.0 for j in range(k)] for r in rows]


def iris_split(seed: int = 0, n_test_per_class: int = 10) -> IrisSplit:
    """The guided tour's data: iris split by :func:`split_stratified` (``n_test_per_class`` held out
    per class), every feature standardised with the training rows' mean and standard deviation."""
    X, y, features, classes = load_iris()
    train, test = split_stratified(y, n_test_per_class, seed)
    mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
    return IrisSplit((X - mu) / sd, y, train, test, mu, sd, X, features, classes)

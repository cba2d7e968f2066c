"""Datasets: Fisher's iris as shipped, two moons and XOR against their geometric definitions."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.nets.datasets import IRIS_PATH, load_iris, make_moons, make_xor


def test_iris_is_fishers_data():
    X, y, features, classes = load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and np.issubdtype(y.dtype, np.integer)
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert y.tolist() == [0] * 50 + [1] * 50 + [2] * 50
    assert features == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert classes == ["setosa", "versicolor", "virginica"]
    # Fisher (1936) column means; the UCI file's two wrong rows would give 3.054 for sepal width
    assert np.round(X.mean(axis=0), 3).tolist() == [5.843, 3.057, 3.758, 1.199]
    assert X[34].tolist() == [4.9, 3.1, 1.5, 0.2] and X[37].tolist() == [4.9, 3.6, 1.4, 0.1]
    assert X[0].tolist() == [5.1, 3.5, 1.4, 0.2] and X[149].tolist() == [5.9, 3.0, 5.1, 1.8]
    assert X.min(axis=0).tolist() == [4.3, 2.0, 1.0, 0.1] and X.max(axis=0).tolist() == [7.9, 4.4, 6.9, 2.5]


def test_iris_file_names_its_source():
    import os

    text = open(os.path.join(os.path.dirname(IRIS_PATH), "SOURCE.txt"), encoding="utf-8").read()
    assert "Fisher" in text and "1936" in text and "UCI" in text and "scikit-learn" in text


def test_iris_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="header"):
        load_iris(bad)
    with pytest.raises(FileNotFoundError, match="load_iris"):
        load_iris(tmp_path / "missing.csv")


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = make_moons(101, noise=0.0, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert np.sum(y == 0) == 50 and np.sum(y == 1) == 51
    up, low = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(up[:, 0], up[:, 1]), 1.0) and np.all(up[:, 1] >= -1e-15)
    assert np.allclose(np.hypot(low[:, 0] - 1.0, low[:, 1] - 0.5), 1.0) and np.all(low[:, 1] <= 0.5 + 1e-15)
    # the end points of the arcs (t = 0 and t = pi)
    assert any(np.allclose(p, [1.0, 0.0]) for p in up) and any(np.allclose(p, [-1.0, 0.0]) for p in up)
    assert any(np.allclose(p, [0.0, 0.5]) for p in low) and any(np.allclose(p, [2.0, 0.5]) for p in low)


def test_moons_seeded_noise_and_signed_labels():
    X1, y1 = make_moons(100, noise=0.1, seed=7)
    X2, y2 = make_moons(100, noise=0.1, seed=7)
    X3, _ = make_moons(100, noise=0.1, seed=8)
    assert X1.tobytes() == X2.tobytes() and y1.tolist() == y2.tolist()
    assert not np.array_equal(X1, X3)
    X0, y0 = make_moons(100, noise=0.0, seed=7)
    assert y0.tolist() == y1.tolist()  # same shuffle
    assert 0.05 < np.std(X1 - X0) < 0.15  # noise of standard deviation 0.1
    _, ys = make_moons(100, noise=0.1, seed=7, signed=True)
    assert (ys == 2 * y1 - 1).all() and set(ys.tolist()) == {-1, 1}


def test_xor():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [int(a) ^ int(b) for a, b in X]
    Xn, yn = make_xor(8, noise=0.05, seed=1, signed=True)
    assert Xn.shape == (8, 2) and yn.tolist() == [-1, 1, 1, -1] * 2
    assert np.abs(Xn - np.tile(X, (2, 1))).max() < 0.3


def test_bad_arguments():
    with pytest.raises(ValueError, match="n = 1"):
        make_moons(1)
    with pytest.raises(ValueError, match="noise = -0.1"):
        make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="make_xor: n = 0"):
        make_xor(0)

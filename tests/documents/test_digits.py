"""The UCI optical digits shipped in the package, and the CS229 two-layer net trained on them with Tensor:
held-out accuracy >= 95% in the fast mode, the gradients equal to the post's closed forms at every logged step."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import numpy as np
import pytest

from micrograd_ext.commands import digits as digits_command
from micrograd_ext.documents import cs229 as S


def test_the_digits_are_the_uci_test_set_named_in_source_txt() -> None:
    X, y = S.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert np.array_equal(np.bincount(y), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    data = resources.files("micrograd_ext").joinpath("data")
    source = data.joinpath("SOURCE.txt").read_text(encoding="utf-8")
    sha = re.search(r"digits\.csv\.gz.*?SHA-256 ([0-9a-f]{64})", source, re.S).group(1)
    assert hashlib.sha256(data.joinpath("digits.csv.gz").read_bytes()).hexdigest() == sha
    assert "Optical Recognition of Handwritten Digits" in source and "CC BY 4.0" in source


def test_split_is_stratified_and_disjoint() -> None:
    _, y = S.load_digits()
    train, test = S.split_digits(y)
    assert len(test) == 360 and len(train) == 1437 and not set(train) & set(test)
    assert np.array_equal(np.bincount(y[test]), [36] * 10)


def test_training_reaches_95_percent_with_the_gradients_checked() -> None:
    run = S.train_digits(epochs=12)  # the fast mode of `micrograd-ext digits --fast`
    assert run.test_accuracy >= 0.95 and run.train_accuracy >= run.test_accuracy
    assert run.gradients_agree and len(run.checks) == 13  # step 0, once per epoch after, and the last step
    assert all(max(c.max_rel_diff.values()) < 1e-12 for c in run.checks)
    assert run.epoch_loss[-1] < run.epoch_loss[0] / 5


def test_a_wrong_closed_form_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = S.batch_gradients

    def slightly_wrong(*args):
        out = dict(real(*args))
        out["dW2"] = out["dW2"] * 1.001
        return out

    monkeypatch.setattr(S, "batch_gradients", slightly_wrong)
    run = S.train_digits(epochs=1)
    assert not run.gradients_agree and all(not c.passed for c in run.checks)


def test_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert digits_command.main(["--fast"]) == 0
    out = capsys.readouterr().out
    assert "held-out accuracy" in out and "all agree with the closed forms" in out and "FAIL" not in out
    assert digits_command.main(["--hidden", "0"]) == 2
    assert "--hidden 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="hidden=0"):
        S.train_digits(hidden=0)


def test_the_command_is_registered() -> None:
    from micrograd_ext.commands import cli

    assert cli.COMMANDS["digits"][0] == "micrograd_ext.commands.digits"

"""The ``micrograd-ext train`` command (micrograd's two-moons demo, node by node)."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.commands.train import main, train_moons


def test_fast_run_reaches_100_percent_and_prints_progress(capsys):
    assert main(["--fast"]) == 0
    out = capsys.readouterr().out
    assert "two moons: 40 points" in out
    assert out.count("  step ") >= 5 and "loss" in out and "accuracy" in out
    assert "final training accuracy: 100.0% (40/40)" in out


def test_quiet_prints_only_the_result(capsys):
    assert main(["--quiet", "--steps", "3", "--samples", "10"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("final training accuracy:")


def test_the_loss_goes_down_and_a_seeded_run_is_reproducible_bitwise():
    a = train_moons(steps=12, samples=20, seed=5)
    b = train_moons(steps=12, samples=20, seed=5)
    assert a.history == b.history
    pa = np.array([p.data for p in a.model.parameters()])
    pb = np.array([p.data for p in b.model.parameters()])
    assert pa.tobytes() == pb.tobytes()
    assert a.history[-1][1] < a.history[0][1]
    c = train_moons(steps=12, samples=20, seed=6)
    assert c.history != a.history


def test_chain_mode_gives_the_same_run():
    a = train_moons(steps=3, samples=8, seed=2)
    b = train_moons(steps=3, samples=8, seed=2, weighted_sum=False)
    assert b.nodes_per_step > a.nodes_per_step
    assert [h[1] for h in a.history] == pytest.approx([h[1] for h in b.history], rel=1e-12)


def test_bad_options_exit_with_usage_error(capsys):
    assert main(["--steps", "0"]) == 2
    err = capsys.readouterr().err
    assert "--steps 0" in err and len(err.strip().splitlines()) == 1


def test_reachable_as_the_train_command(capsys):
    from micrograd_ext.commands.cli import main as cli_main

    assert cli_main(["train", "--quiet", "--steps", "2", "--samples", "6"]) == 0
    assert "final training accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_default_run_is_micrograd_demo_size_and_reaches_100_percent(capsys):
    """The default: 100 points, 100 steps, MLP 2-16-16-1 (a few seconds)."""
    assert main(["--quiet"]) == 0
    assert "final training accuracy: 100.0% (100/100)" in capsys.readouterr().out

"""The GPT of demos/gpt_names.py (also bench/bench_gpt.py's model) and the shipped names.

Oracles: an independent minimal engine of microgpt's design (bench/bench_gpt.py's
MiniValue, which shares no code with micrograd_ext) for the loss and every gradient,
central finite differences for a few weights, and the text of names.txt against its
SOURCE.txt description.
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "demos"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_gpt import MiniValue  # noqa: E402
from gpt_names import BOS, GPT, NAMES_PATH, encode, load_names  # noqa: E402

from micrograd_ext.core.graph import no_grad  # noqa: E402
from micrograd_ext.engine import Value  # noqa: E402

SMALL = {"n_embd": 4, "n_head": 2, "n_layer": 2, "block": 8}


def test_names_file_is_what_source_txt_says():
    data = Path(NAMES_PATH).read_bytes()
    source = (ROOT / "micrograd_ext" / "data" / "SOURCE.txt").read_text()
    assert hashlib.sha256(data).hexdigest() in source
    names = load_names()
    assert len(names) == 3520 and len(set(names)) == 3520
    assert names[:5] == ["emma", "liam", "olivia", "noah", "ava"] and names[-1] == "shayna"
    assert all(2 <= len(n) <= 11 for n in names)


def test_encode():
    assert encode("emma") == [BOS, 4, 12, 12, 0, BOS]


@pytest.mark.parametrize("name", ["emma", "christopher", "jo"])
def test_same_loss_and_gradients_as_an_independent_minimal_engine(name):
    ext, mini = GPT(Value, seed=3, **SMALL), GPT(MiniValue, seed=3, **SMALL)
    a, b = ext.loss(encode(name)), mini.loss(encode(name))
    a.backward()
    b.backward()
    assert a.data == pytest.approx(b.data, rel=1e-13)
    for p, q in zip(ext.parameters(), mini.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-10, abs=1e-13)


def test_gradients_against_central_differences():
    model = GPT(Value, seed=1, **SMALL)
    tokens = encode("maria")
    loss = model.loss(tokens)
    loss.backward()
    params = model.parameters()
    for p in (model.layers[0]["wq"][0][0], model.layers[1]["fc2"][2][5], model.wte[BOS][1], model.head[0][3], params[-1]):
        w0, h = p.data, 1e-5
        with no_grad():
            p.data = w0 + h
            up = model.loss(tokens).data
            p.data = w0 - h
            down = model.loss(tokens).data
        p.data = w0
        fd = (up - down) / (2 * h)
        assert p.grad == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_untrained_loss_is_near_a_uniform_guess_and_samples_are_letters():
    import random

    model = GPT(Value, seed=0, **SMALL)
    loss = model.loss(encode("olivia"))
    assert abs(loss.data - math.log(27)) < 0.1  # small random weights: nearly uniform predictions
    with no_grad():
        s = model.sample(random.Random(0))
    assert set(s) <= set("abcdefghijklmnopqrstuvwxyz") and len(s) <= SMALL["block"]


def test_bad_config():
    with pytest.raises(ValueError, match="n_embd = 6 is not a multiple of n_head = 4"):
        GPT(Value, n_embd=6, n_head=4)

"""Neurons, layers and MLPs: micrograd's behaviour, the documents' labels, seeds, training, state dicts.

Oracles: the PyPI ``micrograd`` package (same seeds -> same weights and forward
values), closed-form formulas, central finite differences (``gradcheck``).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from micrograd_ext.core.gradcheck import gradcheck
from micrograd_ext.core.graph import no_grad, topological_order
from micrograd_ext.engine import Value
from micrograd_ext.nets import neurons as nn
from micrograd_ext.nets.module import Module, StateDictError
from micrograd_ext.nets.neurons import MLP, Layer, Neuron


@pytest.fixture(autouse=True)
def _restore_default_rng():
    saved = nn.default_rng
    yield
    nn.default_rng = saved


def labels_in_graph(root: Value) -> set[str]:
    return {n.label for n in topological_order(root) if n.label}


# -- micrograd's signatures, defaults and numbers -----------------------------------------------------


def test_neuron_defaults_match_micrograd():
    n = Neuron(3, rng=random.Random(0))
    assert isinstance(n, Module)
    assert len(n.w) == 3 and n.b.data == 0.0
    assert all(-1.0 <= w.data <= 1.0 for w in n.w)
    assert n.activation == "relu" and n.nonlin is True
    assert repr(n) == "ReLUNeuron(3)"
    assert repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    assert repr(Neuron(2, activation="tanh")) == "TanhNeuron(2)"
    assert repr(Neuron(2, activation="sigmoid")) == "SigmoidNeuron(2)"
    assert n.parameters() == [*n.w, n.b]  # micrograd's order: w then b


def test_layer_and_mlp_repr_and_parameter_order_match_micrograd():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(5)
    ref = micrograd_nn.MLP(2, [3, 1])
    random.seed(5)
    ours = MLP(2, [3, 1])
    assert repr(ours) == repr(ref)
    assert repr(ours.layers[0]) == repr(ref.layers[0])
    assert [p.data for p in ours.parameters()] == [p.data for p in ref.parameters()]


@pytest.mark.parametrize("weighted_sum", [False, True])
def test_seeded_mlp_equals_micrograd_bit_for_bit(weighted_sum):
    """MLP(seed=s) draws U(-1,1) in micrograd's order: after random.seed(s), micrograd has the same weights,
    and the forward pass adds in the same order, so the outputs are equal to the last bit."""
    micrograd_nn = pytest.importorskip("micrograd.nn")
    from micrograd.engine import Value as MValue

    random.seed(11)
    ref = micrograd_nn.MLP(3, [4, 4, 1])
    ours = MLP(3, [4, 4, 1], seed=11, weighted_sum=weighted_sum)
    assert [p.data for p in ours.parameters()] == [p.data for p in ref.parameters()]
    rng = random.Random(3)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    ref_out = [ref([MValue(v) for v in x]) for x in xs]
    our_out = [ours([Value(v) for v in x]) for x in xs]
    assert [o.data for o in our_out] == [o.data for o in ref_out]
    # gradients of a loss over the six samples: same numbers (summation order may differ in the last bits)
    ref_loss = sum((o - 0.5) ** 2 for o in ref_out)
    our_loss = sum((o - 0.5) ** 2 for o in our_out)
    ref_loss.backward()
    our_loss.backward()
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


def test_unseeded_models_use_global_random_like_micrograd_or_the_module_rng():
    random.seed(123)
    a = MLP(2, [4, 1])
    random.seed(123)
    b = MLP(2, [4, 1])
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    nn.manual_seed(9)
    state = random.getstate()
    c = MLP(2, [4, 1])
    assert random.getstate() == state  # the module's own generator: global random untouched
    nn.manual_seed(9)
    d = MLP(2, [4, 1])
    assert [p.data for p in c.parameters()] == [p.data for p in d.parameters()]
    assert [p.data for p in c.parameters()] == [p.data for p in MLP(2, [4, 1], seed=9).parameters()]
    nn.manual_seed(None)
    assert nn.default_rng is random


def test_seed_reproducible_and_different_seeds_differ():
    a, b, c = MLP(2, [5, 1], seed=1), MLP(2, [5, 1], seed=1), MLP(2, [5, 1], seed=2)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    biases = [n.b.data for layer in a.layers for n in layer.neurons]
    assert biases == [0.0] * 6


def test_layer_returns_value_for_one_neuron_list_otherwise():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_neuron_forward_is_the_formula():
    n = Neuron(3, activation="tanh", rng=random.Random(4))
    n.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = n.b.data + sum(w.data * xi for w, xi in zip(n.w, x))
    assert n(x).data == pytest.approx(math.tanh(z), abs=1e-15)
    lin = Neuron(3, nonlin=False, rng=random.Random(4))
    lin.b.data = 0.25
    assert lin(x).data == pytest.approx(z, abs=1e-15)
    relu = Neuron(3, rng=random.Random(4))
    relu.b.data = 0.25
    assert relu(x).data == pytest.approx(max(z, 0.0), abs=1e-15)
    sig = Neuron(3, activation="sigmoid", rng=random.Random(4))
    sig.b.data = 0.25
    assert sig(x).data == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-15)


def test_one_neuron_hidden_layer_works():
    m = MLP(2, [16, 1, 1], seed=0)
    out = m([0.3, -0.7])
    assert isinstance(out, Value)
    # by hand: the single hidden neuron's relu output feeds the last neuron
    h1 = [n([0.3, -0.7]).data for n in m.layers[0].neurons]
    n2 = m.layers[1].neurons[0]
    a2 = max(0.0, n2.b.data + sum(w.data * h for w, h in zip(n2.w, h1)))
    n3 = m.layers[2].neurons[0]
    assert out.data == pytest.approx(n3.b.data + n3.w[0].data * a2, abs=1e-14)
    out.backward()
    assert len(m.parameters()) == 16 * 3 + 17 + 2


def test_multiple_outputs_and_activation_per_layer():
    m = MLP(4, [8, 3], activation=["tanh", "sigmoid"], seed=0)
    out = m([0.1, 0.2, 0.3, 0.4])
    assert isinstance(out, list) and len(out) == 3 and all(0 < o.data < 1 for o in out)
    assert m.activations == ["tanh", "sigmoid"]
    assert [n.activation for n in m.layers[0].neurons] == ["tanh"] * 8
    assert MLP(2, [3, 1]).activations == ["relu", "linear"]
    assert MLP(2, [3, 1], activation="sigmoid").activations == ["sigmoid", "sigmoid"]


# -- labels in the documents' notation ----------------------------------------------------------------


def test_labels_read_like_the_paper_weighted_sum():
    m = MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0)
    names = [p.label for p in m.parameters()]
    assert names[:6] == ["w(1)[1,1]", "w(1)[1,2]", "w(1)[1,3]", "w(1)[1,4]", "w(1)[1,0]", "w(1)[2,1]"]
    assert "w(2)[3,8]" in names and "w(2)[3,0]" in names and len(names) == len(set(names)) == 8 * 5 + 3 * 9
    out = m([Value(v, label=f"x[{j}]") for j, v in enumerate([5.1, 3.5, 1.4, 0.2], 1)])
    assert [o.label for o in out] == ["a(2)[1]", "a(2)[2]", "a(2)[3]"]
    z = out[0]._prev[0]
    assert z.label == "z(2)[1]" and z._op == "wsum"
    # wsum parents: bias, then (w1, x1), (w2, x2), ... ; the x's are a(1)[j]
    assert z._prev[0].label == "w(2)[1,0]"
    assert [p.label for p in z._prev[1::2]] == [f"w(2)[1,{j}]" for j in range(1, 9)]
    assert [p.label for p in z._prev[2::2]] == [f"a(1)[{j}]" for j in range(1, 9)]
    seen = labels_in_graph(out[2])
    assert {f"z(1)[{i}]" for i in range(1, 9)} <= seen and "x[4]" in seen


def test_labels_chain_mode_and_bias_label_b():
    m = MLP(2, [2, 1], bias_label="b", seed=0)
    assert [p.label for p in m.layers[0].neurons[1].parameters()] == ["w(1)[2,1]", "w(1)[2,2]", "b(1)[2]"]
    out = m([1.0, 2.0])
    assert out.label == "z(2)[1]" and out._op == "+"  # linear last layer: the output is z
    inner = out._prev[0]  # (b + w1*a1) + w2*a2
    assert inner._op == "+" and inner._prev[0].label == "b(2)[1]" and inner._prev[1]._op == "*"
    seen = labels_in_graph(out)
    assert {"a(1)[1]", "a(1)[2]", "z(1)[1]", "z(1)[2]", "b(2)[1]", "w(2)[1,2]"} <= seen
    # the z node is micrograd's last '+', whose data is b + sum w x
    n = m.layers[0].neurons[0]
    z = [v for v in topological_order(out) if v.label == "z(1)[1]"][0]
    assert z.data == n.b.data + n.w[0].data * 1.0 + n.w[1].data * 2.0


def test_no_bias_neuron():
    n = Neuron(2, bias=False, rng=random.Random(1), weighted_sum=True)
    assert n.b is None and n.parameters() == n.w
    assert n([1.0, 1.0]).data == max(0.0, n.w[0].data + n.w[1].data)
    c = Neuron(2, bias=False, rng=random.Random(1))
    assert c([1.0, 1.0]).data == n([1.0, 1.0]).data


# -- gradients -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted_sum", [False, True])
def test_mlp_gradients_match_finite_differences(weighted_sum):
    m = MLP(3, [4, 2], activation=["tanh", "sigmoid"], seed=3, weighted_sum=weighted_sum)
    for p in m.parameters():
        p.data += 0.1  # nonzero biases too
    xs = [[0.5, -0.2, 1.0], [-1.0, 0.3, 0.7]]

    def loss() -> Value:
        outs = [m(x) for x in xs]
        return sum((o - t) ** 2 for row in outs for o, t in zip(row, (1.0, 0.0))) * 0.5

    report = gradcheck(loss, m.parameters())
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-8


def test_chain_and_weighted_sum_agree():
    a = MLP(3, [5, 5, 1], seed=8)
    b = MLP(3, [5, 5, 1], seed=8, weighted_sum=True)
    x = [0.3, -0.8, 1.1]
    ya, yb = a(x), b(x)
    assert ya.data == yb.data
    ya.backward()
    yb.backward()
    for p, q in zip(a.parameters(), b.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-13, abs=1e-15)
    assert len(topological_order(yb)) < len(topological_order(ya))


def test_relu_grad_at_zero_option():
    n = Neuron(1, relu_grad_at_zero=1.0, rng=random.Random(0))
    n.w[0].data = 0.0
    y = n([1.0])  # z = 0 exactly
    y.backward()
    assert n.b.grad == 1.0  # Park (2022): relu'(0) = 1
    m = Neuron(1, rng=random.Random(0))
    m.w[0].data = 0.0
    m([1.0]).backward()
    assert m.b.grad == 0.0  # PyTorch: relu'(0) = 0


# -- training ------------------------------------------------------------------------------------------


def _train_xor(seed: int) -> tuple[MLP, list[float]]:
    from micrograd_ext.nets.datasets import make_xor
    from micrograd_ext.nets.losses import bce
    from micrograd_ext.nets.optim import Adam

    X, y = make_xor()
    m = MLP(2, [4, 1], activation=["tanh", "sigmoid"], seed=seed, weighted_sum=True)
    opt = Adam(m.parameters(), lr=0.1)
    hist = []
    for _ in range(150):
        outs = [[m([float(a), float(b)])] for a, b in X]
        C = bce(outs, [[float(t)] for t in y])
        opt.zero_grad()
        C.backward()
        opt.step()
        hist.append(C.data)
    return m, hist


def test_mlp_learns_xor_to_100_percent():
    from micrograd_ext.nets.datasets import make_xor

    m, hist = _train_xor(seed=0)
    X, y = make_xor()
    with no_grad():
        pred = [int(m([float(a), float(b)]).data > 0.5) for a, b in X]
    assert pred == list(y)
    assert hist[-1] < 0.1 * hist[0]


def test_seeded_training_is_reproducible_to_the_last_bit():
    m1, h1 = _train_xor(seed=4)
    m2, h2 = _train_xor(seed=4)
    assert h1 == h2
    b1 = np.array([p.data for p in m1.parameters()]).tobytes()
    b2 = np.array([p.data for p in m2.parameters()]).tobytes()
    assert b1 == b2


def test_mlp_learns_two_moons_to_100_percent():
    from micrograd_ext.commands.train import train_moons

    res = train_moons(steps=40, samples=40, seed=0)
    assert res.final_accuracy == 1.0


# -- state dicts -----------------------------------------------------------------------------------------


def test_state_dict_round_trip_through_file_is_bit_exact(tmp_path):
    a, b = MLP(3, [4, 2], seed=1), MLP(3, [4, 2], seed=2)
    for k, p in enumerate(a.parameters()):
        p.data = math.pi * (k + 1) / 7 + 1e-17  # digits that a text format would round
    a.save(tmp_path / "a.npz")
    b.load(tmp_path / "a.npz")
    got = [p.data for p in b.parameters()]
    assert np.array(got).tobytes() == np.array([p.data for p in a.parameters()]).tobytes()
    assert all(type(v) is float for v in got)
    c = MLP(3, [4, 2], seed=3)
    c.load_state_dict(a.state_dict())
    assert [p.data for p in c.parameters()] == [p.data for p in a.parameters()]
    assert list(a.state_dict())[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                                        "layers.0.neurons.0.w.2", "layers.0.neurons.0.b"]


def test_load_wrong_names_or_shapes_raises_listing_differences_and_changes_nothing(tmp_path):
    net = MLP(2, [3, 1], seed=0)
    before = [p.data for p in net.parameters()]
    other = MLP(2, [4, 1], seed=1)  # a 4th hidden neuron; the output neuron has 4 weights
    with pytest.raises(StateDictError) as e:
        net.load_state_dict(other.state_dict())
    msg = str(e.value)
    assert "unexpected" in msg and "layers.0.neurons.3.w.0" in msg and "layers.1.neurons.0.w.3" in msg
    assert "unchanged" in msg
    assert [p.data for p in net.parameters()] == before
    state = net.state_dict()
    state["layers.0.neurons.1.b"] = np.zeros(2)
    del state["layers.1.neurons.0.w.2"]
    for k in state:
        state[k] = state[k] + 1.0 if state[k].ndim == 0 else state[k]
    with pytest.raises(StateDictError) as e:
        net.load_state_dict(state)
    msg = str(e.value)
    assert "missing: layers.1.neurons.0.w.2" in msg
    assert "layers.0.neurons.1.b: shape (2,) in the state, () in the model" in msg
    assert [p.data for p in net.parameters()] == before  # the valid entries were not copied either


# -- errors ------------------------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="nin = 0"):
        Neuron(0)
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="nouts is empty"):
        MLP(2, [])
    with pytest.raises(ValueError, match=r"nouts\[1\] \(layer 2\) = 0"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="2 activations"):
        MLP(2, [3, 3, 1], activation=["relu", "linear"])
    with pytest.raises(ValueError, match="got 3 inputs, expected 2"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="bias_label"):
        MLP(2, [1], bias_label="bias")
    with pytest.raises(TypeError, match="rng"):
        Neuron(2, rng="seed")
    with pytest.raises(TypeError, match=r"Layer 1: input 0 is str .a. \(expected a Value or a real number\)"):
        MLP(1, [1], seed=0)(["a"])

"""Bad input to the public functions of micrograd_ext.nets (issue 12): a clear error, and nothing changed.

Each case asserts the exception type, that the message names the function or argument, and,
for loads and updates, that every weight is bit-identical afterwards (compared as bytes).
The oracles are independent of the code: the expected values are written by hand (``math``),
and the pickle payload test first shows that the payload does create its file when unpickled.
"""

from __future__ import annotations

import math
import pickle
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_ext.core.ops import DomainError
from micrograd_ext.core.tensor import Tensor
from micrograd_ext.engine import Value
from micrograd_ext.nets import datasets, labels, losses, tensor_nn
from micrograd_ext.nets.module import _MAGIC, StateDictError
from micrograd_ext.nets.neurons import MLP, Neuron, inputs, manual_seed
from micrograd_ext.nets.optim import SGD, Adam


def bits(model) -> list[bytes]:
    """Every parameter's data as raw float64 bytes (bit-identical means equal lists)."""
    out = []
    for p in model.parameters():
        if isinstance(p.data, float):
            out.append(struct.pack("<d", p.data))
        else:
            out.append(np.ascontiguousarray(p.data, dtype=np.float64).tobytes())
    return out


@pytest.fixture
def net():
    return MLP(2, [3, 1], seed=0)


# -- load_state_dict: one check and conversion of every state value --------------------------------------

BAD_STATE_VALUES = [
    pytest.param(None, "None", id="None"),
    pytest.param("0.5", "str", id="string"),
    pytest.param(True, "bool", id="bool"),
    pytest.param(np.bool_(False), "bool", id="numpy-bool"),
    pytest.param(Value(0.5), "Value node", id="Value"),
    pytest.param(Tensor(0.5), "Tensor node", id="Tensor"),
    pytest.param(1 + 2j, "complex", id="complex"),
    pytest.param(np.array("0.5"), "strings", id="string-array"),
    pytest.param(np.array(1.5 + 1j), "complex numbers", id="complex-array"),
    pytest.param(np.array(True), "bools", id="bool-array"),
    pytest.param(np.array(None, dtype=object), "None", id="object-array"),
    pytest.param(10**400, "too large", id="huge-int"),
    pytest.param(2**53 + 1, "no exact float64", id="int-beyond-2**53"),
    pytest.param({"a": 1}, "dict", id="dict"),
]


@pytest.mark.parametrize("bad, word", BAD_STATE_VALUES)
def test_load_state_dict_refuses_a_value_that_is_not_exactly_a_number(net, bad, word):
    state = net.state_dict()
    name = next(iter(state))
    state[name] = bad
    before = bits(net)
    with pytest.raises(StateDictError) as e:
        net.load_state_dict(state)
    msg = str(e.value)
    assert name in msg and word in msg and "unchanged" in msg, msg
    assert bits(net) == before


def test_load_state_dict_refuses_a_bad_value_inside_a_list_of_a_tensor_model():
    m = tensor_nn.Linear(2, 2, seed=0)
    before = bits(m)
    for bad, word in (([[1.0, None], [0.0, 1.0]], "None"), ([[1.0, "2"], [0.0, 1.0]], "str"),
                      ([[1.0, 2.0], [0.0]], "ragged"), ([[1.0, True], [0.0, 1.0]], "bool")):
        with pytest.raises(StateDictError, match=word):
            m.load_state_dict({"weight": bad, "bias": [0.0, 0.0]})
        assert bits(m) == before


@pytest.mark.skipif(np.finfo(np.longdouble).eps == np.finfo(np.float64).eps, reason="longdouble is float64 here")
def test_load_state_dict_refuses_a_longdouble_that_float64_would_round(net):
    state = net.state_dict()
    name = next(iter(state))
    state[name] = np.longdouble(1) / 3
    before = bits(net)
    with pytest.raises(StateDictError, match="no exact float64"):
        net.load_state_dict(state)
    assert bits(net) == before


def test_load_state_dict_accepts_exact_numbers_of_other_types(net):
    state = net.state_dict()
    names = list(state)
    state[names[0]], state[names[1]], state[names[2]] = np.float32(0.5), 3, np.int64(-2)
    net.load_state_dict(state)
    got = dict(net.named_parameters())
    assert [got[n].data for n in names[:3]] == [0.5, 3.0, -2.0]
    assert all(type(got[n].data) is float for n in names)


@pytest.mark.parametrize("bad", [None, 3, "weights.npz", [("a", 1.0)]])
def test_load_state_dict_of_something_that_is_not_a_mapping(net, bad):
    before = bits(net)
    with pytest.raises(TypeError, match=r"load_state_dict: expected a mapping .* got"):
        net.load_state_dict(bad)
    assert bits(net) == before


def test_one_bad_value_among_good_ones_changes_nothing(net):
    state = {k: v + 1.0 for k, v in net.state_dict().items()}
    state[list(state)[-1]] = None
    before = bits(net)
    with pytest.raises(StateDictError, match="1 problem"):
        net.load_state_dict(state)
    assert bits(net) == before


# -- files: Module.save / Module.load ------------------------------------------------------------------


@pytest.mark.parametrize("entry, word", [(np.array("1.5"), "strings"), (np.array(1.5 + 2j), "complex numbers"),
                                         (np.array(True), "bools")])
def test_load_refuses_an_npz_holding_strings_complex_or_bools(tmp_path, net, entry, word):
    state = net.state_dict()
    name = next(iter(state))
    state[name] = entry
    np.savez(tmp_path / "bad.npz", **{_MAGIC: np.array("MLP")}, **state)
    before = bits(net)
    with pytest.raises(StateDictError, match=word):
        net.load(tmp_path / "bad.npz")
    assert bits(net) == before


class _Payload:
    """Unpickling this calls open(path, 'w'): it creates a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_payload_in_an_npz_is_never_unpickled(tmp_path, net):
    marker = tmp_path / "pwned.txt"
    state = net.state_dict()
    name = next(iter(state))
    state[name] = np.array([_Payload(str(marker))], dtype=object)
    np.savez(tmp_path / "evil.npz", **{_MAGIC: np.array("MLP")}, **state)  # numpy pickles object arrays
    # The payload is real: unpickling it (what allow_pickle=True would do) creates the file.
    probe = tmp_path / "probe.txt"
    pickle.loads(pickle.dumps(_Payload(str(probe))))
    assert probe.exists()
    before = bits(net)
    with pytest.raises(StateDictError, match="pickled Python objects, which are never loaded"):
        net.load(tmp_path / "evil.npz")
    assert not marker.exists()
    assert bits(net) == before


def test_a_pickle_file_named_npz_is_never_unpickled(tmp_path, net):
    marker = tmp_path / "pwned.txt"
    (tmp_path / "evil.npz").write_bytes(pickle.dumps(_Payload(str(marker))))
    before = bits(net)
    with pytest.raises(StateDictError, match="cannot read"):
        net.load(tmp_path / "evil.npz")
    assert not marker.exists()
    assert bits(net) == before


def test_load_of_an_npy_file_says_what_it_is(tmp_path, net):
    np.save(tmp_path / "x.npy", np.zeros(3))
    before = bits(net)
    with pytest.raises(StateDictError, match=r"load: .*x\.npy' is a \.npy file \(one array\)"):
        net.load(tmp_path / "x.npy")
    assert bits(net) == before


@pytest.mark.parametrize("bad", [None, 3, b"w.npz", ""])
def test_load_and_save_of_something_that_is_not_a_path(net, bad):
    before = bits(net)
    with pytest.raises(TypeError, match="load: path"):
        net.load(bad)
    with pytest.raises(TypeError, match="save: path"):
        net.save(bad)
    assert bits(net) == before


def test_save_without_suffix_then_load_without_suffix(tmp_path, monkeypatch, net):
    monkeypatch.chdir(tmp_path)
    assert net.save("w") == "w.npz"  # what numpy.savez writes; load finds it again
    other = MLP(2, [3, 1], seed=1)
    other.load("w")
    assert bits(other) == bits(net)


def test_save_refuses_another_suffix_and_load_a_missing_file_or_a_folder(tmp_path, net):
    with pytest.raises(ValueError, match=r"save: cannot write .*w\.npy': format 'npy'"):
        net.save(tmp_path / "w.npy")
    assert not list(tmp_path.iterdir())
    with pytest.raises(FileNotFoundError, match="load: no file"):
        net.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        net.load(tmp_path)


def test_save_into_a_path_under_a_file_is_one_clear_error(tmp_path, net):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"save: cannot create the folder .*afile' is a file, not a folder"):
        net.save(tmp_path / "afile" / "w.npz")


# -- optimizers: hyper-parameters checked when set, not only in the constructor ---------------------------


@pytest.mark.parametrize("make, name, bad", [
    (lambda ps: SGD(ps, lr=0.1), "lr", -5),
    (lambda ps: SGD(ps, lr=0.1), "lr", float("nan")),
    (lambda ps: SGD(ps, lr=0.1), "lr", "0.1"),
    (lambda ps: SGD(ps, lr=0.1), "lr", True),
    (lambda ps: SGD(ps, lr=0.1), "momentum", -0.9),
    (lambda ps: SGD(ps, lr=0.1), "dampening", 2.0),
    (lambda ps: SGD(ps, lr=0.1), "weight_decay", math.inf),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), "momentum", 0.0),
    (lambda ps: SGD(ps, lr=0.1), "nesterov", True),  # needs momentum > 0
    (lambda ps: Adam(ps), "lr", -1e-3),
    (lambda ps: Adam(ps), "eps", -1.0),
    (lambda ps: Adam(ps), "betas", (0.9, 1.0)),
    (lambda ps: Adam(ps), "betas", 0.9),
])
def test_optimizer_hyper_parameter_assignment_is_checked_and_changes_nothing(make, name, bad):
    ps = [Value(1.0), Value(2.0)]
    opt = make(ps)
    before = getattr(opt, name)
    with pytest.raises((ValueError, TypeError), match=rf"{type(opt).__name__}: .*{name.split('[')[0]}"):
        setattr(opt, name, bad)
    assert getattr(opt, name) == before
    for p in ps:
        p.grad = 1.0
    opt.step()  # still runs with the old value


def test_optimizer_accepts_a_good_new_learning_rate():
    p = Value(1.0)
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    p.grad = 2.0
    opt.step()
    assert p.data == 1.0 - 0.5 * 2.0


# -- losses: targets and the one reduction parser ----------------------------------------------------------


def test_bce_refuses_targets_outside_0_1_for_value_and_tensor():
    preds = [Value(0.3), Value(0.6), Value(0.9)]
    with pytest.raises(ValueError, match=r"bce: target 2\.0 \(expected a probability in \[0, 1\]"):
        losses.bce(preds, [2, -1, 0])
    with pytest.raises(ValueError, match=r"bce_loss: target 2\.0 \(expected probabilities in \[0, 1\]"):
        losses.bce_loss(Tensor([0.3, 0.6, 0.9]), np.array([2.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="bce_loss: target"):
        tensor_nn.bce_loss(Tensor([0.3]), [-0.5])  # the re-exported name is the same function


@pytest.mark.parametrize("fn, args", [
    (losses.mse, ([Value(1.0)], [math.nan])),
    (losses.bce, ([Value(0.5)], [math.inf])),
    (losses.mse_loss, (Tensor([1.0]), [math.nan])),
    (losses.mse, ([Value(1.0)], ["1"])),
    (losses.mse_loss, (Tensor([1.0]), ["1"])),
])
def test_losses_refuse_targets_that_are_not_finite_numbers(fn, args):
    with pytest.raises((ValueError, TypeError), match=fn.__name__ + ": .*target"):
        fn(*args)


@pytest.mark.parametrize("fn, args", [
    (losses.mse, ([Value(1.0)], [0.0])), (losses.bce, ([Value(0.5)], [0.0])),
    (losses.softmax_cross_entropy, ([Value(1.0), Value(2.0)], 0)),
    (losses.mse_loss, (Tensor([1.0]), [0.0])), (losses.bce_loss, (Tensor([0.5]), [0.0])),
    (losses.cross_entropy, (Tensor([[1.0, 2.0]]), [0])),
])
@pytest.mark.parametrize("reduction", ["avg", "", None, 1])
def test_every_loss_reads_reduction_with_one_parser(fn, args, reduction):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: reduction = .* \(expected one of 'mean', 'sum', 'batchmean', 'none'\)"):
        fn(*args, reduction=reduction)


A = [[0.2, 0.7], [0.9, 0.4], [0.5, 0.1]]
Y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def _bce_by_hand(a: float, y: float) -> float:
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


@pytest.mark.parametrize("nary", [True, False])
def test_value_reductions_as_pytorch(nary):
    terms = [_bce_by_hand(a, y) for ra, ry in zip(A, Y) for a, y in zip(ra, ry)]
    P = [[Value(v) for v in r] for r in A]
    assert losses.bce(P, Y, nary=nary, reduction="sum").data == pytest.approx(sum(terms), rel=1e-14)
    assert losses.bce(P, Y, nary=nary, reduction="mean").data == pytest.approx(sum(terms) / 6, rel=1e-14)
    assert losses.bce(P, Y, nary=nary, reduction="batchmean").data == pytest.approx(sum(terms) / 3, rel=1e-14)
    per = losses.bce(P, Y, nary=nary, reduction="none")
    assert [len(r) for r in per] == [2, 2, 2]
    assert [v.data for r in per for v in r] == pytest.approx(terms, rel=1e-14)
    sq = [(a - y) ** 2 for ra, ry in zip(A, Y) for a, y in zip(ra, ry)]
    assert losses.mse(P, Y, nary=nary, reduction="mean").data == pytest.approx(sum(sq) / 6, rel=1e-14)
    assert losses.mse(P, Y, nary=nary, reduction="sum").data == pytest.approx(sum(sq), rel=1e-14)
    per = losses.mse(P, Y, nary=nary, reduction="none")
    per[1][0].backward()
    assert P[1][0].grad == pytest.approx(2 * (0.9 - 1.0), rel=1e-14) and P[0][0].grad == 0.0


def test_tensor_reductions_as_pytorch():
    terms = np.array([[_bce_by_hand(a, y) for a, y in zip(ra, ry)] for ra, ry in zip(A, Y)])
    for reduction, want in (("sum", terms.sum()), ("mean", terms.mean()), ("batchmean", terms.sum() / 3)):
        assert losses.bce_loss(Tensor(A), np.array(Y), reduction=reduction).item() == pytest.approx(want, rel=1e-14)
    per = losses.bce_loss(Tensor(A, requires_grad=True), np.array(Y), reduction="none")
    assert per.shape == (3, 2) and np.allclose(per.data, terms, rtol=1e-14)
    sq = (np.array(A) - np.array(Y)) ** 2
    assert np.allclose(losses.mse_loss(Tensor(A), Y, reduction="none").data, sq, rtol=1e-14)
    assert losses.mse_loss(Tensor(A), Y, reduction="batchmean").item() == pytest.approx(sq.sum() / 3, rel=1e-14)
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    k = [2, 0]
    lse = [math.log(sum(math.exp(v) for v in row)) for row in z]
    want = [lse[0] - z[0, 2], lse[1] - z[1, 0]]
    zt = Tensor(z, requires_grad=True)
    per = losses.cross_entropy(zt, np.array(k), reduction="none")
    assert np.allclose(per.data, want, rtol=1e-14)
    per.sum().backward()
    e = np.exp(z - z.max(axis=1, keepdims=True))
    assert np.allclose(zt.grad, e / e.sum(axis=1, keepdims=True) - np.eye(3)[k], rtol=1e-12)  # CS224n 2.6
    assert losses.cross_entropy(Tensor(z), k, reduction="batchmean").item() == pytest.approx(sum(want) / 2, rel=1e-14)
    xs = losses.softmax_cross_entropy([[Value(v) for v in row] for row in z], k, reduction="none")
    assert [v.data for v in xs] == pytest.approx(want, rel=1e-14)


def test_tensor_bce_none_refuses_a_saturated_prediction():
    with pytest.raises(DomainError, match="bce_loss: reduction='none' needs predictions strictly between 0 and 1"):
        losses.bce_loss(Tensor([1.0, 0.5]), [1.0, 0.0], reduction="none")


def test_tensor_losses_refuse_predictions_that_are_not_tensors():
    with pytest.raises(TypeError, match="mse_loss: predictions of type list"):
        losses.mse_loss([1.0], [1.0])


# -- seeds, counts, switches, labels ------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda s: MLP(2, [1], seed=s), lambda s: tensor_nn.MLP(2, [1], seed=s), lambda s: tensor_nn.Linear(2, 1, seed=s),
    lambda s: datasets.make_moons(10, seed=s), lambda s: datasets.make_xor(4, noise=0.1, seed=s),
    lambda s: manual_seed(s), lambda s: datasets.split_stratified(np.repeat([0, 1], 5), 1, s),
])
@pytest.mark.parametrize("bad, exc", [("x", TypeError), (True, TypeError), (1.5, TypeError), (-1, ValueError)])
def test_seeds_are_none_or_a_non_negative_int(make, bad, exc):
    try:
        with pytest.raises(exc, match=r"seed = "):
            make(bad)
    finally:
        manual_seed(None)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: Neuron(2, relu_grad_at_zero="x"), TypeError, "Neuron: relu_grad_at_zero"),
    (lambda: MLP(2, [1], relu_grad_at_zero=math.nan), ValueError, "MLP: relu_grad_at_zero"),
    (lambda: tensor_nn.ReLU(grad_at_zero="x"), TypeError, "ReLU: grad_at_zero"),
    (lambda: tensor_nn.MLP(2, [1], relu_grad_at_zero="1"), TypeError, "MLP: relu_grad_at_zero"),
    (lambda: Neuron(2, layer=0), ValueError, "Neuron: layer = 0"),
    (lambda: Neuron(2, index="1"), TypeError, "Neuron: index"),
    (lambda: Neuron(2, nonlin="yes"), TypeError, "Neuron: nonlin"),
    (lambda: MLP(2, [1], weighted_sum="no"), TypeError, "MLP: weighted_sum"),
    (lambda: MLP(2, [1], activation=5), TypeError, "MLP: activation"),
    (lambda: tensor_nn.MLP(2, 5), TypeError, "MLP: nouts"),
    (lambda: tensor_nn.MLP(2, [3, 0]), ValueError, r"MLP: nouts\[1\]"),
    (lambda: tensor_nn.Linear("2", 1), TypeError, "Linear: nin"),
    (lambda: tensor_nn.Sequential(3), TypeError, "Sequential: module 0"),
    (lambda: tensor_nn.MLP.from_scalar(object()), TypeError, "from_scalar"),
    (lambda: datasets.make_moons(10, noise=math.inf), ValueError, "make_moons: noise"),
    (lambda: datasets.make_moons(10, signed="yes"), TypeError, "make_moons: signed"),
    (lambda: datasets.load_iris(123), TypeError, "load_iris: path"),
    (lambda: inputs(["a"]), TypeError, r"inputs: row\[0\]"),
    (lambda: inputs(None), TypeError, "inputs: expected a sequence"),
    (lambda: MLP(2, [1], seed=0)(None), TypeError, "Layer 1: expected a list of 2 inputs"),
    (lambda: MLP(2, [1], seed=0)("ab"), TypeError, "Layer 1: expected a list of 2 inputs"),
    (lambda: MLP(2, [1], seed=0)([1.0, None]), TypeError, "Layer 1: input 1 is NoneType"),
    (lambda: labels.weight(0, 1, 1), ValueError, "labels.weight: layer = 0"),
    (lambda: labels.z(1, "2"), TypeError, "labels.z: i"),
    (lambda: labels.bias(1, 1, style="c"), ValueError, "labels.bias: style"),
    (lambda: losses.softmax_cross_entropy(Value(1.0), 0), TypeError, "softmax_cross_entropy: logits"),
    (lambda: losses.bce([Value(0.5)], [1.0], nary="yes"), TypeError, "bce: nary"),
])
def test_siblings_name_the_function_and_the_argument(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_labels_are_one_format_written_and_read_by_one_module():
    net = MLP(3, [2, 2], seed=0, activation="sigmoid", weighted_sum=True)
    names = {p.label for p in net.parameters()}
    want = {f"w({k})[{i},{j}]" for k, nin, nout in ((1, 3, 2), (2, 2, 2)) for i in range(1, nout + 1)
            for j in range(0, nin + 1)}
    assert names == want  # written by hand: Bondartsov's w(l)[i,j], the bias in column 0
    for name in names:
        p = labels.parse(name)
        assert p.is_parameter and str(p) == name and labels.layer_of(name) == p.layer
    out = net(inputs([0.1, 0.2, 0.3]))
    assert [o.label for o in out] == ["a(2)[1]", "a(2)[2]"]
    assert labels.parse("w(1)[3,2]") == labels.Label("w", 1, (3, 2))
    assert labels.parse("x[4]") == labels.Label("x", None, (4,)) and not labels.is_parameter("x[4]")
    assert labels.parse("b(2)[1]").is_parameter and labels.bias(2, 1, "b") == "b(2)[1]"
    for bad in ("", "w(1)[3,", "x + y", None, 3, "w(a)[1,1]"):
        assert labels.parse(bad) is None and labels.layer_of(bad) is None and not labels.is_parameter(bad)


# -- a hypothesis sweep: random non-numeric and extreme values into the public functions of nets -----------

WILD = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5), st.binary(max_size=3),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=1e300), st.lists(st.floats(allow_nan=True), max_size=3),
    st.just(Value(1.0)), st.just(object()), st.just(np.array(["a"])),
)
#: For sizes (a net's width, a data set's length): the same, with integers kept small enough to build.
WILD_SIZE = WILD.map(lambda v: v % 50 if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 50 else v)
#: mse targets: huge floats make the core's mse rule raise OverflowError (a core item, see the xfail below).
WILD_TARGET = WILD.filter(lambda v: not (isinstance(v, float) and math.isfinite(v) and abs(v) > 1e150))
#: What the functions document they raise on bad input (StateDictError and DomainError are ValueErrors).
DOCUMENTED = (TypeError, ValueError, IndexError)


def _finite_inf_or_nan(x) -> bool:
    x = float(getattr(x, "data", x))
    return math.isfinite(x) or math.isinf(x) or math.isnan(x)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), where=st.sampled_from([
    "mlp_seed", "mlp_nin", "neuron_relu", "sgd_lr", "adam_eps", "assign_lr", "make_moons_n", "make_moons_noise",
    "mse_target", "bce_target", "bce_pred", "xent_target", "inputs", "forward", "state", "label", "reduction",
    "tensor_mse_target", "linear_nout",
]))
def test_nets_functions_either_work_or_raise_a_documented_error(data, where):
    v = data.draw(WILD_SIZE if where in ("mlp_nin", "make_moons_n", "linear_nout") else
                  WILD_TARGET if where == "mse_target" else WILD, label="v")
    net = MLP(2, [2, 1], seed=0)
    before = bits(net)
    opt = SGD(net.parameters(), lr=0.1)
    calls = {
        "mlp_seed": lambda: MLP(2, [1], seed=v),
        "mlp_nin": lambda: MLP(v, [1]),
        "neuron_relu": lambda: Neuron(2, relu_grad_at_zero=v),
        "sgd_lr": lambda: SGD(net.parameters(), lr=v),
        "adam_eps": lambda: Adam(net.parameters(), eps=v),
        "assign_lr": lambda: setattr(opt, "lr", v),
        "make_moons_n": lambda: datasets.make_moons(v),
        "make_moons_noise": lambda: datasets.make_moons(10, noise=v),
        "mse_target": lambda: losses.mse([Value(0.5)], [v]),
        "bce_target": lambda: losses.bce([Value(0.5)], [v]),
        "bce_pred": lambda: losses.bce([v], [1.0]),
        "xent_target": lambda: losses.softmax_cross_entropy([Value(1.0), Value(2.0)], v),
        "inputs": lambda: inputs([v]),
        "forward": lambda: net([v, 1.0]),
        "state": lambda: net.load_state_dict({**net.state_dict(), "layers.0.neurons.0.w.0": v}),
        "label": lambda: labels.weight(v, 1, 1),
        "reduction": lambda: losses.mse([Value(0.5)], [0.0], reduction=v),
        "tensor_mse_target": lambda: losses.mse_loss(Tensor([0.5]), v),
        "linear_nout": lambda: tensor_nn.Linear(2, v),
    }
    try:
        out = calls[where]()
    except DOCUMENTED as e:
        assert str(e), f"{where}: an error without a message"
        if where == "state":
            assert bits(net) == before  # a failed load changes nothing
        if where == "assign_lr":
            assert opt.lr == 0.1
        return
    # it worked: results are numbers (finite, inf or nan as the engine documents), nothing else
    if where in ("mse_target", "bce_target", "bce_pred", "xent_target", "forward"):
        assert _finite_inf_or_nan(out)
    if where == "state":
        assert net.parameters()[0].data == float(v)


def test_mse_of_a_huge_target_overflows_to_inf():
    assert losses.mse([Value(0.5)], [-4.67e175]).data == math.inf

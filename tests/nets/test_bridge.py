"""torch.nn habits of Module, the functional names, the loss modules, and the bridge to PyTorch.

Oracles: numpy closed forms for the losses; hand-listed PyTorch key names; the file layout of
safetensors read byte by byte and the reference ``safetensors`` package (where installed);
PyTorch itself for the weight round trips and :func:`compare` (tests marked ``torch``).
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from micrograd_ext import Tensor
from micrograd_ext.nets import bridge
from micrograd_ext.nets import functional as F
from micrograd_ext.nets import tensor_nn as nn
from micrograd_ext.nets.module import StateDictError
from micrograd_ext.nets.neurons import MLP as ScalarMLP

RNG = np.random.default_rng(99)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4, seed=1), nn.Tanh())
        self.heads = [nn.Linear(4, 2, seed=2), nn.Linear(4, 1, seed=3)]
        self.scale = 2.0

    def forward(self, x: Tensor) -> Tensor:
        h = self.body(x)
        return self.heads[0](h).sum(dim=1) * self.scale + self.heads[1](h).squeeze(1)


# -- Module as torch.nn.Module ------------------------------------------------------------------------


def test_calling_a_module_runs_forward_and_registers_by_attribute() -> None:
    net = Net()
    X = RNG.normal(size=(5, 3))
    b, h0, h1 = net.body[0], net.heads[0], net.heads[1]
    H = np.tanh(X @ b.weight.data.T + b.bias.data)
    want = (H @ h0.weight.data.T + h0.bias.data).sum(1) * 2.0 + (H @ h1.weight.data.T + h1.bias.data)[:, 0]
    np.testing.assert_allclose(net(Tensor(X)).data, want, rtol=1e-14)
    assert [n for n, _ in net.named_parameters()] == [
        "body.0.weight", "body.0.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "heads.0", "heads.1"]
    assert [n for n, _ in net.named_children()] == ["body", "heads.0", "heads.1"]
    assert net.children()[0] is net.body


def test_train_eval_set_every_submodule_and_a_missing_forward_is_clear() -> None:
    net = Net()
    assert net.training and net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 6
    net.train()
    assert all(m.training for m in net.modules())

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward: no forward"):
        NoForward()(1.0)


def test_scalar_nn_keeps_micrograd_s_call() -> None:
    mlp = ScalarMLP(2, [3, 1], seed=0)
    assert type(mlp([1.0, -1.0])).__name__ == "Value"  # one output: a bare Value, as micrograd
    assert list(mlp.state_dict())[:2] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1"]  # its own names


# -- PyTorch's names ----------------------------------------------------------------------------------------


def test_sequential_and_mlp_state_dicts_have_torch_s_keys_and_layouts() -> None:
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    assert {k: v.shape for k, v in seq.state_dict().items()} == {
        "0.weight": (4, 2), "0.bias": (4,), "2.weight": (3, 4), "2.bias": (3,)}
    mlp = nn.MLP(2, [16, 16, 1], seed=0)  # Linear, ReLU, Linear, ReLU, Linear
    assert list(mlp.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    lin = nn.MLP(2, [3, 1], activation="linear", seed=0)  # no activation modules between
    assert list(lin.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_the_names_of_release_0_1_still_load(tmp_path) -> None:
    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    old = {"layers.0.weight": np.ones((3, 2)), "layers.0.bias": np.zeros(3),
           "layers.2.weight": np.full((1, 3), 2.0), "layers.2.bias": np.array([0.5])}
    seq.load_state_dict(old)
    assert seq[2].weight.data.tolist() == [[2.0, 2.0, 2.0]]
    path = tmp_path / "old.npz"  # a file Module.save wrote in 0.1.0
    np.savez(path, __micrograd_ext_state__=np.array("Sequential"), **{k: v * 3 for k, v in old.items()})
    seq.load(path)
    assert seq[2].bias.data.tolist() == [1.5]
    with pytest.raises(StateDictError, match="both in the state"):
        seq.load_state_dict({**old, "0.weight": np.ones((3, 2))})
    assert seq[2].bias.data.tolist() == [1.5]


def test_scalar_mlp_exports_and_imports_torch_s_form() -> None:
    mlp = ScalarMLP(3, [4, 2], seed=5)  # micrograd: ReLU hidden, linear output
    state = bridge.torch_state_dict(mlp)
    assert {k: v.shape for k, v in state.items()} == {"0.weight": (4, 3), "0.bias": (4,), "2.weight": (2, 4), "2.bias": (2,)}
    assert state["0.weight"][1, 2] == mlp.layers[0].neurons[1].w[2].data and state["2.bias"][1] == mlp.layers[1].neurons[1].b.data
    other = ScalarMLP(3, [4, 2], seed=6)
    bridge.load_torch_state_dict(other, state)
    x = [0.3, -1.2, 2.0]
    assert [v.data for v in other(x)] == [v.data for v in mlp(x)]
    before = bridge.torch_state_dict(other)
    with pytest.raises(StateDictError, match="shape"):
        bridge.load_torch_state_dict(other, {**state, "2.bias": np.zeros(3)})
    assert all(np.array_equal(before[k], v) for k, v in bridge.torch_state_dict(other).items())  # unchanged


# -- functional and the loss modules against numpy ------------------------------------------------------------

Z = RNG.normal(size=(5, 3))
YI = np.array([0, 2, 1, 1, 0])


def _logsoftmax(z: np.ndarray) -> np.ndarray:
    m = z.max(1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(1, keepdims=True))


def test_cross_entropy_nll_and_their_modules_equal_the_closed_form() -> None:
    per = -_logsoftmax(Z)[np.arange(5), YI]
    for reduction, want in (("mean", per.mean()), ("sum", per.sum()), ("none", per)):
        np.testing.assert_allclose(F.cross_entropy(Tensor(Z), YI, reduction=reduction).data, want, rtol=1e-14)
        np.testing.assert_allclose(nn.CrossEntropyLoss(reduction)(Tensor(Z), YI).data, want, rtol=1e-14)
        lp = Tensor(_logsoftmax(Z))
        np.testing.assert_allclose(F.nll_loss(lp, YI, reduction=reduction).data, want, rtol=1e-14)
        np.testing.assert_allclose(nn.NLLLoss(reduction)(lp, YI).data, want, rtol=1e-14)
    z = Tensor(Z, requires_grad=True)
    F.cross_entropy(z, YI, reduction="none").sum().backward()  # d/dz = softmax(z) - onehot (CS224n 2.6)
    np.testing.assert_allclose(z.grad, np.exp(_logsoftmax(Z)) - np.eye(3)[YI], rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="reduction='avg'"):
        F.cross_entropy(Tensor(Z), YI, reduction="avg")
    with pytest.raises(IndexError, match="class index 3"):
        F.nll_loss(Tensor(Z), np.array([0, 3, 1, 1, 0]))


def test_mse_bce_l1_and_their_modules_equal_the_closed_form() -> None:
    p, t = RNG.uniform(0.05, 0.95, size=(4, 3)), (RNG.uniform(size=(4, 3)) > 0.5).astype(float)
    sq = (p - t) ** 2
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    for reduction, red in (("mean", np.mean), ("sum", np.sum), ("none", lambda a: a)):
        np.testing.assert_allclose(F.mse_loss(Tensor(p), t, reduction=reduction).data, red(sq), rtol=1e-14)
        np.testing.assert_allclose(nn.MSELoss(reduction)(Tensor(p), t).data, red(sq), rtol=1e-14)
        np.testing.assert_allclose(F.binary_cross_entropy(Tensor(p), t, reduction=reduction).data, red(bce), rtol=1e-13)
        np.testing.assert_allclose(nn.BCELoss(reduction)(Tensor(p), t).data, red(bce), rtol=1e-13)
        np.testing.assert_allclose(F.l1_loss(Tensor(p), t, reduction=reduction).data, red(np.abs(p - t)), rtol=1e-14)
    x = Tensor([1.0, 2.0], requires_grad=True)
    F.l1_loss(x, np.array([1.0, 0.0])).backward()
    assert x.grad.tolist() == [0.0, 0.5]  # |0|' = 0 (PyTorch), then 1/N


def test_functional_activations_and_linear() -> None:
    W, b = RNG.normal(size=(2, 3)), RNG.normal(size=2)
    np.testing.assert_allclose(F.linear(Tensor(Z), Tensor(W), Tensor(b)).data, Z @ W.T + b, rtol=1e-14)
    np.testing.assert_allclose(F.softmax(Tensor(Z)).data, np.exp(_logsoftmax(Z)), rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(Tensor(Z), dim=0).data, _logsoftmax(Z.T).T, rtol=1e-14)
    np.testing.assert_allclose(F.relu(Tensor(Z)).data, np.maximum(Z, 0))
    np.testing.assert_allclose(F.sigmoid(Tensor(Z)).data + F.tanh(Tensor(Z)).data, 1 / (1 + np.exp(-Z)) + np.tanh(Z), rtol=1e-14)
    with pytest.raises(TypeError, match="relu: input of type list"):
        F.relu([1.0])


def test_softmax_logsoftmax_flatten_modules() -> None:
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 3, seed=0), nn.LogSoftmax(dim=1))
    X = RNG.normal(size=(4, 2, 3))
    lin = net[1]
    np.testing.assert_allclose(net(Tensor(X)).data, _logsoftmax(X.reshape(4, 6) @ lin.weight.data.T + lin.bias.data), rtol=1e-13)
    np.testing.assert_allclose(nn.Softmax(dim=0)(Tensor(Z)).data, np.exp(_logsoftmax(Z.T).T), rtol=1e-14)
    assert nn.Flatten(0)(Tensor(X)).shape == (24,) and list(net.state_dict()) == ["1.weight", "1.bias"]


# -- files --------------------------------------------------------------------------------------------------------

STATE = {"0.weight": RNG.normal(size=(4, 3)), "0.bias": RNG.normal(size=4), "2.weight": RNG.normal(size=(2, 4)),
         "2.bias": np.array([1 / 3, -2.0])}


def test_safetensors_layout_byte_by_byte(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    bridge.save_safetensors(STATE, path, metadata={"format": "pt"})
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0  # the header is padded so the data is 8-byte aligned
    header = json.loads(blob[8:8 + n])
    assert header.pop("__metadata__") == {"format": "pt"}
    data = blob[8 + n:]
    pos = 0
    for name in sorted(header, key=lambda k: header[k]["data_offsets"][0]):
        info = header[name]
        assert info["dtype"] == "F64" and info["shape"] == list(STATE[name].shape)
        begin, end = info["data_offsets"]
        assert begin == pos
        assert np.array_equal(np.frombuffer(data[begin:end], dtype="<f8").reshape(info["shape"]), STATE[name])
        pos = end
    assert pos == len(data)
    back = bridge.load_safetensors(path)
    assert back.keys() == STATE.keys() and all(np.array_equal(back[k], v) for k, v in STATE.items())


def test_safetensors_reads_other_dtypes_and_refuses_bad_files(tmp_path) -> None:
    def write(header: dict, data: bytes, name: str = "f.safetensors"):
        text = json.dumps(header).encode()
        p = tmp_path / name
        p.write_bytes(struct.pack("<Q", len(text)) + text + data)
        return p

    # bfloat16 1.5 is 0x3FC0, -2.0 is 0xC000 (the high halves of the float32 bit patterns)
    p = write({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
               "i": {"dtype": "I64", "shape": [1], "data_offsets": [4, 12]}},
              struct.pack("<HH", 0x3FC0, 0xC000) + struct.pack("<q", -7))
    got = bridge.load_safetensors(p)
    assert got["a"].tolist() == [1.5, -2.0] and got["i"].tolist() == [-7]
    bad = [
        (write({"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "s.safetensors"), "needs 16 bytes"),
        (write({"a": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}, b"\0" * 16, "h.safetensors"), "hole"),
        (write({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "d.safetensors"), "dtype 'F8_E4M3'"),
        (write({"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 9, "t.safetensors"), "1 bytes after"),
    ]
    for path, msg in bad:
        with pytest.raises(StateDictError, match=msg):
            bridge.load_safetensors(path)
    (tmp_path / "j.safetensors").write_bytes(struct.pack("<Q", 3) + b"{no")
    with pytest.raises(StateDictError, match="not JSON"):
        bridge.load_safetensors(tmp_path / "j.safetensors")
    (tmp_path / "n.safetensors").write_bytes(b"\1\2")
    with pytest.raises(StateDictError, match="at least the 8-byte"):
        bridge.load_safetensors(tmp_path / "n.safetensors")


def test_safetensors_agrees_with_the_reference_library(tmp_path) -> None:
    st = pytest.importorskip("safetensors.numpy")
    ours = tmp_path / "ours.safetensors"
    bridge.save_safetensors(STATE, ours)
    read = st.load_file(str(ours))
    assert all(np.array_equal(read[k], v) for k, v in STATE.items())
    theirs = tmp_path / "theirs.safetensors"
    st.save_file({**STATE, "mask": np.array([True, False]), "idx": np.arange(3, dtype=np.int32)}, str(theirs))
    back = bridge.load_safetensors(theirs)
    assert back["mask"].tolist() == [True, False] and back["idx"].dtype == np.int32
    assert all(np.array_equal(back[k], v) for k, v in STATE.items())


def test_save_state_and_load_state_npz_and_safetensors(tmp_path) -> None:
    net = nn.MLP(3, [4, 2], seed=1)
    for name in ("net.npz", "net.safetensors"):
        bridge.save_state(net, tmp_path / name)
        state = bridge.load_state(tmp_path / name)
        assert state.keys() == net.state_dict().keys()
        other = nn.MLP(3, [4, 2], seed=2)
        other.load_state_dict(state)
        assert all(np.array_equal(a, b) for a, b in zip(other.state_dict().values(), net.state_dict().values()))
    with np.load(tmp_path / "net.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["0.bias", "0.weight", "2.bias", "2.weight"]  # nothing but the weights
    net.save(tmp_path / "saved.npz")  # Module.save's own file reads too
    assert bridge.load_state(tmp_path / "saved.npz").keys() == net.state_dict().keys()
    with pytest.raises(ValueError, match="expected a .npz or .safetensors"):
        bridge.save_state(net, tmp_path / "net.pt")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(StateDictError, match="cannot read"):
        bridge.load_state(tmp_path / "junk.npz")


# -- with PyTorch ----------------------------------------------------------------------------------------------------


@pytest.mark.torch
def test_weights_round_trip_through_torch_sequential_to_1e_12(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    X = RNG.normal(size=(7, 3))
    ours = nn.MLP(3, [5, 4, 2], activation=["tanh", "relu", "linear"], seed=3)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2)).double()
    tnet.load_state_dict(bridge.to_torch(ours.state_dict()))  # ours -> torch
    np.testing.assert_allclose(tnet(torch.from_numpy(X)).detach().numpy(), ours(Tensor(X)).data, rtol=1e-12, atol=1e-12)
    torch.manual_seed(0)
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 2)).double()
    ours.load_state_dict(fresh.state_dict())  # torch -> ours
    np.testing.assert_allclose(ours(Tensor(X)).data, fresh(torch.from_numpy(X)).detach().numpy(), rtol=1e-12, atol=1e-12)
    # and through a file, without torch on our side
    bridge.save_state(ours, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as f:
        tnet.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    np.testing.assert_allclose(tnet(torch.from_numpy(X)).detach().numpy(), ours(Tensor(X)).data, rtol=1e-12, atol=1e-12)
    st = pytest.importorskip("safetensors.torch")
    bridge.save_state(ours, tmp_path / "w.safetensors")
    tnet.load_state_dict(st.load_file(str(tmp_path / "w.safetensors")))
    np.testing.assert_allclose(tnet(torch.from_numpy(X)).detach().numpy(), ours(Tensor(X)).data, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_modules_move_both_ways_with_equal_outputs_and_gradients() -> None:
    torch = pytest.importorskip("torch")
    X, y = RNG.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])
    scalar = ScalarMLP(3, [4, 2], seed=8)
    tnet = bridge.to_torch_module(scalar)
    xs = [[float(v) for v in row] for row in X]
    np.testing.assert_allclose(tnet(torch.from_numpy(X)).detach().numpy(), [[o.data for o in scalar(r)] for r in xs],
                               rtol=1e-12, atol=1e-12)
    back = bridge.from_torch_module(tnet)
    xt = torch.from_numpy(X)
    torch.nn.functional.cross_entropy(tnet(xt), torch.from_numpy(y)).backward()
    F.cross_entropy(back(Tensor(X)), y).backward()
    np.testing.assert_allclose(back[0].weight.grad, tnet[0].weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(TypeError, match="module 0 is Conv1d"):
        bridge.from_torch_module(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))


@pytest.mark.torch
def test_compare_prints_values_gradients_and_hvps_and_catches_a_difference(capsys) -> None:
    pytest.importorskip("torch")
    import micrograd_ext

    a, w = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
    r = micrograd_ext.compare(lambda x, w, lib: lib.F.log_softmax(lib.cat([x @ w.T, x], dim=1).tanh(), dim=1), a, w)
    out = capsys.readouterr().out
    assert r.ok and r.max_diff < 1e-14 and "d s/d x1" in out and "(H v) x0" in out and "same numbers" in out
    assert [row.quantity for row in r.rows] == ["value", "d s/d x0", "d s/d x1", "(H v) x0", "(H v) x1"]

    def differs(x, lib):  # a relu'(0) of 1 on our side: the gradients must differ where x = 0
        return x.relu(grad_at_zero=1.0).sum() if isinstance(x, Tensor) else x.relu().sum()

    r = micrograd_ext.compare(differs, np.array([0.0, 1.0]), verbose=False)
    assert not r.ok and r.rows[1].max_diff == 1.0 and r.rows[0].max_diff == 0.0

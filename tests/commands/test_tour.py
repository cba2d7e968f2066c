"""The guided tour (issue 6): its files, its printed checks, its accuracy; save/load of the iris net."""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from micrograd_ext.commands import tour

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_image(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data.startswith(PNG_MAGIC), f"{path} is not a PNG"
    elif path.suffix == ".svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg"), f"{path}: root element {root.tag}"
    elif path.suffix == ".gv":
        assert re.search(r"\bdigraph\b", data.decode()), f"{path} is not DOT source"
    elif path.suffix == ".html":
        assert b'class="bp-player"' in data and b"window.backprop" in data, f"{path} is not the backward player"


@pytest.fixture(scope="module")
def tour_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = tour.main(["--fast", "--out", str(out), "--no-progress"])
    return rc, buf.getvalue(), out


def test_tour_exits_zero_and_writes_every_promised_file(tour_run):
    rc, text, out = tour_run
    assert rc == 0, text
    listed = re.findall(r"^  (\S+)$", text.split("files written:")[1].split("open first")[0], flags=re.M)
    names = {Path(p).name for p in listed}
    for p in listed:
        assert Path(p).is_file(), p
        _check_image(Path(p))
    ext = ".svg" if shutil.which("dot") else ".gv"
    for stem in ("figure1_network", "figure2_paths_w2", "figure3_paths_w1"):
        assert stem + ext in names, (stem, names)
    assert "loss_curve.png" in names
    assert "iris_weights.npz" in names
    assert "backward_player.html" in names  # the backward pass of the Figure-3 sample (issue 11)
    player = next(Path(p) for p in listed if p.endswith("backward_player.html"))
    assert player.stat().st_size < 1_000_000  # the page for the Figure-3 sample stays under 1 MB
    assert re.search(r"^open first: \S+", text, flags=re.M)
    assert re.search(r"^then: \S+backward_player\.html ", text, flags=re.M)


def test_tour_gradient_comparison_passed(tour_run):
    _, text, _ = tour_run
    rows = re.findall(r"^\s+\((8|14)\)\s+grad w\((\d)\)\s+(\S+)\s+(\S+)\s+(PASS|FAIL)$", text, flags=re.M)
    assert {r[0] for r in rows} == {"8", "14"}, text
    for eq, _layer, shape, diff, verdict in rows:
        assert verdict == "PASS" and float(diff) <= 1e-10
        assert shape == ("3x9" if eq == "8" else "8x5")
    assert "gradient comparison: PASS" in text


def test_tour_held_out_accuracy_at_least_90_percent(tour_run):
    _, text, _ = tour_run
    m = re.search(r"held-out accuracy: ([\d.]+)% \((\d+)/(\d+)\)", text)
    assert m, text
    assert int(m.group(3)) == 30
    assert int(m.group(2)) >= 27


def test_tour_paths_sum_to_grad(tour_run):
    _, text, _ = tour_run
    sums = [float(v) for v in re.findall(r"^\s+sum = (\S+)$", text, flags=re.M)]
    grads = [float(v) for v in re.findall(r"\.grad = (\S+) \(backward\)", text)]
    assert len(sums) == 2 and len(grads) == 2
    for s, g in zip(sums, grads):
        assert math.isclose(s, g, rel_tol=1e-12, abs_tol=1e-15)
    # each path's printed product is the product of its printed factors (6 significant digits)
    for factors, product in re.findall(r"^\s+= (.*) = (\S+)$", text, flags=re.M):
        nums = [float(f.strip("()")) for f in factors.split(" * ")]
        assert math.isclose(math.prod(nums), float(product.strip("()")), rel_tol=1e-4)
    counts = [int(v) for v in re.findall(r"= sum over (\d+) path\(s\)", text)]
    assert counts == [1, 3]  # Figure 2: one path; Figure 3: one through each of the 3 outputs
    eqs = re.findall(r"path \d factors by Bondartsov eqs\. (.*): (PASS|FAIL)", text)
    assert [e for e, _ in eqs] == ["(5a) * (5b) * (5c)"] + ["(5a) * (5b) * (10a) * (10c) * (10b)"] * 3
    assert all(v == "PASS" for _, v in eqs)


def test_split_is_stratified_seeded_and_disjoint():
    y = np.repeat([0, 1, 2], 50)
    tr, te = tour.split_stratified(y, 10, seed=3)
    assert len(tr) == 120 and len(te) == 30 and not set(tr) & set(te) and sorted(tr + te) == list(range(150))
    assert [int(np.sum(y[te] == k)) for k in range(3)] == [10, 10, 10]
    assert tour.split_stratified(y, 10, seed=3) == (tr, te)
    assert tour.split_stratified(y, 10, seed=4)[1] != te


def test_the_tours_closed_forms_match_finite_differences():
    """The oracle the tour compares with (micrograd_ext.closed_form, eqs. (8), (14)) against central
    differences of the numpy loss of eq. (1), written here independently."""
    from micrograd_ext.closed_form import bondartsov_grad_w1, bondartsov_grad_w2

    rng = np.random.default_rng(0)
    W1, W2 = rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))
    X = rng.normal(size=(6, 4))
    Y = np.eye(3)[rng.integers(0, 3, 6)]

    def loss(W1, W2):
        x1 = np.hstack([np.ones((6, 1)), X])
        a1 = 1 / (1 + np.exp(-(x1 @ W1.T)))
        a2 = 1 / (1 + np.exp(-(np.hstack([np.ones((6, 1)), a1]) @ W2.T)))
        return -np.mean(np.sum(Y * np.log(a2) + (1 - Y) * np.log(1 - a2), axis=1))

    g1, g2 = np.asarray(bondartsov_grad_w1(W1, W2, X, Y)), np.asarray(bondartsov_grad_w2(W1, W2, X, Y))
    h = 1e-6
    for W, G, which in ((W1, g1, 1), (W2, g2, 2)):
        for idx in [(0, 0), (1, 2), (W.shape[0] - 1, W.shape[1] - 1)]:
            Wp, Wm = W.copy(), W.copy()
            Wp[idx] += h
            Wm[idx] -= h
            fd = (loss(Wp, W2) - loss(Wm, W2)) / (2 * h) if which == 1 else (loss(W1, Wp) - loss(W1, Wm)) / (2 * h)
            assert abs(fd - G[idx]) < 1e-8


def test_loss_curve_is_a_png_drawn_by_matplotlib(tmp_path):
    log = tour.TrainLog(train_loss=[2.0, 1.0, 0.5], test_loss=[2.1, 1.2, 0.7])
    path = tour.write_loss_curve(log, str(tmp_path))
    assert path.endswith("loss_curve.png")
    _check_image(Path(path))


def test_tour_prints_the_draw_command_that_redraws_figure_3_with_its_numbers(tour_run, tmp_path):
    """`micrograd-ext draw --load ... --row ...` (printed by the tour) gives the tour's Figure 3, byte for byte."""
    import shlex

    from micrograd_ext.commands import draw

    _, text, out = tour_run
    cmd = re.search(r"^redraw it from the saved weights: micrograd-ext draw (.*)$", text, flags=re.M).group(1)
    argv = shlex.split(cmd)
    argv[argv.index("--out") + 1] = str(tmp_path / "again.gv")
    assert draw.main(argv) == 0
    assert (tmp_path / "again.gv").read_text() == (out / "figure3_paths_w1.gv").read_text()


# -- save / load of the iris net (Module.save / load) -----------------------------------------


def test_save_load_round_trip_is_exact(tmp_path):
    a, b = tour.build_net(1), tour.build_net(2)
    for p in a.parameters():
        p.data += 1e-17 * 3 + math.pi / 7  # not representable in few digits
    a.save(tmp_path / "w.npz")
    b.load(tmp_path / "w.npz")
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [type(p.data) for p in b.parameters()] == [float] * len(b.parameters())


@pytest.mark.parametrize("hidden, word", [(7, "missing"), (9, "unexpected")])
def test_load_wrong_architecture_lists_differences_and_leaves_model_unchanged(tmp_path, hidden, word):
    from micrograd_ext.nets.module import StateDictError
    from micrograd_ext.nets.neurons import MLP

    other = MLP(4, [hidden, 3], activation="sigmoid", weighted_sum=True, seed=5)
    other.save(tmp_path / "other.npz")
    net = tour.build_net(0)
    before = [p.data for p in net.parameters()]
    with pytest.raises(StateDictError) as e:
        net.load(tmp_path / "other.npz")
    msg = str(e.value)
    assert word in msg and "unchanged" in msg
    # every differing name is listed: the 8th/9th hidden neuron's bias and layer 2's 8th/9th input weight
    k = 7 if hidden == 7 else 8
    assert f"layers.0.neurons.{k}.b" in msg and f"layers.1.neurons.0.w.{k}" in msg, msg
    assert [p.data for p in net.parameters()] == before


def test_load_wrong_shapes_lists_each_and_leaves_model_unchanged(tmp_path):
    from micrograd_ext.nets.module import _MAGIC, StateDictError

    net = tour.build_net(0)
    state = net.state_dict()
    names = list(state)
    state[names[0]] = np.zeros(2)
    state[names[-1]] = np.zeros((1, 3))
    np.savez(tmp_path / "bad.npz", **{_MAGIC: np.array("MLP")}, **state)
    before = [p.data for p in net.parameters()]
    with pytest.raises(StateDictError) as e:
        net.load(tmp_path / "bad.npz")
    msg = str(e.value)
    assert f"{names[0]}: shape (2,)" in msg and f"{names[-1]}: shape (1, 3)" in msg and "2 problem" in msg
    assert [p.data for p in net.parameters()] == before


def test_load_foreign_file_raises_clear_error(tmp_path):
    from micrograd_ext.nets.module import StateDictError

    net = tour.build_net(0)
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    (tmp_path / "text.npz").write_text("not a zip file")
    for name in ("foreign.npz", "text.npz"):
        with pytest.raises(StateDictError, match="micrograd_ext state"):
            net.load(tmp_path / name)


def test_tour_without_dot_writes_dot_source_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on PATH
    tour.main(["--epochs", "3", "--out", str(tmp_path), "--no-progress"])  # too short to train: only files matter
    text = capsys.readouterr().out
    assert "Graphviz 'dot' is not on PATH" in text
    for stem in ("figure1_network", "figure2_paths_w2", "figure3_paths_w1"):
        assert (tmp_path / f"{stem}.gv").is_file() and not (tmp_path / f"{stem}.svg").exists()
        _check_image(tmp_path / f"{stem}.gv")
    _check_image(tmp_path / "backward_player.html")  # the player needs no Graphviz (its own layout)


def test_print_paths_catches_a_wrong_local_derivative():
    """The tour's path check can fail: corrupt one stored local derivative (the sigmoid's, eq. (5b))."""
    import io

    net = tour.build_net(0)
    y = [0.0, 1.0, 0.0]
    C = tour.one_sample_graph(net, [0.5, -1.0, 0.3, 2.0], y)
    w1 = net.layers[0].neurons[2].w[1]
    assert tour.print_paths(C, w1, y, out=io.StringIO())
    a2 = C._prev[1]  # a(2)[2]
    assert a2.label == "a(2)[2]"
    a2._da = a2._da * 1.01  # the stored number itself (a private field: this test corrupts it on purpose)
    buf = io.StringIO()
    assert not tour.print_paths(C, w1, y, out=buf)
    assert "FAIL" in buf.getvalue()

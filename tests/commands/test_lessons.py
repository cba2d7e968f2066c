"""The higher-order lessons in demos/ compute the right numbers, checked against oracles of their own.

Each lesson also runs end to end in its ``--fast`` mode (tests/commands/test_demos.py);
here their functions are imported and their results compared with what the lessons do
not use: Newton's and gradient descent's iterates from hand-derived derivatives in plain
floats, tanh's derivatives written with sech, the factorial formula and other functions'
Taylor coefficients, the iris Hessian against a closed form written here and central
differences of the gradient, and Jacobians against central differences.
"""

from __future__ import annotations

import importlib.util
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from fdiff import fd_jacobian

DEMOS = Path(__file__).resolve().parents[2] / "demos"


def _lesson(name: str):
    """Imports demos/<name>.py as a module (the demos folder is put on sys.path for its ``_lesson`` helper)."""
    if str(DEMOS) not in sys.path:
        sys.path.insert(0, str(DEMOS))
    spec = importlib.util.spec_from_file_location(f"lesson_{name}", DEMOS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


# -- newton.py ---------------------------------------------------------------------------------


def _newton_floats(x: float, tol: float = 1e-10) -> list[float]:
    xs = [x]
    while abs(xs[-1] - 1) >= tol and len(xs) < 60:
        x = xs[-1]
        xs.append(x - (4 * x**3 - 4 * x) / (12 * x**2 - 4))
    return xs


def test_newton_reaches_1_to_1e10_in_at_most_7_steps_and_follows_the_hand_derived_iteration():
    m = _lesson("newton")
    xs = m.newton(2.0)
    want = _newton_floats(2.0)
    assert len(xs) - 1 <= 7 and abs(xs[-1] - 1) < 1e-10
    assert len(xs) == len(want)
    np.testing.assert_allclose(xs, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("x0", [-1.7, -0.3, 0.45, 1.2, 2.0, 3.5])
def test_newton_derivatives_by_nested_grad_equal_the_closed_forms(x0):
    m = _lesson("newton")
    f, d1, d2 = m.derivatives(x0)
    assert f == pytest.approx(x0**4 - 2 * x0**2, rel=1e-15, abs=1e-15)
    assert d1 == pytest.approx(4 * x0**3 - 4 * x0, rel=1e-14, abs=1e-14)
    assert d2 == pytest.approx(12 * x0**2 - 4, rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("lr", [0.02, 0.05])
def test_gradient_descent_takes_the_steps_of_the_float_iteration(lr):
    m = _lesson("newton")
    xs = m.gradient_descent(2.0, lr=lr)
    want = [2.0]
    while abs(want[-1] - 1) >= 1e-10:
        x = want[-1]
        want.append(x - lr * (4 * x**3 - 4 * x))
    assert len(xs) == len(want) > 20  # many more steps than Newton's
    np.testing.assert_allclose(xs, want, rtol=1e-13)
    # linear convergence at the rate |1 - lr f''(1)|, f''(1) = 8
    assert abs(xs[-1] - 1) / abs(xs[-2] - 1) == pytest.approx(abs(1 - 8 * lr), abs=1e-3)


# -- tanh_derivatives.py -------------------------------------------------------------------------


def _tanh_family_with_sech(x: np.ndarray) -> list[np.ndarray]:
    """Written another way: s = sech^2 x = 1/cosh^2 x, t = tanh x."""
    t, s = np.tanh(x), 1 / np.cosh(x) ** 2
    return [t, s, -2 * s * t, 4 * s * t**2 - 2 * s**2, 16 * s**2 * t - 8 * s * t**3]


def test_tanh_derivatives_by_nesting_grad_on_a_tensor():
    m = _lesson("tanh_derivatives")
    xs = np.linspace(-3, 3, 37)
    ds, sizes = m.nested_derivatives(xs)
    for k, (d, w) in enumerate(zip(ds, _tanh_family_with_sech(xs))):
        np.testing.assert_allclose(d, w, rtol=1e-12, atol=1e-13, err_msg=f"derivative {k}")
    assert sizes == sorted(sizes) and len(set(sizes)) == 5  # each graph is larger than the one before


def test_tanh_derivatives_with_value_and_the_second_derivative_graph():
    m = _lesson("tanh_derivatives")
    for x0 in (-2.2, 0.0, 0.5, 1.7):
        np.testing.assert_allclose(m.nested_derivatives_value(x0), _tanh_family_with_sech(np.array(x0)),
                                   rtol=1e-12, atol=1e-13)
    x, d1, d2 = m.second_derivative_graph(0.5)
    t, s = _tanh_family_with_sech(np.array(0.5))[:2]
    assert d1.data == pytest.approx(s, rel=1e-15)
    assert d2.data == pytest.approx(-2 * s * t, rel=1e-14)  # not tanh'' + tanh': x.grad was cleared in between


def test_tanh_lesson_writes_dot_source_when_graphviz_is_missing(tmp_path, monkeypatch, capsys):
    import micrograd_ext.diagrams as diagrams

    m = _lesson("tanh_derivatives")
    real_save = diagrams.save

    def save_without_dot(diagram, path, format=None):
        if not str(path).endswith(".gv"):
            raise diagrams.DotNotFoundError("write " + str(path))
        return real_save(diagram, path, format)

    monkeypatch.setattr(diagrams, "save", save_without_dot)
    assert m.main(["--fast", "--out", str(tmp_path)]) == 0
    gv = tmp_path / "tanh_second_derivative_graph.gv"
    assert gv.is_file() and "d(tanh)/da = 1 - out^2" in gv.read_text()
    assert not (tmp_path / "tanh_second_derivative_graph.svg").exists()
    assert "dot' is missing" in capsys.readouterr().out


# -- taylor_sin.py -----------------------------------------------------------------------------------


def test_taylor_coefficients_of_sin_are_the_factorial_formula():
    m = _lesson("taylor_sin")
    got = m.taylor_coefficients(lambda x: x.sin(), 0.0, 11)
    want = [0.0 if n % 2 == 0 else (-1) ** ((n - 1) // 2) / math.factorial(n) for n in range(12)]
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    assert list(m.known_sin_coefficients(11)) == pytest.approx(want, rel=1e-15)


def test_taylor_coefficients_of_other_functions():
    """The same nested-grad code on functions whose series are known another way."""
    m = _lesson("taylor_sin")
    # a polynomial around 2: its coefficients in powers of (x - 2), expanded by hand; then zeros
    # (the derivatives of a constant: allow_unused)
    np.testing.assert_allclose(m.taylor_coefficients(lambda x: 3 * x**3 - 2 * x + 1, 2.0, 6),
                               [21, 34, 18, 3, 0, 0, 0], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(m.taylor_coefficients(lambda x: x.exp(), 0.5, 7),
                               [math.exp(0.5) / math.factorial(n) for n in range(8)], rtol=1e-14)
    np.testing.assert_allclose(m.taylor_coefficients(lambda x: (1 + x).log(), 0.0, 7),
                               [0.0] + [(-1) ** (n + 1) / n for n in range(1, 8)], rtol=1e-14, atol=1e-15)


def test_taylor_polynomial_approximates_sin_within_lagrange_bound():
    m = _lesson("taylor_sin")
    coef = m.taylor_coefficients(lambda x: x.sin(), 0.0, 9)
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 101)
    assert np.all(np.abs(m.polynomial(coef, xs) - np.sin(xs)) <= np.abs(xs) ** 10 / math.factorial(10) + 1e-15)
    assert m.polynomial(coef, np.array(0.3)) == pytest.approx(
        sum((-1) ** k * 0.3 ** (2 * k + 1) / math.factorial(2 * k + 1) for k in range(5)), rel=1e-15)


# -- iris_hessian.py --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris_lesson():
    m = _lesson("iris_hessian")
    X, Y = m.iris()
    net = m.make_net(0)
    m.train(net, X, Y, 30)
    return m, net, X, Y


def test_iris_output_layer_hessian_against_a_closed_form_written_here(iris_lesson):
    m, net, X, Y = iris_lesson
    res = m.analyse(net, X, Y)["output"]
    l1, l2 = net.layers
    a1 = 1 / (1 + np.exp(-(X @ l1.weight.data.T + l1.bias.data)))  # the net's own parameters, in numpy
    a = 1 / (1 + np.exp(-(a1 @ l2.weight.data.T + l2.bias.data)))
    h = np.hstack([np.ones((150, 1)), a1])  # [1; a(1)]: w(2)'s column 0 is the bias
    want = np.zeros((3, 9, 3, 9))
    for k in range(3):
        want[k, :, k, :] = np.einsum("n,ni,nj->ij", a[:, k] * (1 - a[:, k]), h, h) / 150
    np.testing.assert_allclose(res.H, want.reshape(27, 27), rtol=1e-12, atol=1e-17)
    lam = res.eigenvalues
    assert lam.min() > -1e-15 and np.all(np.diff(lam) >= 0)  # positive semi-definite, ascending (eigvalsh)


def test_iris_hidden_layer_hessian_against_finite_differences_of_the_gradient(iris_lesson):
    m, net, X, Y = iris_lesson
    res = m.analyse(net, X, Y)["hidden"]
    w1, w2 = m.bondartsov_weights(net)

    def gradient(w):  # dC/dw(1) by numpy, from Bondartsov's eqs. (14)-(15): no engine at all
        Xb = np.hstack([np.ones((150, 1)), X])
        a1 = 1 / (1 + np.exp(-(Xb @ w.T)))
        h = np.hstack([np.ones((150, 1)), a1])
        a2 = 1 / (1 + np.exp(-(h @ w2.T)))
        d2 = (a2 - Y) / 150  # dC/dz(2) for sigmoid + eq. (1)
        d1 = (d2 @ w2[:, 1:]) * a1 * (1 - a1)
        return d1.T @ Xb

    want = fd_jacobian(gradient, w1, eps=1e-6).reshape(40, 40)
    np.testing.assert_allclose(res.H, want, rtol=1e-6, atol=1e-8)
    assert (res.eigenvalues < 0).any()  # not convex in the hidden layer


def test_iris_hessian_symmetry_eigendecomposition_and_hvp(iris_lesson):
    m, net, X, Y = iris_lesson
    for c in m.analyse(net, X, Y).values():
        H = c.H
        assert c.asymmetry == np.abs(H - H.T).max() <= 1e-15 * max(1, np.abs(H).max())
        lam, V = np.linalg.eigh(H)
        np.testing.assert_allclose(lam, c.eigenvalues, rtol=1e-10, atol=1e-16)
        np.testing.assert_allclose(V @ np.diag(lam) @ V.T, H, atol=1e-14 * np.abs(H).max())
        assert lam.sum() == pytest.approx(np.trace(H), rel=1e-12, abs=1e-16)
        # Rayleigh quotients lie between the extreme eigenvalues
        for v in np.random.default_rng(0).normal(size=(5, H.shape[0])):
            assert lam[0] - 1e-15 <= v @ H @ v / (v @ v) <= lam[-1] + 1e-15
        assert c.hvp_error < 1e-12 and c.reconstruction < 1e-12


def test_iris_layer_cost_is_the_nets_cost_and_its_gradient_the_nets_gradient(iris_lesson):
    from micrograd_ext import Tensor

    m, net, X, Y = iris_lesson
    w1, w2 = m.bondartsov_weights(net)
    C2, _ = m.output_layer_cost(w1, X, Y)
    t = Tensor(w2.copy(), requires_grad=True)
    c = C2(t)
    c.backward()
    net.zero_grad()
    cn = m.cost(net, X, Y)
    cn.backward()
    l2 = net.layers[1]
    assert c.item() == pytest.approx(cn.item(), rel=1e-14)
    np.testing.assert_allclose(t.grad, np.hstack([l2.bias.grad[:, None], l2.weight.grad]), rtol=1e-12, atol=1e-16)


# -- dual_numbers.py -------------------------------------------------------------------------------


def test_dual_numbers_carry_the_derivative():
    m = _lesson("dual_numbers")
    x, y = 0.7, -1.3
    fx = m.tiny(m.Dual(x, 1.0), m.Dual(y))
    fy = m.tiny(m.Dual(x), m.Dual(y, 1.0))
    assert fx.real == fy.real == pytest.approx(x * y + math.sin(x), rel=1e-15)
    assert fx.eps == pytest.approx(y + math.cos(x), rel=1e-15)
    assert fy.eps == pytest.approx(x, rel=1e-15)
    p = (m.Dual(3.0, 2.0) * m.Dual(-1.0, 5.0)) + 4.0  # (3 + 2e)(-1 + 5e) + 4 = 1 + (15 - 2) e
    assert (p.real, p.eps) == (1.0, 13.0)


@pytest.mark.parametrize("n,m_out", [(1, 3), (5, 2), (3, 7)])
def test_jacobian_column_by_column_and_row_by_row_against_finite_differences(n, m_out):
    from micrograd_ext import Tensor

    m = _lesson("dual_numbers")
    F, W = m.make_F(n, m_out, seed=n)
    x0 = np.random.default_rng(n).normal(size=n)
    want = fd_jacobian(lambda a: F(Tensor(a)).data, x0)
    for J in (m.jacobian_forward(F, x0, m_out), m.jacobian_reverse(F, x0, m_out), m.closed_form_jacobian(W, x0)):
        np.testing.assert_allclose(J, want, rtol=1e-7, atol=1e-9)


def test_dual_numbers_sweep_times_every_size_without_asserting_speed():
    m = _lesson("dual_numbers")
    rows = m.sweep([1, 3], 2, "n", reps=1)
    assert [r[0] for r in rows] == [1, 3] and all(r[1] > 0 and r[2] > 0 for r in rows)


# -- every lesson: without matplotlib -------------------------------------------------------------


def test_a_lesson_without_matplotlib_prints_everything_and_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.syspath_prepend(str(DEMOS))
    monkeypatch.setattr(sys, "argv", [str(DEMOS / "taylor_sin.py"), "--fast", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(str(DEMOS / "taylor_sin.py"), run_name="__main__")
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "matplotlib is not installed" in out and "pip install" in out and "7 of 7 checks pass" in out
    assert not list(tmp_path.glob("*.png"))


# -- the README's section ------------------------------------------------------------------------


def test_readme_derivatives_of_derivatives_block_prints_newton_and_the_quadratic_forms_hessian(capsys):
    import re

    text = (DEMOS.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## Derivatives of derivatives", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(code.strip().splitlines()) <= 12
    exec(compile(code, "README.md: Derivatives of derivatives", "exec"), {})
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first == f"{_newton_floats(2.0)[6]!r} True"  # six Newton steps from hand-derived f', f''
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    assert second == repr((A + A.T).tolist())  # the Hessian of v^T A v


def test_docs_higher_order_python_blocks_run(capsys):
    import re

    text = (DEMOS.parent / "docs" / "higher_order.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    ns: dict = {}
    for k, code in enumerate(blocks):
        exec(compile(code, f"docs/higher_order.md python block {k + 1}", "exec"), ns)
    x = 2.0
    assert capsys.readouterr().out.split() == [repr(3 * (2 * x) ** 2 * 2 + 2 * x)]  # DeZero's step 36: 100.0

"""graph: the topological order, the backward driver and the mode switches."""

from __future__ import annotations

import pytest

from micrograd_ext.core.graph import (
    MODE,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    next_seq,
    no_grad,
    topological_order,
)
from micrograd_ext.engine import Value


def _reachable(root):
    seen, stack = {root}, [root]
    while stack:
        for p in stack.pop()._prev:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _diamond():
    x = Value(1.5, label="x")
    a = x * 2.0
    b = x.tanh()
    c = a * b + a  # shared subexpression a, two paths from c to x through a
    return x, a, b, c


def test_order_contains_every_reachable_node_once_parents_first_root_last():
    x, a, b, c = _diamond()
    order = topological_order(c)
    assert len(order) == len(set(order)) == len(_reachable(c))
    pos = {n: i for i, n in enumerate(order)}
    assert all(pos[p] < pos[n] for n in order for p in n._prev)
    assert order[-1] is c


def test_order_of_a_leaf_is_itself():
    x = Value(1.0)
    assert topological_order(x) == [x]


def test_deep_chain_needs_no_recursion():
    y = x = Value(0.0)
    for _ in range(20_000):
        y = y + 1.0
    order = topological_order(y)
    assert order[0] is x and order[-1] is y and len(order) == 40_001  # chain nodes and their constants


def test_wide_node():
    xs = [Value(float(i)) for i in range(5000)]
    s = Value.sum(xs)
    order = topological_order(s)
    assert order[:-1] == xs and order[-1] is s


def test_next_seq_increases_and_parents_are_older():
    a = next_seq()
    assert next_seq() > a
    x, a, b, c = _diamond()
    assert all(p._seq < n._seq for n in topological_order(c) for p in n._prev)


def test_modes_are_restored_even_on_error():
    assert is_grad_enabled() and not MODE.anomaly
    with pytest.raises(RuntimeError):
        with no_grad(), detect_anomaly():
            assert not is_grad_enabled() and MODE.anomaly
            raise RuntimeError
    assert is_grad_enabled() and not MODE.anomaly
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    with detect_anomaly(), detect_anomaly(False):
        assert not MODE.anomaly


def test_trace_backward_replays_to_the_same_grads_bit_for_bit() -> None:
    from micrograd_ext.core.graph import edges, trace_backward
    from micrograd_ext.engine import Value

    def build():
        x, y = Value(0.7, label="x"), Value(-1.3, label="y")
        u = (x * y).tanh() + x ** 3
        return x, y, (u * y + u.exp()).sigmoid()

    x, y, L = build()
    L.backward()
    want = (x.grad, y.grad)
    x, y, L = build()
    steps = trace_backward(L)
    assert (x.grad, y.grad) == want
    replay: dict[int, float] = {}
    for s in steps:  # replaying the contributions in order gives every leaf's grad exactly
        replay[id(s.parent)] = replay.get(id(s.parent), 0.0) + s.contribution
        assert s.contribution == s.local * s.upstream
        assert s.grad_after == replay[id(s.parent)] or s.parent._prev
    assert (replay[id(x)], replay[id(y)]) == want
    # one step per edge of every node with a nonzero gradient
    assert len(steps) == sum(len(edges(s.node)) for s in {id(s.node): s for s in steps}.values())


def _random_program(seed: int, n_ops: int = 60):
    """A random graph with shared nodes, zeros (relu of negatives), n-ary nodes and repeated edges."""
    import random

    from micrograd_ext.engine import Value

    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-2, 2), label=f"x{k}") for k in range(4)]
    nodes = list(leaves)
    for _ in range(n_ops):
        a, b = rng.choice(nodes), rng.choice(nodes)
        op = rng.randrange(7)
        v = [a + b, a * b, (a - b).relu(), a.tanh(), Value.sum([a, b, a]), Value.weighted_sum([a], [b], 0.5),
             (a * 0.0).sigmoid()][op]
        nodes.append(v)
    return leaves, nodes, Value.sum(nodes[-8:])


def _bits(x: float) -> bytes:
    import struct

    return struct.pack("<d", x)


def test_fast_pass_and_traced_pass_agree_bit_for_bit_with_the_heap_path(monkeypatch) -> None:
    """The fast newest-first pass and the general one (trace, anomaly mode) give identical bits,
    also when old nodes go through the heap (a window of 5 creations forces it)."""
    from micrograd_ext.core import value as value_mod
    from micrograd_ext.core.graph import detect_anomaly, trace_backward

    for window in (value_mod.WINDOW, 5):
        monkeypatch.setattr(value_mod, "WINDOW", window)
        for seed in range(12):
            _, nodes, root = _random_program(seed)
            root.backward()
            fast = [_bits(v.grad) for v in nodes]
            for v in nodes:  # back to a fresh graph: nodes behind a zero gradient keep theirs (0.0)
                v.grad = 0.0
            trace_backward(root)
            assert [_bits(v.grad) for v in nodes] == fast, (window, seed)
            for v in nodes:
                v.grad = 0.0
            with detect_anomaly():
                root.backward()
            assert [_bits(v.grad) for v in nodes] == fast, (window, seed)


def test_a_zero_gradient_passes_nothing_on_and_what_it_hides_is_not_visited() -> None:
    """The documented semantics of backward(): a node whose gradient is exactly 0 is not visited further.

    On a fresh graph that changes no gradient (0 * local is 0); a node only such nodes lead to keeps
    the .grad it had, which on a fresh graph is 0.0, and after another root's pass is that pass's.
    """
    from micrograd_ext.engine import Value

    x = Value(-1.0)
    h = x * 3.0  # -3
    h2 = h * 1.0  # reached only through relu(h2), whose local derivative at -3 is 0
    r = h2.relu()
    y = r + x
    y.backward()
    assert (r.grad, h2.grad, h.grad, x.grad) == (1.0, 0.0, 0.0, 1.0)  # fresh graph: every value right
    z = h * 5.0  # another root through h
    z.backward()
    assert h.grad == 5.0 and x.grad == 1.0 + 15.0
    y.backward()  # h is behind h2's zero gradient: not visited, it keeps z's pass's 5.0
    assert (r.grad, h2.grad, h.grad) == (1.0, 0.0, 5.0)
    assert x.grad == 16.0 + 1.0  # the leaves' gradients are right: the hidden path carries nothing

"""In-place safety: changing data that a recorded op saved for its backward raises on backward,
naming the op; changes the backward does not depend on, and optimizer updates between steps,
never trip the check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim

STALE = (r"{op}Backward: an array it saved for backward was modified by an in-place operation "
         r"\(version \d+ when saved, \d+ now\).*out-of-place op")


def _x() -> tg.Tensor:
    return tg.Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True)


def _c() -> tg.Tensor:
    return tg.Tensor(np.array([[2.0, 3.0, 4.0], [0.5, 1.5, 2.5]]))


def _setitem(t: tg.Tensor) -> None:
    t[0, 0] = 9.0


# Each case: build(x, c) -> (loss, the tensor to modify); the op whose saved array it is.
CASES: list[tuple[str, Callable[[tg.Tensor, tg.Tensor], tuple[tg.Tensor, tg.Tensor]], str]] = [
    ("mul-saved-input", lambda x, c: ((x * c).sum(), c), "Mul"),
    ("div-saved-divisor", lambda x, c: ((x / c).sum(), c), "Div"),
    ("matmul-saved-input", lambda x, c: ((x @ c.T).sum(), c), "MatMul"),
    ("pow-saved-exponent", lambda x, c: (((x * x + 1.0) ** c).sum(), c), "Pow"),
    ("log-saved-input", lambda x, c: (lambda a: (a.log().sum(), a))(x + 3.0), "Log"),
]


def _stale_output(make: Callable[[tg.Tensor], tg.Tensor]) -> Callable[..., Any]:
    def build(x: tg.Tensor, c: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        out = make(x)
        return out.sum(), out  # Sum saves nothing: the op that saved `out` is the one to name

    return build


OUTPUT_CASES = [
    ("exp", _stale_output(lambda x: x.exp()), "Exp"),
    ("sigmoid", _stale_output(lambda x: x.sigmoid()), "Sigmoid"),
    ("tanh", _stale_output(lambda x: x.tanh()), "Tanh"),
    ("relu", _stale_output(lambda x: x.relu()), "Relu"),
    ("sqrt", _stale_output(lambda x: (x * x).sqrt()), "Sqrt"),
    ("softmax", _stale_output(lambda x: x.softmax(1)), "Softmax"),
    ("log_softmax", _stale_output(lambda x: x.log_softmax(1)), "LogSoftmax"),
]

MUTATIONS: list[tuple[str, Callable[[tg.Tensor], Any]]] = [
    ("add_", lambda t: t.add_(1.0)),
    ("mul_", lambda t: t.mul_(2.0)),
    ("sub_", lambda t: t.sub_(0.5)),
    ("div_", lambda t: t.div_(4.0)),
    ("zero_", lambda t: t.zero_()),
    ("fill_", lambda t: t.fill_(3.0)),
    ("copy_", lambda t: t.copy_(np.ones(t.shape))),
    ("setitem", _setitem),
    ("iadd-under-no_grad", lambda t: t.__iadd__(1.0)),
]


@pytest.mark.parametrize("mutate", [m for _, m in MUTATIONS], ids=[n for n, _ in MUTATIONS])
@pytest.mark.parametrize("name, build, op", CASES + OUTPUT_CASES,
                         ids=[c[0] for c in CASES + OUTPUT_CASES])
def test_modifying_a_saved_array_raises_on_backward_naming_the_op(
    name: str, build: Callable[..., Any], op: str, mutate: Callable[[tg.Tensor], Any]
) -> None:
    x = _x()
    loss, target = build(x, _c())
    with tg.no_grad():
        mutate(target)
    with pytest.raises(RuntimeError, match=STALE.format(op=op)):
        loss.backward()
    assert x.grad is None  # nothing was accumulated from a half-run backward


@pytest.mark.parametrize("via", ["reshape", "transpose", "basic-index", "detach", "expand-src"])
def test_a_change_through_a_view_or_the_base_is_detected(via: str) -> None:
    x = _x()
    base = _c()
    if via == "reshape":
        saved, change = base.reshape(3, 2), base
    elif via == "transpose":
        saved, change = base.T, base
    elif via == "basic-index":
        saved, change = base[1:], base
    elif via == "detach":
        saved, change = base, base.detach()
    else:  # the saved array is a broadcast view of a base that is modified afterwards
        small = tg.Tensor(np.array([1.0, 2.0, 3.0]))
        saved, change = small.expand(2, 3), small
    loss = (x.sum() * saved).sum()
    with tg.no_grad():
        change.add_(1.0)
    with pytest.raises(RuntimeError, match=STALE.format(op="Mul")):
        loss.backward()


def test_the_check_also_guards_grad_and_saved_outputs_of_leaves() -> None:
    x = _x()
    y = (x * x).sum()  # Mul saved the leaf x itself
    with tg.no_grad():
        x.mul_(3.0)
    with pytest.raises(RuntimeError, match=STALE.format(op="Mul")):
        tg.grad(y, x)


def test_changes_the_backward_does_not_depend_on_are_allowed() -> None:
    x = _x()
    c = _c()
    # Add saves nothing; an advanced index copies, so its source may change freely.
    picked = c[np.array([1, 0])]
    loss = (x + c).sum() + (x * picked).sum()
    with tg.no_grad():
        c.add_(100.0)
    loss.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), 1.0 + np.asarray(_c())[[1, 0]])
    # After backward the tensors are free to change.
    with tg.no_grad():
        x.mul_(0.0)
    np.testing.assert_array_equal(np.asarray(x), 0.0)


def test_an_input_no_wanted_gradient_reads_may_change_as_in_pytorch() -> None:
    # Mul and Div save an input only for the other input's gradient (PyTorch's MulBackward0
    # and DivBackward0 do the same): with a constant c, x * c and x / c need c, not x.
    x = _x()
    c = _c()
    h = x * 1.0  # a non-leaf, free to change in place under no_grad
    loss = (h * c).sum() + (h / c).sum() + (h * 3.0).sum() + (4.0 / c * h).sum()
    with tg.no_grad():
        h.add_(100.0)
    loss.backward()
    c = np.asarray(_c())
    np.testing.assert_allclose(np.asarray(x.grad), c + 1 / c + 3.0 + 4.0 / c, rtol=1e-15)
    # When both inputs need gradients each is saved, and each change is caught.
    for changed in ("x", "w"):
        a, w = _x(), tg.Tensor(np.asarray(_c()), requires_grad=True)
        a2 = a * 1.0
        loss = (a2 * w).sum() + (a2 / w).sum()
        with tg.no_grad():
            (a2 if changed == "x" else w).add_(1.0)
        with pytest.raises(RuntimeError, match=STALE.format(op="(Mul|Div)")):
            loss.backward()


def test_augmented_assignment_on_a_graph_tensor_is_in_place_like_pytorch() -> None:
    x = _x()
    h = x * 2.0
    kept = h
    h += 1.0  # in place, recorded: `kept` is the same tensor and sees it
    h *= 3.0
    assert kept is h and kept._version[0] == 2
    h.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), np.full(x.shape, 6.0))
    h = x * 2.0
    h *= h  # Mul saved h, which the update then changes: backward refuses, as PyTorch's
    with pytest.raises(RuntimeError, match="MulBackward: an array it saved"):
        h.sum().backward()
    leaf = tg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf += 1.0


def test_assigning_data_replaces_the_array_without_invalidating_saved_values() -> None:
    x = _x()
    c = _c()
    loss = (x * c).sum()
    c.data = np.zeros((2, 3))  # like PyTorch's .data =: a new array, the saved one intact
    loss.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(_c()))


OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "sgd-nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_optimizer_updates_between_steps_never_trip_the_check(make: Callable[..., Any]) -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 8),
                          nn.Sigmoid(), nn.Linear(8, 3))
    opt = make(list(model.parameters()))
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = tg.Tensor(np.asarray(x)[:, :3].argmax(axis=1))  # learnable labels

    def full_loss() -> float:
        with tg.no_grad():
            model.eval()
            value = F.cross_entropy(model(x), y).item()
            model.train()
        return value

    losses = [full_loss()]
    for step in range(25):
        opt.zero_grad(set_to_none=step % 2 == 0)
        # Two micro-batches accumulate into .grad before one step.
        for half in (slice(0, 16), slice(16, 32)):
            loss = F.cross_entropy(model(x[half]), y[half])
            loss.backward()
        opt.step()
        sched.step()
        losses.append(full_loss())  # evaluation between steps reads the updated parameters
    assert losses[-1] < losses[0]
    assert all(np.isfinite(np.asarray(q)).all() for q in model.parameters())


def test_a_graph_held_across_a_step_is_refused_naming_the_op() -> None:
    w = tg.Tensor(np.ones((3, 2)), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    stale = (x @ w).tanh().sum()  # MatMul saved w
    (x @ w).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match=STALE.format(op="MatMul")):
        stale.backward()


# ---- in-place updates that join the graph (PyTorch's CopySlices) --------------------------

def _w() -> tg.Tensor:
    return tg.Tensor(np.array([2.0, -1.0]), requires_grad=True)


def _setitem_into_zeros(w: tg.Tensor) -> tg.Tensor:
    a = tg.zeros(3, dtype=np.float64)
    a[1] = w[0] * 3
    return a


def _copy_into_ones(w: tg.Tensor) -> tg.Tensor:
    return tg.ones(2, dtype=np.float64).copy_(w * 2)


def _add_then_mul(w: tg.Tensor) -> tg.Tensor:
    a = tg.ones(2, dtype=np.float64) * 3
    return a.add_(w).mul_(w)  # (3 + w) w: d/dw = 3 + 2w


def _overwrite_a_graph_tensor(w: tg.Tensor) -> tg.Tensor:
    h = w * 5
    h[0] = 7.0  # the overwritten element gets no gradient
    return h * h


def _column_of_a_graph_tensor(w: tg.Tensor) -> tg.Tensor:
    h = tg.ones((2, 2), dtype=np.float64) * w
    h[:, 0] = w
    return h


# (build from w, the values, d sum / dw): each checked against PyTorch by hand.
RECORDED = [
    ("setitem", _setitem_into_zeros, [0.0, 6.0, 0.0], [3.0, 0.0]),
    ("copy_", _copy_into_ones, [4.0, -2.0], [2.0, 2.0]),
    ("add_-mul_", _add_then_mul, [10.0, -2.0], [7.0, 1.0]),
    ("setitem-non-leaf", _overwrite_a_graph_tensor, [49.0, 25.0], [0.0, -50.0]),
    ("setitem-column", _column_of_a_graph_tensor, [[2.0, -1.0], [-1.0, -1.0]], [1.0, 3.0]),
]


@pytest.mark.parametrize("build, values, grad", [c[1:] for c in RECORDED],
                         ids=[c[0] for c in RECORDED])
def test_in_place_updates_with_graph_values_are_recorded_like_pytorch(
    build: Callable[[tg.Tensor], tg.Tensor], values: list, grad: list
) -> None:
    w = _w()
    out = build(w)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(np.asarray(out), values)
    np.testing.assert_array_equal(np.asarray(w.grad), grad)


def test_recorded_setitem_passes_gradcheck_both_ways() -> None:
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = tg.Tensor(rng.standard_normal(4), requires_grad=True)
    mask = np.array([True, False, True])

    def f(x: tg.Tensor, v: tg.Tensor) -> tg.Tensor:
        h = x * 2.0  # (not x.tanh(): Tanh saves its output, which the writes would corrupt)
        h[mask] = v * v  # broadcast over the selected rows
        h[0, 1:3] = v[:2]
        return h * x

    assert tg.testing.gradcheck(f, (x, v))
    assert tg.testing.gradgradcheck(f, (x, v))


def test_in_place_updates_refuse_what_they_cannot_record() -> None:
    w = _w()
    with pytest.raises(RuntimeError, match=r"__setitem__: a leaf tensor that requires grad"):
        w[0] = 1.0
    with pytest.raises(TypeError, match=r"__setitem__: this int64 tensor cannot hold values "
                                        r"that require grad"):
        tg.tensor([1, 2])[0] = w[0]
    a = tg.zeros(3, dtype=np.float64)
    with pytest.raises(ValueError, match=r"setitem: the index names some elements more than "
                                         r"once"):
        a[np.array([1, 1])] = w
    with pytest.raises(TypeError, match=r"add_: the result with an operand of dtype float64 "
                                        r"and shape \(\) cannot be stored in place in this "
                                        r"int64 tensor"):
        tg.tensor([1, 2]).add_(1.5)
    with pytest.raises(ValueError, match=r"__setitem__: cannot write values of shape \(3,\) "
                                         r"into a selection of shape \(2,\)"):
        tg.tensor([1, 2])[:] = np.ones(3)
    # Under no_grad nothing is recorded, and an integer tensor takes floats cast, as in PyTorch.
    b = tg.tensor([1, 2]).copy_(tg.tensor([1.7, -2.2]))
    np.testing.assert_array_equal(np.asarray(b), [1, -2])
    with tg.no_grad():
        a[0] = w[0]
    assert not a.requires_grad and np.asarray(a)[0] == 2.0


def test_overwriting_a_whole_graph_tensor_sends_exact_zeros_back() -> None:
    # PyTorch's CopySlices: the overwritten part of the old tensor gets exactly 0 (so its
    # producer still runs backward, and its version check still fires), even against inf.
    x = _x()
    h = x * 2.0
    h.copy_(tg.tensor(np.array(4.0)))  # broadcast over all of h
    (h * h).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.zeros((2, 3)))
    x = _x()
    h = x * 2.0
    h[0] = 5.0
    (h * np.array([np.inf, 1.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[0, 0, 0], [np.inf, 2, 2]])
    s = (x * 2.0).sigmoid()  # Sigmoid saves its output, which copy_ then overwrites
    s.copy_(tg.tensor(np.array(4.0)))
    with pytest.raises(RuntimeError, match=STALE.format(op="Sigmoid")):
        s.sum().backward()


INPLACE_VARIANTS = [("neg_", ()), ("exp_", ()), ("log_", ()), ("sqrt_", ()), ("abs_", ()),
                    ("sin_", ()), ("cos_", ()), ("tanh_", ()), ("sigmoid_", ()), ("relu_", ()),
                    ("square_", ()), ("pow_", (3,)), ("clamp_", (0.3, 1.5)),
                    ("clip_", (None, 1.0))]


@pytest.mark.parametrize("name, args", INPLACE_VARIANTS, ids=[n for n, _ in INPLACE_VARIANTS])
def test_in_place_variants_equal_their_out_of_place_op_in_values_and_gradients(
    name: str, args: tuple
) -> None:
    data = np.array([[0.5, 1.25, 2.0], [0.75, 1.5, 3.0]])
    x, ref = tg.Tensor(data, requires_grad=True), tg.Tensor(data, requires_grad=True)
    h = x * 1.0
    assert getattr(h, name)(*args) is h  # in place, returning the tensor itself
    expected = getattr(ref * 1.0, name[:-1])(*args)
    np.testing.assert_array_equal(np.asarray(h), np.asarray(expected))
    (h * h).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(ref.grad))
    plain = tg.Tensor(data.copy())  # outside the graph: the array itself changes
    array = np.asarray(plain)
    getattr(plain, name)(*args)
    assert np.asarray(plain) is array
    np.testing.assert_array_equal(array, np.asarray(expected))


def test_in_place_variants_refuse_a_dtype_they_cannot_keep() -> None:
    with pytest.raises(TypeError, match=r"exp_: the result's dtype float32 cannot be stored in "
                                        r"place in this int64 tensor; use the out-of-place "
                                        r"exp\(\)"):
        tg.tensor([1, 2]).exp_()


# (expression, inputs) pairs run alike on tinygrad_np and torch: in-place changes of views
# and of their bases, whose gradients must flow as PyTorch's (views follow their base).
VIEW_PROGRAMS = {
    "view_add_": lambda lib, w: _sq(_setup(lib, w, lambda h: h[1:].add_(w[:2]))),
    "view_of_view_setitem": lambda lib, w: _sq(_setup(lib, w, lambda h: _setitem(h[1:], 0,
                                                                                 w[0] * 5))),
    "base_changed_after_view": lambda lib, w: _view_then_base(lib, w),
    "reshape_view_exp_": lambda lib, w: _sq(_setup(lib, w, lambda h: h.reshape(3, 1).exp_())),
    "transposed_view_mul_": lambda lib, w: _sq(_setup(lib, w, lambda h: h.reshape(3, 1).T.mul_(
        w))),
    "column_view_iadd": lambda lib, w: _column(lib, w),
}


def _setup(lib, w, change):
    h = w * 2.0
    change(h)
    return h


def _setitem(t, index, value):
    t[index] = value


def _sq(h):
    return (h * h).sum()


def _view_then_base(lib, w):
    y = w * 2.0
    v = y[0:2]
    y[1] = 5.0  # the base changes after the view was taken: v's values and graph follow it
    y.mul_(w)
    return (v * v).sum()


def _column(lib, w):
    h = w.reshape(3, 1) * w
    c = h[:, 0]
    c += h[:, 1] if h.shape[1] > 1 else w
    return (h ** 2).sum()


@pytest.mark.parametrize("name", VIEW_PROGRAMS)
def test_in_place_changes_of_views_and_bases_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tg, torch):
        w = lib.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        loss = VIEW_PROGRAMS[name](lib, w)
        loss.backward()
        grads.append((float(loss.item()), np.array(w.grad.tolist())))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-14)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-14)


def test_an_in_place_change_of_a_view_changes_its_base_in_the_graph() -> None:
    w = _w()
    h = w * 2.0
    h[1:].add_(w[:1])  # changes h: h = [2 w0, 2 w1 + w0]
    np.testing.assert_array_equal(np.asarray(h), [2 * np.asarray(w)[0],
                                                  2 * np.asarray(w)[1] + np.asarray(w)[0]])
    h.sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [3.0, 2.0])  # d/dw0 (2 w0 + 2 w1 + w0)
    a = tg.zeros(3, dtype=np.float64)
    a[1:][0] = w[0]  # through a view of a view: recorded on a
    w.grad = None
    a.sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [1.0, 0.0])
    with tg.no_grad():  # outside the graph a view writes through as NumPy does
        a[1:][0] = 7.0
    assert np.asarray(a)[1] == 7.0
    leaf = tg.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf tensor that requires grad"):
        leaf[1:].mul_(2.0)


def test_an_update_whose_operand_alone_needs_grad_reads_a_copy_of_the_old_values() -> None:
    # pow_ with an exponent that requires grad, into a tensor that does not: Pow saves its
    # base for the exponent's gradient, so it must run on a copy, or the write-back would
    # overwrite what backward reads (a version error at best).
    e = tg.Tensor(np.array([2.0, 1.0]), requires_grad=True)
    b = tg.Tensor(np.array([2.0, 3.0]))
    b.pow_(e)
    b.sum().backward()
    np.testing.assert_array_equal(np.asarray(b), [4.0, 3.0])
    np.testing.assert_allclose(np.asarray(e.grad), [4 * np.log(2), 3 * np.log(3)], rtol=1e-15)

"""tinygrad_np.compile: a replayed step equals the eager step bit for bit; guards re-capture;
what a replay cannot repeat keeps the function eager, with one warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import optim

# The posts' networks: (sizes, hidden activation, head)
POSTS = {
    "post000": ((12, 8, 6, 4), "sigmoid", "ce"),
    "post001": ((2, 16, 2), "relu", "ce"),
    "post002": ((12, 8, 4), "relu", "sigmoid_mse"),
}
OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-3),
}


def make_model(post: str, dtype, seed: int = 0) -> nn.Module:
    sizes, hidden, head = POSTS[post]
    tg.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU() if hidden == "relu" else nn.Sigmoid())
    if head == "sigmoid_mse":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def batches(post: str, dtype, n: int, batch: int = 5, seed: int = 1):
    sizes, _, head = POSTS[post]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x = tg.tensor(rng.standard_normal((batch, sizes[0])).astype(dtype))
        y = rng.integers(0, sizes[-1], batch)
        target = tg.tensor(np.eye(sizes[-1], dtype=dtype)[y]) if head == "sigmoid_mse" \
            else tg.tensor(y)
        yield x, target


def train_step(post: str):
    head = POSTS[post][2]

    def step(model, opt, x, target):
        opt.zero_grad()
        out = model(x)
        loss = F.mse_loss(out, target) if head == "sigmoid_mse" else F.cross_entropy(out, target)
        loss.backward()
        opt.step()
        return loss, out

    return step


def state_arrays(model, opt) -> list[np.ndarray]:
    arrays = []
    for p in model.parameters():
        arrays += [p.detach().numpy(), p.grad.numpy()]
        arrays += [np.asarray(v) for v in opt.state.get(p, {}).values()]
    return arrays


def assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        assert np.array_equal(u, v), np.max(np.abs(u - v))


@pytest.mark.parametrize("post", sorted(POSTS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_replay_equals_eager_bit_for_bit(post, opt_name, dtype):
    eager_model, model = make_model(post, dtype), make_model(post, dtype)
    eager_opt = OPTIMIZERS[opt_name](eager_model.parameters())
    opt = OPTIMIZERS[opt_name](model.parameters())
    step = train_step(post)
    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing refused
        for x, target in batches(post, dtype, 12):
            loss_e, out_e = step(eager_model, eager_opt, x, target)
            loss_c, out_c = compiled(model, opt, x, target)
            assert_same([t.detach().numpy() for t in (loss_e, out_e)],
                        [t.detach().numpy() for t in (loss_c, out_c)])
            assert_same(state_arrays(eager_model, eager_opt), state_arrays(model, opt))
    assert len(compiled.plans()) == 1  # captured once, replayed 11 times


def test_the_plan_is_straight_line_numpy():
    model = make_model("post001", np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    compiled = tg.compile(train_step("post001"))
    for x, y in batches("post001", np.float64, 2):
        compiled(model, opt, x, y)
    (source,) = compiled.plans()
    assert source.startswith("def replay(A):")
    assert source.count(" = F") == 4  # Affine, Relu, Affine, CrossEntropy
    assert source.count("r = B") == 4  # and their backwards


def test_accumulation_order_is_the_engines():
    # Three contributions to one gradient: float32 sums round differently in another order.
    rng = np.random.default_rng(3)
    w = tg.tensor(rng.standard_normal(50).astype(np.float32), requires_grad=True)
    a, b, c = (tg.tensor(rng.standard_normal(50).astype(np.float32) * s) for s in (1e3, 1, 1e-3))

    def f(x):
        h = (w * x).tanh()
        (h * a + h * b + (h * c).sin()).sum().backward()
        return w.grad

    compiled = tg.compile(f)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal(50).astype(np.float32))
        w.grad = None
        expected = f(x).numpy().copy()
        w.grad = None
        assert np.array_equal(compiled(x).numpy(), expected)


def test_gradients_accumulate_across_calls_without_zero_grad():
    model, twin = make_model("post002", np.float64), make_model("post002", np.float64)

    def f(m, x, t):
        F.mse_loss(m(x), t).backward()

    compiled = tg.compile(f)
    for x, t in batches("post002", np.float64, 4):
        f(twin, x, t)
        compiled(model, x, t)
    for p, q in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(p.grad.numpy(), q.grad.numpy())


def test_in_place_changes_between_calls_are_seen():
    model = make_model("post001", np.float64)
    x = tg.tensor(np.ones((3, 2)))
    compiled = tg.compile(lambda x: model(x).sum())
    with tg.no_grad():
        first = compiled(x).item()
        model[0].weight.mul_(2)  # the user's own in-place change
        model[0].bias.zero_()
        assert compiled(x).item() == model(x).sum().item() != first


def test_guards_capture_again():
    model = make_model("post001", np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = tg.compile(train_step("post001"))
    (x, y), = batches("post001", np.float64, 1)
    step(model, opt, x, y)
    step(model, opt, x[:3], y[:3])  # another batch size
    assert len(step.plans()) == 2
    step(model, opt, x.float(), y)  # another dtype (the model's float64 promotes it)
    assert len(step.plans()) == 3
    model.train()  # train()/eval() and attribute assignments: every plan is stale
    step(model, opt, x, y)
    assert len(step.plans()) == 1


def test_a_replaced_parameter_is_used():
    model = make_model("post001", np.float64)
    f = tg.compile(lambda x: model(x).sum())
    x = tg.tensor(np.ones((2, 2)))
    with tg.no_grad():
        f(x)
        f(x)
        model[0].weight = nn.Parameter(tg.zeros(16, 2, dtype=tg.float64))
        assert f(x).item() == model(x).sum().item()
        model[2].bias.data = np.full(2, 5.0)
        assert f(x).item() == model(x).sum().item()


def test_grad_mode_is_a_guard():
    w = tg.tensor(np.arange(3.0), requires_grad=True)
    f = tg.compile(lambda x: (w * x).sum())
    x = tg.tensor(np.ones(3))
    with tg.no_grad():
        assert f(x).item() == 3.0
        assert f(x).item() == 3.0
    with pytest.warns(UserWarning, match="returns a tensor with a graph"):
        out = f(x)  # grad on: the result has a graph, which a replay cannot give
    assert out.requires_grad
    out.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_learning_rate_changes_and_schedulers_are_replayed():
    model, twin = make_model("post002", np.float64), make_model("post002", np.float64)
    opts = [optim.SGD(m.parameters(), lr=0.5, momentum=0.5) for m in (model, twin)]
    scheds = [optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5) for o in opts]

    def step(m, opt, sched, x, t):
        opt.zero_grad()
        loss = F.mse_loss(m(x), t)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    compiled = tg.compile(step)
    for i, (x, t) in enumerate(batches("post002", np.float64, 7)):
        if i == 4:
            for o in opts:
                o.param_groups[0]["lr"] = 0.01  # the user's change, read by the replay
        step(twin, opts[1], scheds[1], x, t)
        compiled(model, opts[0], scheds[0], x, t)
        assert opts[0].param_groups[0]["lr"] == opts[1].param_groups[0]["lr"]
    assert_same(state_arrays(model, opts[0]), state_arrays(twin, opts[1]))


def test_ignored_targets_on_a_later_call_run_eagerly():
    model = make_model("post001", np.float64)
    f = tg.compile(lambda x, y: F.cross_entropy(model(x), y, ignore_index=-1))
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 2)))
    with tg.no_grad():
        f(x, tg.tensor([0, 1, 1, 0]))
        y = tg.tensor([0, -1, 1, -1])  # the capture took the plain path; these need the other
        assert f(x, y).item() == F.cross_entropy(model(x), y, ignore_index=-1).item()
        with pytest.raises(IndexError, match="out of bounds"):
            f(x, tg.tensor([0, 5, 1, 0]))


def test_custom_function_as_in_the_tutorial():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=-2.0) ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x.clamp(min=-2.0) ** 2

    w = tg.tensor(np.linspace(-3, 3, 7), requires_grad=True)

    def f(x):
        w.grad = None
        Cube.apply(w * x).sum().backward()
        return w.grad

    compiled = tg.compile(f)
    for s in (1.0, 0.5, 2.0):
        x = tg.tensor(np.full(7, s))
        expected = f(x).numpy().copy()
        assert np.array_equal(compiled(x).numpy(), expected)


def refused(f, *args, match: str):
    compiled = tg.compile(f)
    with pytest.warns(UserWarning, match=match):
        first = compiled(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning only
        second = compiled(*args)
    return first, second, compiled


@pytest.mark.parametrize("read, name", [
    (lambda t: t.item(), "Tensor.item"),
    (lambda t: float(t), "Tensor.item"),
    (lambda t: t.tolist(), "Tensor.tolist"),
    (lambda t: t.detach().numpy().copy(), "Tensor.numpy"),
    (lambda t: f"{t:.3f}", "Tensor.__format__"),
    (lambda t: bool(t > 0), "reads a tensor's values"),
    (lambda t: np.asarray(t) + 1, "Tensor.__array__"),
])
def test_python_reading_values_keeps_it_eager(read, name):
    w = tg.tensor(np.array([2.0]), requires_grad=True)

    def f(x):
        loss = (w * x).sum()
        loss.backward()
        return read(loss)

    first, second, compiled = refused(f, tg.tensor(np.array([3.0])), match=name)
    assert compiled.plans() == []
    assert w.grad.item() == 6.0  # both calls ran eagerly


def test_refusals_name_what_they_saw():
    w = tg.tensor(np.ones(3), requires_grad=True)
    drop = nn.Dropout(0.5)
    refused(lambda x: drop(x).sum(), tg.tensor(np.ones(3)), match="random draw")

    def manual_sgd_inplace(x):
        (w * x).sum().backward()
        with tg.no_grad():
            w.sub_(0.1 * w.grad)
    refused(manual_sgd_inplace, tg.tensor(np.ones(3)), match="runs eagerly")
    data = np.ones(3)
    refused(lambda: (w * tg.tensor(data)).sum().detach(), match="NumPy array inside")
    refused(lambda x: tg.grad((w * x).sum(), w), tg.tensor(np.ones(3)), match="grad")
    refused(lambda x: F.elu(x).sum().detach(), tg.tensor(-np.ones(3)),
            match="_elu reads a tensor's values")


def test_masks_computed_from_values_are_computed_again():
    # leaky_relu's mask (x > 0), a comparison and argmax: ops in the plan, not constants.
    f = tg.compile(lambda x: (F.leaky_relu(x, 0.1), (x > 0.5).sum(), x.argmax(),
                              tg.where(x < 0, x * 2, x)))
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal(6))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = f(x)
        want = (F.leaky_relu(x, 0.1), (x > 0.5).sum(), x.argmax(), tg.where(x < 0, x * 2, x))
        for a, b in zip(got, want):
            assert np.array_equal(a.numpy(), b.numpy())
    assert len(f.plans()) == 1


def test_set_to_none_false_and_returned_gradients():
    model, twin = make_model("post000", np.float64), make_model("post000", np.float64)
    opts = [optim.SGD(m.parameters(), lr=0.1) for m in (model, twin)]

    def step(m, opt, x, y):
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        return {"loss": loss, "grads": [p.grad for p in m.parameters()]}

    compiled = tg.compile(step)
    for x, y in batches("post000", np.float64, 4):
        want, got = step(twin, opts[1], x, y), compiled(model, opts[0], x, y)
        assert got["loss"].item() == want["loss"].item()
        assert got["grads"][0] is model[0].weight.grad
        for a, b in zip(got["grads"], want["grads"]):
            assert np.array_equal(a.numpy(), b.numpy())


def test_eval_mode_dropout_compiles_and_train_mode_refuses():
    model = nn.Sequential(nn.Linear(3, 3, dtype=tg.float64), nn.Dropout(0.5))
    f = tg.compile(lambda x: model(x).sum())
    x = tg.tensor(np.ones((2, 3)))
    model.eval()
    with tg.no_grad():
        assert f(x).item() == f(x).item() == model(x).sum().item()
        assert len(f.plans()) == 1
        model.train()  # a new capture: it draws the dropout mask
        with pytest.warns(UserWarning, match="random draw"):
            f(x)
        assert f.plans() == []


def test_max_plans_then_eager():
    f = tg.compile(lambda x: (x * 2).sum(), max_plans=2)
    with pytest.warns(UserWarning, match="max_plans"):
        for n in range(1, 5):
            assert f(tg.tensor(np.ones(n))).item() == 2 * n
    assert len(f.plans()) == 2


@pytest.mark.parametrize("source, static", [
    ("def f(t):\n    return t._data.shape, t._data.dtype.kind", True),
    ("def f(t):\n    return t._data > 0", False),
    ("def f(t):\n    d = t._data\n    return d.shape", False),  # kept: it could be anything
    ("def f(t):\n    return np.isnan(t._data).any()", False),
    ("def f(t):\n    return t._data.flags.writeable and t._data.size", True),
])
def test_value_reads_are_told_from_shape_reads(source, static):
    import ast

    from tinygrad_np.compile.readers import only_static_reads
    assert only_static_reads(ast.parse(source)) is static


def test_the_package_functions_a_step_reads_are_shape_readers():
    from tinygrad_np.autograd.tensor_core import Tensor, array_of
    from tinygrad_np.compile.readers import reads_only_shapes
    from tinygrad_np.nn.functional import linear
    from tinygrad_np.nn.functional_activation import _elu
    from tinygrad_np.ops.promotion import binary, promote

    def code(f):
        f = getattr(f, "fget", f)
        return f.__module__, f.__code__

    for f in (linear, binary, promote, Tensor.shape, Tensor.detach):
        assert reads_only_shapes(*code(f)), f
    for f in (_elu, array_of, Tensor.item, Tensor.numpy, Tensor.__array__):
        assert not reads_only_shapes(*code(f)), f


def test_an_input_that_requires_grad_gets_its_gradient():
    # The per-op benchmark's chain: a new leaf at every call, its .grad returned.
    def chain(leaf):
        x = leaf
        for _ in range(5):
            x = (x * 1.5 + 0.25).tanh() - 0.5
        x.sum().backward()
        return leaf.grad

    compiled = tg.compile(chain)
    for s in (0.5, -1.0, 2.0):
        x0 = np.linspace(-1, 1, 4) * s
        leaf = tg.tensor(x0, requires_grad=True)
        got = compiled(leaf)
        assert got is leaf.grad
        assert np.array_equal(got.numpy(), chain(tg.tensor(x0, requires_grad=True)).numpy())
    assert len(compiled.plans()) == 1


def test_freezing_a_parameter_captures_again():
    model, twin = make_model("post002", np.float64), make_model("post002", np.float64)
    opts = [optim.SGD(m.parameters(), lr=0.1) for m in (model, twin)]
    step = train_step("post002")
    compiled = tg.compile(step)
    for i, (x, t) in enumerate(batches("post002", np.float64, 5)):
        if i == 2:
            for m in (model, twin):
                m[0].weight.requires_grad_(False)
                m[0].weight.grad = None
        step(twin, opts[1], x, t)
        compiled(model, opts[0], x, t)
        for p, q in zip(model.parameters(), twin.parameters()):
            assert np.array_equal(p.detach().numpy(), q.detach().numpy())
            assert (p.grad is None) == (q.grad is None)
    (plan,) = compiled.plans()  # captured again, in place of the stale plan
    assert "._requires_grad is not False" in plan


def test_the_final_plan_fits_only_the_gradients_that_need_it():
    b = tg.tensor(np.zeros((1, 3)), requires_grad=True)  # broadcast: its gradient is summed
    w = tg.tensor(np.ones(3), requires_grad=True)

    def f(x):
        b.grad = w.grad = None
        ((x + b) * w).tanh().sum().backward()
        return b.grad, w.grad

    compiled = tg.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal((4, 3)))
        got = [g.numpy().copy() for g in compiled(x)]
        want = [g.numpy() for g in f(x)]
        assert all(np.array_equal(a, c) for a, c in zip(got, want))
    (plan,) = compiled.plans()
    assert "FIT" not in plan and plan.count("fit(p") == 2  # b's and w's: the Mul broadcasts


def test_optimizer_state_loaded_or_groups_added_between_replays():
    model, twin = make_model("post001", np.float64), make_model("post001", np.float64)
    opts = [optim.Adam(m.parameters(), lr=1e-2) for m in (model, twin)]
    step = train_step("post001")
    compiled = tg.compile(step)
    data = list(batches("post001", np.float64, 8))
    for x, y in data[:3]:
        step(twin, opts[1], x, y)
        compiled(model, opts[0], x, y)
    saved = opts[1].state_dict()
    for o in opts:
        o.load_state_dict(saved)  # new group dicts and state: the plan must not use the old
        o.param_groups[0]["lr"] = 0.05
    for x, y in data[3:5]:
        step(twin, opts[1], x, y)
        compiled(model, opts[0], x, y)
    extra = [tg.tensor(np.ones(2), requires_grad=True) for _ in range(2)]
    for o, e in zip(opts, extra):
        o.add_param_group({"params": [e], "lr": 0.5})
    for x, y in data[5:]:
        step(twin, opts[1], x, y)
        compiled(model, opts[0], x, y)
    assert_same(state_arrays(model, opts[0]), state_arrays(twin, opts[1]))
    assert len(compiled.plans()) == 1  # the stale plans were dropped at each change


def test_a_compiled_function_inside_another_is_part_of_its_plan():
    model = make_model("post002", np.float64)
    forward = tg.compile(lambda x: model(x))
    opt = optim.SGD(model.parameters(), lr=0.1)

    @tg.compile
    def step(x, t):
        opt.zero_grad()
        loss = F.mse_loss(forward(x), t)
        loss.backward()
        opt.step()
        return loss

    twin = make_model("post002", np.float64)
    twin_opt = optim.SGD(twin.parameters(), lr=0.1)
    for x, t in batches("post002", np.float64, 4):
        twin_opt.zero_grad()
        want = F.mse_loss(twin(x), t)
        want.backward()
        twin_opt.step()
        assert step(x, t).item() == want.item()
    assert forward.plans() == [] and len(step.plans()) == 1


def test_the_regression_examples_features_compile():
    # pytorch/examples' regression builds its features as cat([x ** i for i in 1..4], 1).
    f = tg.compile(lambda x: tg.cat([x ** i for i in range(1, 5)], 1))
    for s in (0.5, 1.5, -2.0):
        x = tg.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(6, 1) * s)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = f(x)
        assert np.array_equal(got.numpy(), tg.cat([x ** i for i in range(1, 5)], 1).numpy())
    assert len(f.plans()) == 1

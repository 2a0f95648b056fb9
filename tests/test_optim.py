"""Optimizers: trajectories against the documented update formulas (small NumPy references
written here) and against PyTorch, state dicts that resume exactly, in-place and atomic steps,
and argument checking."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import tinygrad_np as tg
from tinygrad_np import optim
from tinygrad_np.optim import SGD, Adam, AdamW, RMSprop

STEPS = 12
SHAPES = [(3, 4), (5,), ()]


# ---- the documented formulas, written out plainly (float64, allocate freely) ---------------
def ref_sgd(p, g, st, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum != 0:
        st["b"] = g.copy() if "b" not in st else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def ref_adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, maximize=False, decoupled_weight_decay=False):
    (b1, b2), t = betas, st.get("t", 0) + 1
    st["t"] = t
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = v = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    if amsgrad:
        st["vmax"] = v = np.maximum(st.get("vmax", 0.0), v)
    m_hat, v_hat = st["m"] / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(p, g, st, weight_decay=1e-2, **kw):
    return ref_adam(p, g, st, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def ref_rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    st["v"] = alpha * st.get("v", 0.0) + (1 - alpha) * g * g
    if centered:
        st["a"] = alpha * st.get("a", 0.0) + (1 - alpha) * g
        d = np.sqrt(st["v"] - st["a"] * st["a"]) + eps
    else:
        d = np.sqrt(st["v"]) + eps
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0.0) + g / d
        return p - lr * st["b"]
    return p - lr * g / d


REFERENCE = {SGD: ref_sgd, Adam: ref_adam, AdamW: ref_adamw, RMSprop: ref_rmsprop}

# (optimizer, defaults, overrides for the first of two param groups or None for one group)
CONFIGS = [
    (SGD, dict(lr=0.1), None),
    (SGD, dict(lr=0.1, momentum=0.9), None),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.5), None),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True), None),
    (SGD, dict(lr=0.1, weight_decay=0.1), None),
    (SGD, dict(lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.1, maximize=True), None),
    (SGD, dict(lr=0.1, momentum=0.9), dict(lr=0.01, momentum=0.5, nesterov=True)),
    (Adam, dict(lr=0.1), None),
    (Adam, dict(lr=0.1, weight_decay=0.1), None),
    (Adam, dict(lr=0.1, amsgrad=True), None),
    (Adam, dict(lr=0.05, betas=(0.3, 0.7), eps=1e-3, maximize=True), None),
    (Adam, dict(lr=0.1, weight_decay=0.2, decoupled_weight_decay=True), None),
    (Adam, dict(lr=0.1), dict(lr=0.02, betas=(0.5, 0.9), amsgrad=True)),
    (AdamW, dict(lr=0.1), None),
    (AdamW, dict(lr=0.1, weight_decay=0.3, amsgrad=True, maximize=True), None),
    (AdamW, dict(lr=0.1), dict(lr=0.3, weight_decay=0.0)),
    (RMSprop, dict(lr=0.01, alpha=0.9), None),
    (RMSprop, dict(lr=0.01, momentum=0.9), None),
    (RMSprop, dict(lr=0.01, centered=True), None),
    (RMSprop, dict(lr=0.01, alpha=0.3, centered=True, momentum=0.5, weight_decay=0.1), None),
    (RMSprop, dict(lr=0.01, eps=1e-2, maximize=True, weight_decay=0.2), None),
    (RMSprop, dict(lr=0.01), dict(lr=0.1, centered=True, momentum=0.9)),
]
IDS = [f"{c.__name__}-{d}-{g}" for c, d, g in CONFIGS]


def make_problem(seed: int = 0) -> tuple[list[np.ndarray], Any]:
    """Starting values and a gradient function: a fixed quadratic 0.5 * a * (x - c)**2 plus
    per-step noise, evaluated at the current parameter values (so errors feed back)."""
    rng = np.random.default_rng(seed)
    x0 = [rng.standard_normal(s) for s in SHAPES]
    a = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
    c = [rng.standard_normal(s) for s in SHAPES]
    noise = [[rng.standard_normal(s) * rng.uniform(0.1, 2) for s in SHAPES]
             for _ in range(2 * STEPS)]

    def grad(t: int, i: int, x: np.ndarray) -> np.ndarray:
        return a[i] * (x - c[i]) + noise[t][i]

    return x0, grad


def build(cls, defaults, first_group, params):
    if first_group is None:
        return cls(params, **defaults)
    return cls([{"params": params[:1], **first_group}, {"params": params[1:]}], **defaults)


def run_ours(cls, defaults, first_group, dtype=np.float64, steps=STEPS, seed=0):
    x0, grad = make_problem(seed)
    params = [tg.Tensor(x.astype(dtype), requires_grad=True) for x in x0]
    opt = build(cls, defaults, first_group, params)
    out = []
    for t in range(steps):
        for i, p in enumerate(params):
            p.grad = tg.Tensor(grad(t, i, np.asarray(p).astype(np.float64)).astype(dtype))
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out


def run_reference(cls, defaults, first_group, steps=STEPS, seed=0):
    x0, grad = make_problem(seed)
    xs = [x.copy() for x in x0]
    states = [{} for _ in xs]
    options = [{**defaults, **(first_group or {})}] + [defaults] * (len(xs) - 1)
    out = []
    for t in range(steps):
        xs = [REFERENCE[cls](x, grad(t, i, x), st, **opt)
              for i, (x, st, opt) in enumerate(zip(xs, states, options))]
        out.append([x.copy() for x in xs])
    return out


@pytest.mark.parametrize("cls, defaults, first_group", CONFIGS, ids=IDS)
def test_trajectory_matches_documented_formula(cls, defaults, first_group):
    ours = run_ours(cls, defaults, first_group)
    ref = run_reference(cls, defaults, first_group)
    for t, (a, b) in enumerate(zip(ours, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=f"step {t + 1}")
    assert not np.allclose(ours[-1][0], make_problem()[0][0])  # it did move


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-12, 1e-13),
                                               (np.float32, 2e-5, 2e-6)])
@pytest.mark.parametrize("cls, defaults, first_group", CONFIGS, ids=IDS)
def test_trajectory_matches_pytorch(cls, defaults, first_group, dtype, rtol, atol):
    torch = pytest.importorskip("torch")
    ours = run_ours(cls, defaults, first_group, dtype)
    x0, grad = make_problem()
    params = [torch.tensor(x.astype(dtype), requires_grad=True) for x in x0]
    opt = build(getattr(torch.optim, cls.__name__), defaults, first_group, params)
    for t in range(STEPS):
        for i, p in enumerate(params):
            g = grad(t, i, p.detach().numpy().astype(np.float64))
            p.grad = torch.from_numpy(np.asarray(g, dtype=dtype))
        opt.step()
        for x, p in zip(ours[t], params):
            assert x.dtype == dtype
            np.testing.assert_allclose(x, p.detach().numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"step {t + 1}")


@pytest.mark.parametrize("cls, defaults, first_group", CONFIGS, ids=IDS)
def test_state_dict_resumes_exactly(cls, defaults, first_group, tmp_path):
    straight = run_ours(cls, defaults, first_group, steps=10)[-1]

    x0, grad = make_problem()
    params = [tg.Tensor(x, requires_grad=True) for x in x0]
    opt = build(cls, defaults, first_group, params)
    for t in range(5):
        for i, p in enumerate(params):
            p.grad = tg.Tensor(grad(t, i, np.asarray(p)))
        opt.step()
    tg.save({"params": [p.detach() for p in params], "optim": opt.state_dict()},
            tmp_path / "ckpt.npz")

    ckpt = tg.load(tmp_path / "ckpt.npz")
    params2 = [t.requires_grad_() for t in ckpt["params"]]
    opt2 = build(cls, defaults, first_group, params2)
    opt2.load_state_dict(ckpt["optim"])
    for t in range(5, 10):
        for i, p in enumerate(params2):
            p.grad = tg.Tensor(grad(t, i, np.asarray(p)))
        opt2.step()
    for x, p in zip(straight, params2):
        np.testing.assert_array_equal(np.asarray(p), x)  # bit for bit


def test_state_dict_is_pytorch_shaped_snapshot():
    params = [tg.Tensor(np.ones(3), requires_grad=True), tg.Tensor(np.ones(2), requires_grad=True)]
    opt = Adam([{"params": params[:1], "lr": 0.5}, {"params": params[1:]}], amsgrad=True)
    params[0].grad = tg.Tensor(np.ones(3))
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0]  # param 1 never had a gradient
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.5, 1e-3]
    snapshot = sd["state"][0]["exp_avg"].detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(np.asarray(sd["state"][0]["exp_avg"]), snapshot)


def test_load_state_dict_checks_and_is_atomic():
    p = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    q = tg.Tensor(np.ones(4), requires_grad=True)
    opt = SGD([p, q], lr=0.1, momentum=0.9)
    p.grad, q.grad = tg.Tensor(np.ones((2, 3))), tg.Tensor(np.ones(4))
    opt.step()
    good = opt.state_dict()
    fresh = SGD([tg.Tensor(np.ones((2, 3)), requires_grad=True),
                 tg.Tensor(np.ones(4), requires_grad=True)], lr=0.1, momentum=0.9)

    def broken(fix):
        sd = {"state": {k: dict(v) for k, v in good["state"].items()},
              "param_groups": [dict(g) for g in good["param_groups"]]}
        fix(sd)
        return sd

    with pytest.raises(KeyError, match="no 'state' entry"):
        fresh.load_state_dict({"param_groups": good["param_groups"]})
    with pytest.raises(KeyError, match="unexpected entries"):
        fresh.load_state_dict({**good, "extra": 1})
    with pytest.raises(ValueError, match="1 parameter groups but this optimizer has 2"):
        SGD([{"params": [tg.Tensor(np.ones((2, 3)), requires_grad=True)]},
             {"params": [tg.Tensor(np.ones(4), requires_grad=True)]}]).load_state_dict(good)
    with pytest.raises(ValueError, match="has 2 parameters in the state dict but 1"):
        SGD([tg.Tensor(np.ones(4), requires_grad=True)]).load_state_dict(good)
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*parameter has shape \(3, 2\)"):
        SGD([tg.Tensor(np.ones((3, 2)), requires_grad=True),
             tg.Tensor(np.ones(4), requires_grad=True)], momentum=0.9).load_state_dict(good)
    with pytest.raises(KeyError, match="unexpected entry 'exp_avg'"):
        fresh.load_state_dict(broken(lambda sd: sd["state"][0].update(exp_avg=np.ones((2, 3)))))
    with pytest.raises(KeyError, match="parameter index 7"):
        fresh.load_state_dict(broken(lambda sd: sd["state"].update({7: {}})))
    with pytest.raises(ValueError, match="invalid lr=-1"):
        fresh.load_state_dict(broken(lambda sd: sd["param_groups"][0].update(lr=-1)))
    # Nothing above changed the optimizer; the good state dict still loads.
    assert fresh.state == {} and fresh.param_groups[0]["lr"] == 0.1
    fresh.load_state_dict(good)
    assert len(fresh.state) == 2

    adam = Adam([p], amsgrad=True)
    adam.step()
    sd = adam.state_dict()
    del sd["state"][0]["max_exp_avg_sq"]
    with pytest.raises(KeyError, match=r"lacks \['max_exp_avg_sq'\], which Adam needs"):
        Adam([p]).load_state_dict(sd)


def test_load_state_dict_casts_state_to_param_dtype():
    p64 = tg.Tensor(np.ones(3), requires_grad=True)
    opt = Adam([p64])
    p64.grad = tg.Tensor(np.full(3, 0.5))
    opt.step()
    p32 = tg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt32 = Adam([p32])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[p32]["exp_avg"].dtype == np.float32
    p32.grad = tg.Tensor(np.full(3, 0.5, np.float32))
    opt32.step()
    assert p32.dtype == np.float32 and opt32.state[p32]["step"] == 2


@pytest.mark.parametrize("cls, defaults, first_group", CONFIGS[::3], ids=IDS[::3])
def test_step_updates_in_place_and_allocates_nothing(cls, defaults, first_group):
    params = [tg.Tensor(np.ones((500, 500)), requires_grad=True),
              tg.Tensor(np.ones(10), requires_grad=True)]
    opt = build(cls, defaults, first_group, params)
    arrays = [np.asarray(p) for p in params]
    for p in params:
        p.grad = tg.Tensor(np.full(p.shape, 0.25))
    opt.step()  # the first step creates the state
    buffers = {id(np.asarray(v)) for s in opt.state.values() for v in s.values() if hasattr(v,
                                                                                            "data")}
    tracemalloc.start()
    try:
        for _ in range(3):
            opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000, f"a step allocated {peak} bytes (a parameter is 2,000,000)"
    assert all(np.asarray(p) is a for p, a in zip(params, arrays))
    assert buffers == {id(np.asarray(v)) for s in opt.state.values() for v in s.values()
                       if hasattr(v, "data")}
    assert not np.array_equal(np.asarray(params[0]), np.ones((500, 500)))


def test_params_without_grad_are_skipped():
    p, q = tg.Tensor(np.ones(3), requires_grad=True), tg.Tensor(np.ones(3), requires_grad=True)
    opt = Adam([p, q], lr=0.1)
    p.grad = tg.Tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(np.asarray(q), np.ones(3))
    assert q not in opt.state and opt.state[p]["step"] == 1


def test_step_is_atomic():
    p = tg.Tensor(np.ones((2, 2)), requires_grad=True)
    q = tg.Tensor(np.ones(3), requires_grad=True)
    opt = Adam([p, q], lr=0.1, amsgrad=True)
    p.grad, q.grad = tg.Tensor(np.ones((2, 2))), tg.Tensor(np.ones(3))
    opt.step()
    before = (p.detach().numpy().copy(), q.detach().numpy().copy(),
              {k: (v.detach().numpy().copy() if hasattr(v, "data") else v) for k,
               v in opt.state[p].items()})
    p.grad = tg.Tensor(np.full((2, 2), 3.0))
    with pytest.raises(RuntimeError, match=r"grad: the gradient has shape \(3, 1\)"):
        q.grad = tg.Tensor(np.ones((3, 1)))  # refused at once, as in PyTorch
    q._grad = tg.Tensor(np.ones((3, 1)))  # written past that: the step refuses before touching p
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(3,\) but its "
                                         r"\.grad has shape \(3, 1\).*Nothing was updated"):
        opt.step()
    q.grad = tg.Tensor(np.ones(3, dtype=np.int64))
    with pytest.raises(TypeError, match="floating-point"):
        opt.step()
    np.testing.assert_array_equal(np.asarray(p), before[0])
    np.testing.assert_array_equal(np.asarray(q), before[1])
    for k, v in opt.state[p].items():
        np.testing.assert_array_equal(np.asarray(v) if hasattr(v, "data") else v, before[2][k])
    # A parameter that never stepped gets no state from a failed step either.
    r = tg.Tensor(np.ones(2), requires_grad=True)
    opt.add_param_group({"params": [r]})
    r.grad = tg.Tensor(np.ones(2))
    with pytest.raises(TypeError):
        opt.step()
    assert r not in opt.state


def test_training_loop_with_autograd():
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.standard_normal((64, 3)))
    y = x @ tg.Tensor(np.array([[1.0], [-2.0], [0.5]])) + 0.3
    w = tg.Tensor(np.zeros((3, 1)), requires_grad=True)
    b = tg.Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([w, b], lr=0.1, momentum=0.5)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-12 * losses[0]
    np.testing.assert_allclose(np.asarray(b), [0.3], atol=1e-6)


def test_a_graph_built_before_the_step_is_stale_after_it():
    w = tg.Tensor(np.ones(3), requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        loss.backward()


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    w = tg.Tensor(np.array([2.0]), requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_array_equal(np.asarray(w), [1.0])  # 2 - 0.25 * 4


def test_zero_grad():
    w = tg.Tensor(np.ones(3), requires_grad=True)
    opt = SGD([w], lr=0.1)
    w.grad = tg.Tensor(np.ones(3))
    grad_array = np.asarray(w.grad)
    opt.zero_grad(set_to_none=False)
    assert np.asarray(w.grad) is grad_array and not grad_array.any()
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad()  # no gradient: nothing to do


def test_changing_group_lr_takes_effect():
    w = tg.Tensor(np.zeros(2), requires_grad=True)
    opt = SGD([w], lr=1.0)
    opt.param_groups[0]["lr"] = 0.5
    w.grad = tg.Tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(np.asarray(w), [-0.5, -0.5])


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_replacing_param_data_between_steps(momentum):
    # The step's scratch buffers are cached per parameter array: a new array (here of another
    # dtype, then a read-only one) must get its own, or be refused, never reuse a stale one.
    w = tg.Tensor(np.ones(3), requires_grad=True)
    opt = SGD([w], lr=0.5, momentum=momentum)
    w.grad = tg.Tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(np.asarray(w), [0.5, 0.5, 0.5])
    opt.state.clear()
    w.data = np.full(3, 2.0, np.float32)
    w.grad = tg.Tensor(np.full(3, 0.25, np.float32))
    opt.step()
    assert w.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(w), np.float32(2) - np.float32(0.5) * np.float32(0.25))
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False
    w.data = frozen
    with pytest.raises(ValueError, match=r"parameter 0: its data .* not a writable"):
        opt.step()


def test_float32_stays_float32():
    w = tg.Tensor(np.ones(4, np.float32), requires_grad=True)
    for opt in (SGD([w], momentum=0.9), Adam([w], amsgrad=True), RMSprop([w], centered=True,
                                                                        momentum=0.5)):
        w.grad = tg.Tensor(np.ones(4, np.float32))
        opt.step()
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[w].values() if hasattr(v, "dtype"))


# ---- arguments ----------------------------------------------------------------------------
def _param():
    return [tg.Tensor(np.ones(2), requires_grad=True)]


@pytest.mark.parametrize("cls, kwargs, message", [
    (SGD, dict(lr=-0.1), r"SGD: invalid lr=-0.1; lr must be >= 0"),
    (SGD, dict(lr=float("nan")), r"invalid lr=nan"),
    (SGD, dict(momentum=-0.5), r"invalid momentum=-0.5"),
    (SGD, dict(weight_decay=-1e-4), r"invalid weight_decay"),
    (SGD, dict(nesterov=True), r"nesterov=True needs momentum > 0 and dampening == 0"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), r"nesterov"),
    (Adam, dict(lr=-1e-3), r"Adam: invalid lr=-0.001"),
    (Adam, dict(betas=(1.0, 0.999)), r"invalid betas\[0\]=1.0; betas\[0\] must be in \[0.0, 1.0\)"),
    (Adam, dict(betas=(0.9, -0.1)), r"invalid betas\[1\]=-0.1"),
    (Adam, dict(betas=(0.9,)), r"betas must be a pair"),
    (Adam, dict(eps=-1e-8), r"invalid eps"),
    (Adam, dict(weight_decay=-0.1), r"invalid weight_decay"),
    (AdamW, dict(betas=(0.9, 1.5)), r"AdamW: invalid betas\[1\]=1.5"),
    (AdamW, dict(lr=-1.0), r"AdamW: invalid lr"),
    (RMSprop, dict(lr=-0.01), r"RMSprop: invalid lr"),
    (RMSprop, dict(alpha=-0.9), r"invalid alpha"),
    (RMSprop, dict(momentum=-0.1), r"invalid momentum"),
    (RMSprop, dict(eps=-1.0), r"invalid eps"),
])
def test_invalid_arguments_raise_at_construction(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(_param(), **kwargs)


def test_invalid_params_and_groups():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        SGD(_param()[0], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        SGD({_param()[0]}, lr=0.1)
    with pytest.raises(TypeError, match="params\\[0\\] is a ndarray"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        SGD(_param(), lr="0.1")
    w = tg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="not a leaf tensor"):
        SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        SGD([w, w], lr=0.1)
    opt = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="invalid lr=-2"):
        opt.add_param_group({"params": _param(), "lr": -2})
    with pytest.raises(KeyError, match="no 'params' entry"):
        opt.add_param_group({"lr": 0.1})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": _param(), "lr": 0.5, "momentum": 0.9})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["dampening"] == 0


def test_package_exports():
    assert set(optim.__all__) >= {"SGD", "Adam", "AdamW", "RMSprop", "Optimizer", "lr_scheduler"}
    assert "Adam" in repr(Adam(_param())) and "lr: 0.001" in repr(Adam(_param()))


# ---- random options against the formulas (Hypothesis) ----------------------------------------
def _options(cls, draw_bool, draw_float):
    if cls is SGD:
        momentum = draw_float(0.0, 0.99)
        nesterov = draw_bool() and momentum > 0
        return dict(lr=draw_float(0.0, 0.5), momentum=momentum,
                    dampening=0.0 if nesterov else draw_float(0.0, 1.0),
                    weight_decay=draw_float(0.0, 0.5), nesterov=nesterov, maximize=draw_bool())
    if cls in (Adam, AdamW):
        return dict(lr=draw_float(0.0, 0.5), betas=(draw_float(0.0, 0.99), draw_float(0.0, 0.999)),
                    eps=draw_float(1e-4, 1e-1), weight_decay=draw_float(0.0, 0.5),
                    amsgrad=draw_bool(), maximize=draw_bool())
    # alpha >= 0.1: at alpha = 0 the centered denominator is sqrt(g*g - g*g), pure rounding.
    return dict(lr=draw_float(0.0, 0.1), alpha=draw_float(0.1, 0.99), eps=draw_float(1e-3, 1e-1),
                weight_decay=draw_float(0.0, 0.5), momentum=draw_float(0.0, 0.9),
                centered=draw_bool(), maximize=draw_bool())


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop])
def test_random_options_match_the_formula(cls):
    @given(hs.data())
    def check(data):
        draw_float = lambda lo, hi: data.draw(hs.floats(lo, hi))
        draw_bool = lambda: data.draw(hs.booleans())
        defaults = _options(cls, draw_bool, draw_float)
        first = _options(cls, draw_bool, draw_float) if draw_bool() else None
        seed = data.draw(hs.integers(0, 2**16))
        ours = run_ours(cls, defaults, first, steps=10, seed=seed)
        ref = run_reference(cls, defaults, first, steps=10, seed=seed)
        for a, b in zip(ours[-1], ref[-1]):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)

    check()

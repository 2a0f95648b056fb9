"""optim.LBFGS step for step against torch.optim.LBFGS, its state dicts, and its errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# ---- problems: a loss written once for both libraries (`lib` is tinygrad_np or torch) --------
_rng = np.random.default_rng(0)
_A = _rng.standard_normal((5, 5))
_A = _A @ _A.T + 0.5 * np.eye(5)
_B = _rng.standard_normal(5)
_X = _rng.standard_normal((40, 3))
_Y = np.sign(_rng.standard_normal(40))
_T = np.sin(_X.sum(axis=1, keepdims=True))


def quadratic(lib, ps):
    (x,) = ps
    a, b = lib.tensor(_A, dtype=x.dtype), lib.tensor(_B, dtype=x.dtype)
    return 0.5 * (x * (a @ x)).sum() - (b * x).sum()


def rosenbrock(lib, ps):
    (x,) = ps
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def logistic(lib, ps):
    w, c = ps
    z = lib.tensor(_X, dtype=w.dtype) @ w + c
    return (1 + (-(lib.tensor(_Y, dtype=w.dtype) * z)).exp()).log().mean()


def mlp(lib, ps):
    w1, b1, w2, b2 = ps
    h = (lib.tensor(_X) @ w1 + b1).tanh()
    return ((h @ w2 + b2 - lib.tensor(_T)) ** 2).mean()


PROBLEMS = {
    "quadratic": (quadratic, [_rng.standard_normal(5)]),
    "rosenbrock": (rosenbrock, [np.array([-1.2, 1.0, -0.5, 0.8])]),
    "logistic": (logistic, [_rng.standard_normal(3), np.array(0.1)]),
    "mlp": (mlp, [_rng.standard_normal((3, 6)) * 0.5, np.zeros(6),
                  _rng.standard_normal((6, 1)) * 0.5, np.zeros(1)]),
}
CONFIGS = {
    "default": {},
    "wolfe": {"line_search_fn": "strong_wolfe"},
    "short-history": {"history_size": 2, "max_iter": 7},
    "wolfe-short": {"history_size": 3, "max_iter": 5, "line_search_fn": "strong_wolfe"},
    "lr-tol": {"lr": 0.3, "max_iter": 6, "tolerance_grad": 1e-5, "tolerance_change": 1e-6},
    "wolfe-few-evals": {"max_iter": 6, "max_eval": 4, "line_search_fn": "strong_wolfe"},
}


def _closure(opt, loss_fn, lib, params):
    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, params)
        loss.backward()
        return loss
    return closure


def _pair(torch, problem, kwargs, dtype=np.float64):
    loss_fn, init = PROBLEMS[problem]
    ours = [tg.tensor(a.astype(dtype), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in init]
    opt, topt = tg.optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    return (ours, opt, _closure(opt, loss_fn, tg, ours),
            theirs, topt, _closure(topt, loss_fn, torch, theirs))


def _assert_same(ours, opt, loss, theirs, topt, tloss, rtol, atol):
    np.testing.assert_allclose(float(loss), float(tloss.detach()), rtol=rtol, atol=atol)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(p), tp.detach().numpy(), rtol=rtol, atol=atol)
    state, tstate = opt.state[ours[0]], topt.state[theirs[0]]
    for key in ("func_evals", "n_iter"):
        assert state[key] == tstate[key], key
    if "d" in tstate:
        assert len(state["old_dirs"]) == len(tstate["old_dirs"])
        # d comes out of cancellations near a minimum: compare it at the parameters' scale.
        np.testing.assert_allclose(np.asarray(state["d"]), tstate["d"].numpy(), rtol=rtol,
                                   atol=rtol * max(1.0, float(tstate["d"].abs().max())))
        assert float(state["t"]) == pytest.approx(float(tstate["t"]), rel=rtol, abs=atol)


# The two libraries round differently (PyTorch's add_ is a fused multiply-add, its dot products
# and the losses' forward and backward sum in other orders), and on the nonconvex problems
# L-BFGS amplifies those 1e-16 differences ~100x every 20 iterations (with identical NumPy
# losses and gradients on both sides too): after 60 iterations of lr=1 on Rosenbrock the
# points differ by 3e-8. So the runs of 20 iterations per step are compared for their first
# 20-40 iterations, where they agree to 1e-12; the others for 5 steps.
STEPS = {("rosenbrock", "default"): 1, ("rosenbrock", "wolfe"): 1, ("mlp", "default"): 2,
         ("mlp", "wolfe"): 2}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_steps_match_pytorch(torch, problem, config):
    ours, opt, closure, theirs, topt, tclosure = _pair(torch, problem, CONFIGS[config])
    for _ in range(STEPS.get((problem, config), 5)):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        _assert_same(ours, opt, loss, theirs, topt, tloss, rtol=1e-10, atol=1e-12)


def _quadratic_np(ps):
    (x,) = ps
    a, b = _A.astype(x.dtype), _B.astype(x.dtype)
    ax = a @ x
    return 0.5 * x.dot(ax) - b.dot(x), [ax - b]  # (a is symmetric)


def _logistic_np(ps):
    w, c = ps
    x, y = _X.astype(w.dtype), _Y.astype(w.dtype)
    m = -y * (x @ w + c)
    s = -y / (1 + np.exp(-m)) / len(y)
    return np.log1p(np.exp(m)).mean(), [x.T @ s, s.sum()]


def _numpy_closure(lib, params, value_and_grad):
    """A closure whose loss and gradients NumPy computes, the same for both libraries."""
    def closure():
        loss, grads = value_and_grad([np.array(p.detach().numpy()) for p in params])
        for p, g in zip(params, grads):
            p.grad = lib.tensor(np.asarray(g))
        return lib.tensor(np.asarray(loss))
    return closure


# In float32 the two libraries' losses differ by float32 roundings, and the line search's
# interpolation divides loss differences by step differences: with autograd closures runs
# drift apart by 1e-3 within 10 iterations. Shared NumPy losses leave the optimizers' own
# arithmetic, which agrees to an ulp at first, growing to ~1e-5 on the quadratic. Near the
# minimum float32 losses change by 0 or by an ulp, so the stopping rules (loss change below
# tolerance_change) decide by rounding: compare the first 6 iterations.
@pytest.mark.parametrize("config", ["default", "wolfe", "short-history"])
@pytest.mark.parametrize("problem", ["quadratic", "logistic"])
def test_float32_matches_pytorch(torch, problem, config):
    value_and_grad = {"quadratic": _quadratic_np, "logistic": _logistic_np}[problem]
    init = PROBLEMS[problem][1]
    ours = [tg.tensor(a.astype(np.float32), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in init]
    kwargs = dict(CONFIGS[config], max_iter=3)
    opt, topt = tg.optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    closure = _numpy_closure(tg, ours, value_and_grad)
    tclosure = _numpy_closure(torch, theirs, value_and_grad)
    for _ in range(2):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert np.asarray(ours[0]).dtype == np.float32
        assert np.asarray(opt.state[ours[0]]["d"]).dtype == np.float32
        _assert_same(ours, opt, loss, theirs, topt, tloss, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("config", ["default", "wolfe"])
def test_numpy_losses_match_pytorch_closely(torch, config):
    """With the same float64 losses and gradients on both sides, only the optimizers'
    arithmetic differs: 30 iterations of the logistic regression agree to 1e-12."""
    init = PROBLEMS["logistic"][1]
    ours = [tg.tensor(a.copy(), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    kwargs = dict(CONFIGS[config], max_iter=3, history_size=4)
    opt, topt = tg.optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    closure = _numpy_closure(tg, ours, _logistic_np)
    tclosure = _numpy_closure(torch, theirs, _logistic_np)
    for _ in range(10):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        _assert_same(ours, opt, loss, theirs, topt, tloss, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("config", ["default", "wolfe"])
def test_mixed_dtypes_and_unused_parameters_match_pytorch(torch, config):
    """A float32 and a float64 parameter share one float64 flat vector (as torch.cat's type
    promotion gives); a parameter the loss does not use has no gradient, counted as zeros."""
    init = [np.array([1.5, -0.5], dtype=np.float32), np.array([0.3, 2.0]), np.ones(3)]

    def run(lib, make_opt):
        a, b, unused = (lib.tensor(v.copy(), requires_grad=True) for v in init)
        opt = make_opt([a, b, unused], max_iter=5, **CONFIGS[config])

        def closure():
            opt.zero_grad()
            loss = ((a.double() - b) ** 2).sum() + (b ** 2).sum()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        return [v.detach().numpy() for v in (a, b, unused)]

    for ours, theirs in zip(run(tg, tg.optim.LBFGS), run(torch, torch.optim.LBFGS)):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_returns_the_first_loss_of_the_step():
    (x,) = [tg.tensor(np.array([3.0, -1.0]), requires_grad=True)]
    opt = tg.optim.LBFGS([x])
    losses = []

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        losses.append(loss)
        return loss

    assert opt.step(closure) is losses[0]


@pytest.mark.parametrize("kwargs", [{"line_search_fn": "strong_wolfe"}, {}])
def test_converges_on_rosenbrock(kwargs):
    x = tg.tensor(np.array([-1.2, 1.0]), requires_grad=True)
    # (With the default tolerance_change=1e-9 it stops where the loss changes by less than
    # that, 4e-5 from the minimum, as PyTorch's does.)
    opt = tg.optim.LBFGS([x], tolerance_change=1e-12, tolerance_grad=1e-10, **kwargs)
    closure = _closure(opt, rosenbrock, tg, [x])
    for _ in range(20):
        opt.step(closure)
    np.testing.assert_allclose(np.asarray(x), [1.0, 1.0], atol=1e-6)
    assert float(rosenbrock(tg, [x])) < 1e-12


def test_updates_parameters_in_place():
    w = tg.tensor(np.array([2.0, -3.0]), requires_grad=True)
    array, version = w._data, w._version[0]
    opt = tg.optim.LBFGS([w], line_search_fn="strong_wolfe")
    opt.step(_closure(opt, lambda lib, ps: (ps[0] ** 2).sum(), tg, [w]))
    assert w._data is array and w._version[0] > version
    np.testing.assert_allclose(np.asarray(w), 0.0, atol=1e-6)


# ---- state dicts ------------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["default", "wolfe-short"])
def test_state_dict_resumes_exactly(tmp_path, config):
    loss_fn, init = PROBLEMS["mlp"]
    kwargs = CONFIGS[config]

    def make():
        params = [tg.tensor(a.copy(), requires_grad=True) for a in init]
        opt = tg.optim.LBFGS(params, **kwargs)
        return params, opt, _closure(opt, loss_fn, tg, params)

    params, opt, closure = make()
    for _ in range(2):
        opt.step(closure)
    saved = opt.state_dict()
    tg.save({"optim": saved, "params": [p.detach() for p in params]}, tmp_path / "ck.npz")
    snapshot = [np.asarray(p).copy() for p in params]
    for _ in range(3):
        opt.step(closure)  # the original run goes on; the saved dict must not change with it

    ckpt = tg.load(tmp_path / "ck.npz")
    for source in (saved, ckpt["optim"]):
        params2, opt2, closure2 = make()
        for p, values in zip(params2, snapshot):
            p.data.copy_(tg.tensor(values))
        opt2.load_state_dict(source)
        for _ in range(3):
            opt2.step(closure2)
        for p, p2 in zip(params, params2):
            np.testing.assert_array_equal(np.asarray(p2), np.asarray(p))
        assert opt2.state[params2[0]]["func_evals"] == opt.state[params[0]]["func_evals"]
        assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_state_dict_is_a_copy():
    x = tg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = tg.optim.LBFGS([x], max_iter=3)
    closure = _closure(opt, lambda lib, ps: ((ps[0] - 1) ** 4).sum(), tg, [x])
    opt.step(closure)
    saved = opt.state_dict()
    d, dirs = np.asarray(saved["state"][0]["d"]).copy(), len(saved["state"][0]["old_dirs"])
    opt.step(closure)
    np.testing.assert_array_equal(np.asarray(saved["state"][0]["d"]), d)
    assert len(saved["state"][0]["old_dirs"]) == dirs
    assert sorted(saved["state"]) == [0]  # one state, under the first parameter (as PyTorch)


def test_load_state_dict_refuses_other_states():
    x = tg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = tg.optim.LBFGS([x], max_iter=3)
    opt.step(_closure(opt, lambda lib, ps: ((ps[0] - 1) ** 4).sum(), tg, [x]))
    saved = opt.state_dict()

    y = tg.tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ValueError, match="4 elements"):
        tg.optim.LBFGS([y], max_iter=3).load_state_dict(saved)
    sgd = tg.optim.SGD([x], lr=0.1, momentum=0.9)
    x.grad = tg.tensor(np.ones(3))
    sgd.step()
    with pytest.raises(KeyError, match="momentum_buffer"):
        tg.optim.LBFGS([x]).load_state_dict(sgd.state_dict())
    partial = {"state": {0: {k: v for k, v in saved["state"][0].items() if k != "ro"}},
               "param_groups": saved["param_groups"]}
    with pytest.raises(KeyError, match="lacks"):
        tg.optim.LBFGS([x]).load_state_dict(partial)


# ---- errors -----------------------------------------------------------------------------------
def _quadratic_opt(**kwargs):
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    return x, tg.optim.LBFGS([x], **kwargs)


def test_step_needs_a_closure():
    x, opt = _quadratic_opt()
    with pytest.raises(TypeError):
        opt.step()
    with pytest.raises(TypeError, match="closure"):
        opt.step(None)


def test_one_parameter_group_only():
    a = tg.tensor(np.ones(2), requires_grad=True)
    b = tg.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        tg.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = tg.optim.LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1


def test_refuses_non_float_parameters():
    with pytest.raises(TypeError, match="int64"):
        tg.optim.LBFGS([tg.tensor(np.arange(3))])
    with pytest.raises(TypeError, match="complex"):
        tg.optim.LBFGS([tg.tensor(np.ones(3, dtype=np.complex128))])
    x = tg.tensor(np.ones(2))
    opt = tg.optim.LBFGS([x])
    x.data = np.arange(2)  # replaced by integers after the optimizer was built
    with pytest.raises(TypeError, match="floating-point"):
        opt.step(lambda: 0.0)


def test_refuses_sparse_parameters(torch):
    # tinygrad_np has no sparse tensors; a sparse tensor from elsewhere is not a Tensor.
    with pytest.raises(TypeError, match="Tensor"):
        tg.optim.LBFGS([torch.eye(3).to_sparse().requires_grad_()])
    with pytest.raises(TypeError, match="Tensor"):
        tg.optim.LBFGS([np.eye(3)])


@pytest.mark.parametrize("result, message", [
    (None, "returned None"), ("1.0", "returned a str"),
    (tg.tensor(np.ones(3)), "shape \\(3,\\)"), (tg.tensor(True), "bool"),
])
def test_closure_must_return_the_loss(result, message):
    x, opt = _quadratic_opt()

    def closure():
        opt.zero_grad()
        (x ** 2).sum().backward()
        return result

    with pytest.raises(TypeError, match=message):
        opt.step(closure)


def test_closure_must_call_backward():
    x, opt = _quadratic_opt()
    with pytest.raises(RuntimeError, match="backward"):
        opt.step(lambda: (x ** 2).sum())


def test_closure_error_in_line_search_restores_parameters():
    x, opt = _quadratic_opt(line_search_fn="strong_wolfe")
    calls = []

    def closure():
        calls.append(1)
        if len(calls) == 2:
            raise ArithmeticError("boom")
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(ArithmeticError):
        opt.step(closure)
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, "lr"), ({"history_size": 0}, "history_size"), ({"max_iter": 0}, "max_iter"),
    ({"max_eval": 2.5}, "max_eval"), ({"line_search_fn": "backtracking"}, "strong_wolfe"),
    ({"tolerance_grad": float("nan")}, "tolerance_grad"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        _quadratic_opt(**kwargs)


def test_works_with_a_scheduler():
    x, opt = _quadratic_opt(max_iter=2)
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    closure = _closure(opt, lambda lib, ps: (ps[0] ** 2).sum(), tg, [x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            opt.step(closure)
            sched.step()
    assert opt.param_groups[0]["lr"] == 0.25


def test_default_max_eval_and_repr():
    _, opt = _quadratic_opt(max_iter=10)
    assert opt.param_groups[0]["max_eval"] == 12  # max_iter * 5 // 4, as PyTorch
    assert "LBFGS" in repr(opt) and "history_size: 100" in repr(opt)

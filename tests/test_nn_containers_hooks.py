"""ModuleDict, ParameterList, ParameterDict (registration, dotted names, repr), Module hooks
(call order, arguments, replacements, removal; full backward hooks against PyTorch's) and
Module.to / zero_grad / apply / named_modules as PyTorch scripts use them."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn

torch = pytest.importorskip("torch")


def _build(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = lib.nn.ModuleDict({"cls": lib.nn.Linear(2, 3), "reg": lib.nn.Linear(2, 1)})
            self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)),
                                                lib.nn.Parameter(lib.zeros(3))])
            self.extra = lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2, 2))})

    return Net()


def test_containers_register_like_pytorch():
    ours, theirs = _build(tg), _build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "heads.reg.bias", "scales.0",
        "scales.1", "extra.w"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    # loads PyTorch's weights by name
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.heads["cls"].weight.detach().numpy(),
                                  theirs.heads["cls"].weight.detach().numpy())
    text = repr(ours)
    assert "(scales): ParameterList(  # 5 params\n    (0): Parameter containing: [float32 of " \
           "size 2]\n    (1): Parameter containing: [float32 of size 3]\n  )" in text
    assert "(extra): ParameterDict((w): Parameter containing: [float32 of size 2x2])" in text


def test_module_dict_behaves_like_a_dict():
    d = nn.ModuleDict([("a", nn.ReLU()), ("b", nn.Tanh())])
    d["c"] = nn.Linear(1, 1)
    d.update({"a": nn.Sigmoid()})  # replacing keeps the place, as in a dict
    assert list(d) == list(d.keys()) == ["a", "b", "c"] and len(d) == 3 and "b" in d
    assert isinstance(d["a"], nn.Sigmoid) and isinstance(d.pop("b"), nn.Tanh)
    del d["a"]
    assert list(d) == ["c"] and [n for n, _ in d.named_parameters()] == ["c.weight", "c.bias"]
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []
    with pytest.raises(TypeError, match=r"ModuleDict\['x'\]: expected a Module, got int"):
        d["x"] = 3
    with pytest.raises(TypeError, match="element 0 should be a"):
        nn.ModuleDict([nn.ReLU()])


def test_parameter_list_and_dict_wrap_tensors_like_pytorch():
    for lib in (tg, torch):
        pl = lib.nn.ParameterList([lib.ones(2, requires_grad=True)])
        pl.append(lib.zeros(3))  # a plain tensor becomes a Parameter
        pl += [lib.nn.Parameter(lib.ones(1))]
        assert len(pl) == 3 and isinstance(pl[1], lib.nn.Parameter)
        assert [p.requires_grad for p in pl] == [True, True, True]
        assert [tuple(p.shape) for p in pl[1:]] == [(3,), (1,)]
        assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
        pl[0] = lib.nn.Parameter(lib.zeros(4))
        assert tuple(pl[-3].shape) == (4,)
        pd = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2))})
        pd["b"] = lib.zeros(1)
        pd.update([("c", lib.nn.Parameter(lib.ones(3)))])
        assert list(pd) == ["a", "b", "c"] and "b" in pd and len(pd) == 3
        assert isinstance(pd["b"], lib.nn.Parameter) and pd["b"].requires_grad
        assert tuple(pd.pop("c").shape) == (3,) and list(pd.keys()) == ["a", "b"]
        assert [n for n, _ in pd.named_parameters()] == list(pd.state_dict()) == ["a", "b"]
    with pytest.raises(IndexError, match="ParameterList index 5 is out of range for 3"):
        nn.ParameterList([tg.ones(1)] * 3)[5]


def test_forward_hooks_order_arguments_replacement_and_removal():
    calls = []
    lin = nn.Linear(3, 2)
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre1", m)) or (
        args[0] * 2,))
    lin.register_forward_pre_hook(lambda m, args: calls.append(("pre0", args[0].shape)),
                                  prepend=True)
    h3 = lin.register_forward_hook(lambda m, args, out: calls.append(("fwd", args[0].shape))
                                   or out + 1)
    lin.register_forward_hook(lambda m, args, kwargs, out: calls.append(("kw", kwargs)),
                              with_kwargs=True)
    x = tg.randn(4, 3)
    plain = tg.nn.functional.linear(x, lin.weight, lin.bias)
    y = lin(x)
    assert calls == [("pre0", (4, 3)), ("pre1", lin), ("fwd", (4, 3)), ("kw", {})]
    expected = tg.nn.functional.linear(x * 2, lin.weight, lin.bias) + 1
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    h1.remove()
    h3.remove()
    h3.remove()  # twice is harmless, as in PyTorch
    calls.clear()
    np.testing.assert_allclose(lin(x).detach().numpy(), plain.detach().numpy(), rtol=1e-6)
    assert [c[0] for c in calls] == ["pre0", "kw"]
    with lin.register_forward_hook(lambda m, a, o: o * 0):  # removed on exit
        assert (lin(x).detach().numpy() == 0).all()
    assert (lin(x).detach().numpy() != 0).any()


def _record(lib, cls_args, inputs, replace=None):
    """Run a module with a full backward hook and a backward pre-hook; return the hooks'
    arguments and the inputs' gradients, as NumPy."""
    seen = []

    def pre(m, grad_output):
        seen.append(("pre", [None if g is None else g.detach().numpy().copy()
                             for g in grad_output]))

    def hook(m, grad_input, grad_output):
        seen.append(("full", [None if g is None else g.detach().numpy().copy()
                              for g in grad_input],
                     [None if g is None else g.detach().numpy().copy() for g in grad_output]))
        if replace is not None:
            return tuple(None if g is None else g * replace for g in grad_input)

    module = cls_args(lib)
    module.register_full_backward_pre_hook(pre)
    module.register_full_backward_hook(hook)
    tensors = [lib.tensor(a, requires_grad=rg) if isinstance(a, np.ndarray) else a
               for a, rg in inputs]
    out = module(*tensors)
    out = out if isinstance(out, tuple) else (out,)
    total = sum((o * lib.tensor(np.arange(1.0, o.numel() + 1).reshape(tuple(o.shape)))).sum()
                for o in out)
    total.backward()
    grads = [t.grad.numpy() if getattr(t, "grad", None) is not None else None
             for t in tensors if hasattr(t, "grad")]
    return seen, grads


def _two_in(lib):
    class M(lib.nn.Module):
        def forward(self, a, scale, b):
            return (a * b).tanh() * scale, a.sum()
    return M()


def _linear(lib):
    lib.manual_seed(0)
    layer = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 7))
        layer.bias.copy_(lib.tensor([0.5, -0.5]))
    return layer


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # no_input_grad: both warn
@pytest.mark.parametrize("case", ["linear", "two_in_one_frozen", "no_input_grad", "replace"])
# two_in_one_frozen: grad_input is (a's, None for the float, zeros for the frozen b), and
# both outputs are used by the loss (an unused one: PyTorch None, ours zeros).
def test_full_backward_hooks_match_pytorch(case):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    if case == "linear":
        build, inputs, replace = _linear, [(a, True)], None
    elif case == "two_in_one_frozen":
        build, inputs, replace = _two_in, [(a, True), (2.5, None), (b, False)], None
    elif case == "no_input_grad":
        build, inputs, replace = _linear, [(a, False)], None
    else:
        build, inputs, replace = _linear, [(a, True)], 3.0
    ours = _record(tg, build, inputs, replace)
    theirs = _record(torch, build, inputs, replace)
    assert [s[0] for s in ours[0]] == [s[0] for s in theirs[0]]
    for mine, other in zip(ours[0], theirs[0]):
        for xs, ys in zip(mine[1:], other[1:]):
            assert len(xs) == len(ys)
            for x, y in zip(xs, ys):
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    for x, y in zip(ours[1], theirs[1]):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_backward_hook_in_a_sequential_runs_newest_first_and_keeps_double_backward():
    order = []
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    for name, m in net.named_children():
        m.register_full_backward_hook(lambda m, gi, go, name=name: order.append(name))
    x = tg.tensor(np.array([[0.3, -0.7]]), requires_grad=True)
    (g,) = tg.grad(net(x).sum(), x, create_graph=True)
    assert order == ["2", "1", "0"]
    (h,) = tg.grad((g * g).sum(), x)  # the hooks' identities are differentiable too
    net2 = nn.Sequential(*net)  # the same layers: now without hooks
    for m in net2:
        m._hooks = None
    (g2,) = tg.grad(net2(x).sum(), x, create_graph=True)
    (h2,) = tg.grad((g2 * g2).sum(), x)
    np.testing.assert_allclose(h.numpy(), h2.numpy(), rtol=1e-14)


def test_hook_returning_the_wrong_number_of_gradients_raises():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="full backward hook of Linear returned 2 gradients"):
        lin(tg.randn(1, 2, requires_grad=True)).sum().backward()


def test_module_utilities_match_pytorch():
    for lib in (tg, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(),
                                                                       lib.nn.Linear(3, 1)))
        assert [n for n, _ in net.named_modules()] == ["", "0", "1", "1.0", "1.1"]
        assert len(list(net.modules())) == 5 and len(list(net.children())) == 2
        visited = []
        net.apply(lambda m, seen=visited: seen.append(type(m).__name__))
        assert visited == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
        net(lib.ones(4, 2)).sum().backward()
        net.zero_grad()
        assert all(p.grad is None for p in net.parameters())  # set_to_none=True by default
        net(lib.ones(4, 2)).sum().backward()
        net.zero_grad(set_to_none=False)
        assert all((p.grad.numpy() == 0).all() for p in net.parameters())
        net.requires_grad_(False)
        assert not any(p.requires_grad for p in net.parameters())
        assert net.to("cpu") is net and net.to(device="cpu", dtype=lib.float64) is net
        assert all(p.dtype == lib.float64 for p in net.parameters())
        net.to(lib.zeros(1, dtype=lib.float32))
        assert all(p.dtype == lib.float32 for p in net.parameters())
    with pytest.raises(RuntimeError, match=r"Module.to\(\)"):
        nn.Linear(1, 1).to("cuda")

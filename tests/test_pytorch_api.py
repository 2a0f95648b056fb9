"""The API surface PyTorch programs use beyond the ops (issue 18): `.data` as a Tensor
sharing storage, aliases, formatting; each checked against what PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg


def test_data_is_a_tensor_sharing_memory_for_the_pytorch_idioms():
    p = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert isinstance(p.data, tg.Tensor) and not p.data.requires_grad
    (p * 3).sum().backward()
    p.data.add_(p.grad, alpha=-0.5)  # SGD written by hand, as in PyTorch tutorials
    np.testing.assert_array_equal(np.asarray(p), [-0.5, 0.5])
    p.data.copy_(tg.tensor([4.0, 5.0]))
    p.grad.data.zero_()
    assert p.tolist() == [4.0, 5.0] and p.grad.tolist() == [0.0, 0.0]
    p.data.fill_(7.0)
    assert p.tolist() == [7.0, 7.0] and p.requires_grad and p.is_leaf
    p.data = np.array([1.0, 1.0])  # assigning still replaces the values
    assert p.tolist() == [1.0, 1.0]
    assert np.asarray(p.data).base is not None or np.shares_memory(np.asarray(p.data),
                                                                    np.asarray(p))


def test_data_changes_are_not_tracked_as_in_pytorch():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x  # saves x
    x.data.mul_(10.0)  # through .data: the version check does not see it (as PyTorch)
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [20.0, 40.0])


def test_format_and_axis_aliases():
    loss = tg.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{tg.tensor([3])[0]:d}" == "3"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{tg.tensor([1.0, 2.0]):.2f}"
    x = tg.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert x.max(axis=1).values.tolist() == [5.0, 3.0] and x.argmax(axis=0).tolist() == [1, 0]
    assert x.min(dim=0, keepdims=True).values.shape == (1, 2)


def test_bitwise_operators_on_bools_and_integers():
    a, b = tg.tensor([True, False, True]), tg.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True] * 3
    assert (a ^ b).tolist() == [False, True, True] and (~a).tolist() == [False, True, False]
    assert (tg.tensor([6, 3]) & 2).tolist() == [2, 2] and (1 | tg.tensor([2])).tolist() == [3]
    with pytest.raises(TypeError, match="bitwise_and: needs bool or integer tensors"):
        tg.tensor([1.0]) & a


def test_devices_and_dtype_names_as_pytorch_scripts_use_them():
    device = "cuda" if tg.cuda.is_available() else "cpu"  # the usual opening line
    assert device == "cpu" and not tg.accelerator.is_available()
    x = tg.zeros(2, 3, dtype=tg.float, device=device)
    assert x.dtype == np.float32 and x.device == tg.device("cpu") and str(x.device) == "cpu"
    assert x.to(device) is x and x.cpu() is x and x.to(tg.double).dtype == np.float64
    assert x.to(tg.tensor([1])).dtype == np.int64 and x.to("cpu", tg.long).dtype == np.int64
    assert (tg.long, tg.int, tg.bool, tg.half) == (np.int64, np.int32, np.bool_, np.float16)
    with pytest.raises(RuntimeError, match="tinygrad_np runs on the CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="randn\\(\\): device 'mps'"):
        tg.randn(2, device="mps")
    tg.set_default_device("cpu")
    assert tg.full_like(x, 2.5).tolist() == [[2.5] * 3] * 2 and tg.empty_like(x).shape == (2, 3)
    assert tg.empty(4, dtype=tg.long).dtype == np.int64


def test_creation_functions_refuse_what_pytorch_refuses():
    with pytest.raises(ValueError, match="linspace\\(\\): steps must be a non-negative int"):
        tg.linspace(0, 1, -1)
    with pytest.raises(ValueError, match=r"randint\(\): the range \[5, 2\) is empty"):
        tg.randint(5, 2, (3,))
    assert tg.randint(10, (4,)).shape == (4,)  # randint(high, size)
    with pytest.raises(OverflowError, match="beyond int64's range"):
        tg.tensor(2 ** 63)
    with pytest.raises(TypeError, match="randn\\(\\): samples need a floating dtype"):
        tg.randn(5, dtype=np.int64)
    with pytest.raises(TypeError, match="zeros\\(\\): dtype object is not numeric"):
        tg.zeros(2, dtype=object)
    with pytest.raises(TypeError, match="tensor\\(\\): dtype <U1 is not numeric"):
        tg.tensor(["a"], dtype="U1")


def test_whole_tensor_comparisons():
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-6])
    assert a.allclose(b) is True and tg.allclose(a, b) and not a.equal(b)
    assert a.equal(tg.tensor([1.0, 2.0])) and not a.equal(tg.tensor([1.0]))
    assert tg.isclose(a, b).tolist() == [True, True]


def test_gradient_hooks_on_leaves_and_intermediates_match_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        seen = []
        handle = x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
        y = x * 3
        y.register_hook(lambda g, seen=seen: seen.append(g.tolist()))  # observes only
        z = y * y
        z.register_hook(lambda g: g + 1)  # changes what flows on
        z.sum().backward()
        first = (x.grad.tolist(), seen)
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        (g,) = (tg.grad if lib is tg else torch.autograd.grad)((x * x).sum(), x)
        results.append((first, x.grad.tolist(), g.tolist()))
    assert results[0] == results[1]
    assert results[0][0] == ([360.0, 720.0], [[12.0, 24.0]])


def test_hooks_refuse_bad_input():
    with pytest.raises(RuntimeError, match="register_hook\\(\\): this tensor does not require"):
        tg.ones(2).register_hook(lambda g: g)
    x = tg.ones(2, requires_grad=True)
    x.register_hook(lambda g: tg.ones(3))
    with pytest.raises(RuntimeError, match="a gradient hook returned Tensor"):
        (x * 2).sum().backward()


def test_one_hot_names_a_negative_label():
    with pytest.raises(ValueError, match="one_hot: class values must be non-negative, got -1"):
        tg.nn.functional.one_hot(tg.tensor([-1, 2]))
    assert tg.nn.functional.one_hot(tg.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_matrix_products_take_pytorchs_keywords():
    a, b = tg.ones(2, 3), tg.ones(3, 4)
    assert tg.matmul(input=a, other=b).shape == (2, 4)
    assert tg.mm(input=a, mat2=b).shape == (2, 4)
    assert tg.bmm(input=tg.ones(2, 2, 3), mat2=tg.ones(2, 3, 1)).shape == (2, 2, 1)
    assert a.matmul(other=b).shape == (2, 4)


def test_device_queries_answer_no_accelerator():
    assert not tg.xpu.is_available() and not tg.backends.mps.is_available()
    assert tg.accelerator.current_accelerator() is None


def test_layers_take_device_and_dtype_as_pytorch_does():
    layers = [tg.nn.Linear(2, 3, True, "cpu", tg.float64), tg.nn.Conv2d(1, 2, 3, device="cpu"),
              tg.nn.BatchNorm1d(3, device="cpu"), tg.nn.LayerNorm(3, device="cpu"),
              tg.nn.Embedding(3, 2, device="cpu"), tg.nn.PReLU(device="cpu"),
              tg.nn.ConvTranspose2d(1, 2, 3, device=tg.device("cpu"))]
    assert layers[0].weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="Linear: device 'cuda'"):
        tg.nn.Linear(2, 3, device="cuda")


def test_randint_with_high_only_and_size_by_keyword():
    tg.manual_seed(0)
    r = tg.randint(10, size=(3,))
    assert r.shape == (3,) and r.dtype == np.int64 and 0 <= r.min().item() and r.max().item() < 10

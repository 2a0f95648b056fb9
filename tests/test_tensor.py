"""The Tensor API contract (docs/design.md, Tensor): attributes, the dtype policy, NumPy interop,
indexing, reductions' dim arguments, comparisons, and errors that say what went wrong."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.testing import gradcheck


def f64(values, requires_grad=True):
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---- attributes and conversions ----------------------------------------------------------

def test_attributes():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2 and len(x) == 2
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2 and x.numel() == 6
    assert x.dtype == np.float64 and not x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [row.tolist() for row in x] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_item_float_int_bool():
    assert tg.tensor(2.5).item() == 2.5 and isinstance(tg.tensor(2.5).item(), float)
    assert tg.tensor([[7]]).item() == 7 and int(tg.tensor(7)) == 7
    assert float(tg.tensor(2.5)) == 2.5 and bool(tg.tensor(1.0)) is True
    with pytest.raises(ValueError, match=r"item\(\).*shape \(2,\).*\.sum\(\)"):
        tg.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match=r"shape \(2,\) is ambiguous.*any\(\)"):
        bool(tg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="0-d"):
        len(tg.tensor(1.0))


def test_graph_attributes():
    x = f64([1.0, 2.0])
    y = x * 2
    assert y.requires_grad and not y.is_leaf and repr(y.grad_fn) == "<MulBackward>"
    assert y.grad_fn.next_functions == (x, None)
    assert repr(y) == "tensor([2., 4.], dtype=float64, grad_fn=<MulBackward>)"
    assert repr(tg.tensor([1.0, 2.0], requires_grad=True)) == (
        "tensor([1., 2.], requires_grad=True)")
    with pytest.raises(RuntimeError, match="non-leaf.*detach"):
        y.requires_grad = False


def test_detach_shares_memory_and_leaves_the_graph():
    x = f64([1.0, 2.0])
    d = (x * 1).detach()
    assert not d.requires_grad and d.grad_fn is None
    x_view = x.detach()
    assert np.shares_memory(np.asarray(x_view), np.asarray(x))


def test_numpy_requires_detach_when_tracking_grad():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    assert np.shares_memory(x.detach().numpy(), np.asarray(x))


def test_data_setter_replaces_values_and_keeps_the_dtype_rule():
    x = f64([1.0, 2.0])
    x.data = np.array([3.0, 4.0])
    np.testing.assert_array_equal(np.asarray(x), [3.0, 4.0])
    with pytest.raises(TypeError, match="int64"):
        x.data = np.array([1, 2])
    with pytest.raises(TypeError, match="NumPy array or a Tensor"):
        x.data = [1.0, 2.0]


def test_clone_and_casts_are_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert x.astype(np.float32) is x  # same dtype: nothing to do
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x.grad), [2.0, 4.0])
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(np.asarray(c), np.asarray(x))
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert tg.tensor(np.ones(2)).float().dtype == np.float32


# ---- dtype policy -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32), ([1.5, 2.0], np.float32), ([1, 2.5], np.float32),
        (3, np.int64), ([1, 2], np.int64), (True, np.bool_), ([True, False], np.bool_),
        (np.ones(2), np.float64), (np.float64(1.0), np.float64), (np.ones(2, np.float32),
                                                                    np.float32),
        (np.ones(2, np.int32), np.int32), (np.ones(2, np.float16), np.float16),
    ],
)
def test_tensor_dtype_from_data(data, dtype):
    assert tg.tensor(data).dtype == dtype
    assert tg.Tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, "float64", tg.float64])
def test_explicit_dtype(dtype):
    assert tg.tensor([1, 2], dtype=dtype).dtype == np.float64


def test_float64_stays_float64_end_to_end():
    x = f64([[0.5, -1.0], [2.0, 0.25]])
    w = f64([1.5, -0.5])
    y = ((x * 2 + 1.5) / 3 - x**2).exp().log() @ w
    z = (y.softmax(0) * y.sigmoid()).sum() + x.var() + x.amax() + x[0].prod()
    assert z.dtype == np.float64
    z.backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float64


def test_float32_stays_float32_with_numpy_scalars_and_int_tensors():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * np.float64(2.0) + np.array(0.5) - tg.tensor([1, 2]) / np.sqrt(2.0))
    y = y.clamp(np.float64(0.0)) ** np.float64(2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_type_promotion_follows_pytorch():
    x32 = tg.tensor([1.0, 2.0])
    ints = tg.tensor([1, 2])
    assert (x32 * ints).dtype == np.float32  # NumPy alone would give float64
    assert (ints + 1.5).dtype == np.float32  # the default float dtype
    assert (ints * np.float64(1.5)).dtype == np.float32
    assert (x32 + tg.tensor(np.array(2.0))).dtype == np.float32  # a 0-d operand
    assert (x32 + np.ones(2)).dtype == np.float64  # a dimensioned float64 operand widens
    assert (ints + tg.tensor(np.array(1.5))).dtype == np.float64  # a higher category wins
    assert (tg.tensor([True]) + 1).dtype == np.int64
    assert (tg.tensor(np.array([1], np.int32)) + 5).dtype == np.int32
    # A list operand reads as tensor() reads it (NumPy alone would make it float64).
    assert (x32 + [1.0, 2.0]).dtype == np.float32
    assert ([0.5, 1.5] * ints).dtype == np.float32
    assert (ints - [1, 2]).dtype == np.int64
    with pytest.raises(TypeError, match=r"add\(\): the list operand: tensor\(\): cannot make"):
        x32 + ["a", "b"]


I32 = np.array([1, 2], np.int32)
# clamp, where, cat and stack take the dtypes PyTorch gives (checked against torch 2.13).
JOINED_DTYPES = [
    ("clamp-int-float-bounds", lambda: tg.tensor([1, 2]).clamp(0.5, 2.5), np.float32),
    ("clamp-int-max-only", lambda: tg.tensor([1, 2]).clamp(max=2.5), np.float32),
    ("clamp-int32-int-bounds", lambda: tg.tensor(I32).clamp(1, 2), np.int32),
    ("clamp-float64-tensor-bound", lambda: tg.tensor([1.0]).clamp(tg.tensor(np.ones(1))),
     np.float64),
    ("where-two-floats", lambda: tg.where(tg.tensor([True, False]), 1.0, 0.0), np.float32),
    ("where-two-ints", lambda: tg.where(tg.tensor([True]), 1, 0), np.int64),
    ("where-int-tensor-float", lambda: tg.where(tg.tensor([True]), tg.tensor([1]), 0.5),
     np.float32),
    ("cat-int64-float32", lambda: tg.cat([tg.tensor([1]), tg.tensor([1.0])]), np.float32),
    ("cat-int32-int64", lambda: tg.cat([tg.tensor(I32), tg.tensor([1])]), np.int64),
    ("cat-bool-uint8", lambda: tg.cat([tg.tensor([True]), tg.tensor(np.ones(1, np.uint8))]),
     np.uint8),
    ("stack-int64-float32", lambda: tg.stack([tg.tensor([1]), tg.tensor([1.0])]), np.float32),
]


@pytest.mark.parametrize("make, dtype", [c[1:] for c in JOINED_DTYPES],
                         ids=[c[0] for c in JOINED_DTYPES])
def test_clamp_where_and_cat_take_pytorchs_dtype(make, dtype):
    assert make().dtype == dtype


def test_cat_casts_through_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)  # float32, joined with a float64 array
    y = tg.cat([x, tg.tensor(np.array([3.0]))])
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x.grad), [2.0, 4.0])


def test_true_division_of_integers_gives_the_default_float_dtype():
    ints, bools = tg.tensor([1, 3]), tg.tensor([True, False])
    for quotient in (ints / tg.tensor([2, 4]), ints / 2, ints.div(2), 3 / ints, bools / 2):
        assert quotient.dtype == np.float32  # NumPy alone would give float64
    np.testing.assert_array_equal((ints / 2).numpy(), np.array([0.5, 1.5], np.float32))
    np.testing.assert_array_equal((3 / ints).numpy(), np.array([3.0, 1.0], np.float32))
    assert (ints / tg.tensor(np.array([2.0]))).dtype == np.float64  # a float operand decides
    try:
        tg.set_default_dtype(np.float64)
        assert (ints / 2).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)


@pytest.mark.parametrize("op", ["mean", "var", "std"])
def test_averaging_integers_is_refused_like_pytorch(op):
    with pytest.raises(RuntimeError, match=rf"{op}\(\): input dtype int64 .*x\.float\(\)"):
        getattr(tg.tensor([1, 2, 3]), op)()
    assert getattr(tg.tensor([1, 2, 3]).float(), op)().item() == {"mean": 2, "var": 1, "std": 1}[op]


FLOAT_MATH = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
              "tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
              "logsumexp": lambda a: np.log(np.exp(a).sum())}


@pytest.mark.parametrize("op", FLOAT_MATH)
@pytest.mark.parametrize("values", [[1, 2, 3], [True, False, True]], ids=["int64", "bool"])
def test_float_math_of_integers_and_bools_gives_the_default_float_dtype(op, values):
    x = tg.tensor(values)
    with np.errstate(divide="ignore"):  # log(False) = -inf
        expected = FLOAT_MATH[op](np.array(values, np.float32))
        out = getattr(x, op)()
    assert out.dtype == np.float32  # NumPy alone gives float64 (float16 for bool)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    try:
        tg.set_default_dtype(np.float64)
        with np.errstate(divide="ignore"):
            assert getattr(x, op)().dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_integers_is_refused_like_pytorch(op):
    with pytest.raises(RuntimeError, match=rf"{op}\(\): input dtype int64 .*x\.float\(\)"):
        getattr(tg.tensor([1, 2, 3]), op)(0)


def test_sign_and_abs_of_bools_follow_pytorch():
    b = tg.tensor([True, False])
    assert b.sign().dtype == np.bool_ and b.sign().tolist() == [True, False]
    with pytest.raises(TypeError, match=r"abs\(\): not defined for bool tensors.*x\.long\(\)"):
        b.abs()


def test_float64_leaf_times_float32_tensor_gets_float64_grad():
    a = f64(2.0)  # 0-d float64 parameter in a float32 computation
    x = tg.tensor([1.0, 3.0], requires_grad=True)
    y = (a * x).sum()
    assert y.dtype == np.float32
    y.backward()
    assert a.grad.dtype == np.float64 and a.grad.item() == 4.0
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda: tg.tensor([1, 2], requires_grad=True),
        lambda: tg.Tensor(np.array([1, 2], np.int32), requires_grad=True),
        lambda: tg.tensor([True, False]).requires_grad_(),
        lambda: tg.zeros(2, dtype=np.int64, requires_grad=True),
        lambda: tg.arange(3, requires_grad=True),
    ],
)
def test_integer_and_bool_data_cannot_require_grad(make):
    with pytest.raises(TypeError, match=r"(int32|int64|bool).*(float32|\.float\(\))"):
        make()


def test_default_dtype_can_change():
    try:
        tg.set_default_dtype(np.float64)
        assert tg.tensor(1.5).dtype == np.float64 and tg.zeros(2).dtype == np.float64
        assert (tg.tensor([1, 2]) + 0.5).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)
    assert tg.tensor(1.5).dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        tg.set_default_dtype(np.int64)


def test_creation_dtypes():
    assert tg.zeros(2, 3).dtype == np.float32 and tg.ones((2,)).shape == (2,)
    assert tg.arange(3).dtype == np.int64 and tg.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), 0.5).dtype == np.float32
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    tg.manual_seed(3)
    a = tg.randn(2, 2)
    tg.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(tg.randn(2, 2)))


# ---- NumPy interop ------------------------------------------------------------------------

def test_np_asarray_and_assert_allclose_work_on_tensors():
    x = f64([1.0, 2.0])
    assert np.asarray(x) is np.asarray(x)
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    copy = np.array(x)
    assert not np.shares_memory(copy, np.asarray(x))
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, np.array([2.0, 4.0]))
    np.testing.assert_array_equal(x.grad, x * 2)


REFLECTED = [
    ("radd", lambda x, a: a + x, lambda x, a: np.ones_like(x)),
    ("rsub", lambda x, a: a - x, lambda x, a: -np.ones_like(x)),
    ("rmul", lambda x, a: a * x, lambda x, a: np.broadcast_to(a, x.shape)),
    ("rtruediv", lambda x, a: a / x, lambda x, a: -a / x**2),
    ("rpow", lambda x, a: a**x, lambda x, a: a**x * np.log(a)),
]


@pytest.mark.parametrize(
    "name, fn, grad, a",
    [(*op, a) for op in REFLECTED for a in (1.5, np.float64(1.5), np.array([1.5, 2.5]))]
    + [("rmatmul", lambda x, a: a @ x, lambda x, a: np.broadcast_to(a[:, None], x.shape),
        np.array([1.5, 2.5]))],
)
def test_reflected_ops_with_arrays_and_scalars(name, fn, grad, a):
    x = f64([[0.5, 1.5], [2.0, 3.0]])
    y = fn(x, a)
    assert isinstance(y, tg.Tensor) and y.requires_grad
    np.testing.assert_allclose(np.asarray(y), fn(np.asarray(x), a), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), grad(np.asarray(x), np.asarray(a)), rtol=1e-14)


def test_numpy_functions_on_tensors_build_graph_nodes():
    x = f64([[0.5, 1.5], [2.0, 3.0]])
    y = np.sum(np.exp(x) * np.sqrt(x), axis=0)
    assert isinstance(y, tg.Tensor) and y.requires_grad
    assert gradcheck(lambda t: np.mean(np.maximum(np.tanh(t), 0.9) ** 2, axis=1), x)
    z = np.where(np.asarray(x) > 1, x, 0.0)
    assert isinstance(z, tg.Tensor) and z.requires_grad


def test_numpy_function_without_a_gradient_refuses_instead_of_dropping_it():
    x = f64([0.5, 1.5])
    with pytest.raises(TypeError, match="np.cbrt is not differentiable.*detach"):
        np.cbrt(x)
    np.testing.assert_allclose(np.cbrt(x.detach()), np.cbrt([0.5, 1.5]))
    with tg.no_grad():
        assert isinstance(np.cbrt(x), np.ndarray)


def test_comparisons_return_bool_tensors_without_grad():
    x = f64([-1.0, 0.0, 2.0])
    for result, expected in [
        (x > 0, [False, False, True]), (x >= 0, [False, True, True]),
        (x < 0, [True, False, False]), (x <= 0, [True, True, False]),
        (x == 0, [False, True, False]), (x != 0, [True, False, True]),
        (0 < x, [False, False, True]), (np.zeros(3) < x, [False, False, True]),
        (np.zeros(3) == x, [False, True, False]), (x == f64([-1.0, 1.0, 2.0]), [True, False, True]),
        (np.isfinite(x / 0.5), [True, True, True]),
    ]:
        assert isinstance(result, tg.Tensor), result
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
        assert result.tolist() == expected
    # sign is in the graph, with gradient 0, as PyTorch's SignBackward
    assert x.sign().requires_grad and x.sign().tolist() == [-1.0, 0.0, 1.0]
    assert x[x > 0].tolist() == [2.0]


# ---- reductions: dim forms and aliases ----------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4) / 7 - 1.5


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2), -3])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "name, ref",
    [
        ("sum", np.sum), ("mean", np.mean), ("amax", np.amax), ("amin", np.amin),
        ("prod", np.prod), ("var", lambda a, axis, keepdims: np.var(a, axis, ddof=1,
                                                                    keepdims=keepdims)),
        ("std", lambda a, axis, keepdims: np.std(a, axis, ddof=1, keepdims=keepdims)),
        ("logsumexp", lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis,
                                                              keepdims=keepdims))),
    ],
)
def test_reduction_dims_and_keepdim(name, ref, dim, keepdim):
    x = tg.tensor(X)
    expected = ref(X, axis=dim, keepdims=keepdim)
    for result in (getattr(x, name)(dim, keepdim=keepdim),
                   getattr(x, name)(axis=dim, keepdims=keepdim),
                   getattr(tg, name)(x, dim=dim, keepdim=keepdim)):
        assert result.shape == np.shape(expected)
        np.testing.assert_allclose(result.data, expected, rtol=1e-13)


def test_empty_dim_tuple_reduces_everything_like_pytorch():
    x = tg.tensor(X)
    assert x.sum(dim=()).shape == () and x.sum(()).item() == pytest.approx(X.sum())
    assert x.amax(dim=()).item() == X.max()


def test_var_std_correction_forms():
    x = tg.tensor(X)
    np.testing.assert_allclose(x.var().item(), np.var(X, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.var(X), rtol=1e-14)
    np.testing.assert_allclose(x.var(correction=0).item(), np.var(X), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(x.std(1, correction=2)), np.std(X, 1, ddof=2), rtol=1e-14)


def test_max_min_forms():
    x = tg.tensor(X)
    assert x.max().item() == X.max() and x.min().item() == X.min()
    result = x.max(1)
    assert result.values.shape == (2, 4) and result.indices.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(result.indices), X.argmax(1))
    values, indices = x.min(-1, keepdim=True)
    assert values.shape == indices.shape == (2, 3, 1)
    other = tg.tensor(np.zeros((3, 4)))
    np.testing.assert_array_equal(np.asarray(x.max(other)), np.maximum(X, 0))
    np.testing.assert_array_equal(np.asarray(x.argmax(2)), X.argmax(2))
    np.testing.assert_array_equal(np.asarray(x.argmin(-1, keepdim=True)), X.argmin(-1)[..., None])
    assert x.argmax().item() == X.argmax() and not x.argmax().requires_grad


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.sum(3), IndexError, r"sum\(\): dim 3 is out of range.*\(2, 3, 4\).*-3, 2"),
        (lambda x: x.mean(-4), IndexError, r"mean\(\): dim -4"),
        (lambda x: x.amax((0, -3)), ValueError, "names a dimension twice"),
        (lambda x: x.sum(0, axis=1), TypeError, "dim or its alias axis"),
        (lambda x: x.max(5), IndexError, r"max\(\): dim 5"),
        (lambda x: x.argmax(3), IndexError, r"argmax\(\): dim 3"),
        (lambda x: x.softmax(3), IndexError, r"softmax\(\): dim 3"),
        (lambda x: x.log_softmax(-4), IndexError, r"log_softmax\(\): dim -4"),
        (lambda x: x.transpose(0, 3), IndexError, r"transpose\(\): dim 3"),
        (lambda x: x.squeeze(3), IndexError, r"squeeze\(\): dim 3"),
        (lambda x: x.unsqueeze(4), IndexError, r"unsqueeze\(\): dim 4.*-4, 3"),
        (lambda x: x.flatten(0, 5), IndexError, r"flatten\(\): dim 5"),
        (lambda x: x.permute(0, 0, 1), ValueError, r"permute\(\): dims \(0, 0, 1\)"),
        (lambda x: tg.cat([x, x], 3), IndexError, r"cat\(\): dim 3"),
        (lambda x: tg.stack([x, x], 4), IndexError, "dim 4"),
        (lambda x: x.max((0, 1)), TypeError, r"max\(\): dim must be one int, got \(0, 1\)"),
        (lambda x: x.softmax((0, 1)), TypeError, r"softmax\(\): dim must be one int"),
    ],
)
def test_bad_dims_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(tg.tensor(X))


# ---- indexing -----------------------------------------------------------------------------

def index_grad(index, shape=(3, 4)):
    x = tg.tensor(np.arange(12.0).reshape(shape), requires_grad=True)
    y = x[index]
    plain = tuple(np.asarray(i) if isinstance(i, tg.Tensor) else i for i in
                  (index if isinstance(index, tuple) else (index,)))
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x)[plain])
    y.backward(np.ones(y.shape))
    return np.asarray(x.grad)


def test_basic_indexing_forms():
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    a = np.asarray(x)
    for index in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 0),
                  (0, None, slice(1, None)), (slice(None, None, -1), Ellipsis, slice(0, 4, 3)),
                  (Ellipsis, None)]:
        np.testing.assert_array_equal(np.asarray(x[index]), a[index])
    assert x[1, 2, 3].shape == () and x[1, 2, 3].item() == 23


def test_indexing_backward_scatters_and_accumulates_repeats():
    np.testing.assert_array_equal(index_grad((1, slice(1, 3))),
                                  [[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
    # integer arrays with repeated and negative indices add up
    np.testing.assert_array_equal(index_grad(np.array([0, 2, 0, -3])).sum(axis=1), [12, 0, 4])
    np.testing.assert_array_equal(index_grad(([0, 0, 2], [1, 1, -1])),
                                  [[0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(index_grad((tg.tensor([2, 2]), slice(None, 2))),
                                  [[0, 0, 0, 0], [0, 0, 0, 0], [2, 2, 0, 0]])
    # boolean masks, as ndarray or as Tensor
    mask = np.arange(12).reshape(3, 4) % 5 == 0
    np.testing.assert_array_equal(index_grad(mask), mask.astype(float))
    np.testing.assert_array_equal(index_grad(tg.tensor([True, False, True])).sum(axis=1),
                                  [4, 0, 4])


def test_indexing_second_derivative_and_repeated_indices_gradcheck():
    x = f64(np.linspace(-1, 1, 12).reshape(3, 4))
    idx = np.array([[0, 2], [2, 2]])
    assert gradcheck(lambda t: (t[idx, 1:] ** 2)[..., ::-1], x)


@pytest.mark.parametrize(
    "index, message",
    [
        (5, r"getitem: index 5 is out of bounds for axis 0 with size 3.*\(3, 4\)"),
        ((0, -5), r"index -5 is out of bounds for axis 1 with size 4"),
        ((0, 0, 0), r"too many indices.*\(3, 4\)"),
        (np.array([0, 3]), r"index 3 is out of bounds"),
        (np.ones(4, bool), r"bool mask of shape \(4,\) does not match the dims \(3,\)"),
    ],
)
def test_out_of_range_indices_raise_index_errors_naming_the_shape(index, message):
    with pytest.raises(IndexError, match=message):
        tg.tensor(np.zeros((3, 4)), requires_grad=True)[index]


def test_float_index_arrays_are_refused_with_the_fix():
    with pytest.raises(IndexError, match=r"integers or booleans.*float64.*\.long\(\)"):
        tg.tensor(np.zeros(3))[np.array([0.0, 1.0])]


def test_setitem_under_no_grad_and_version_check():
    w = f64([1.0, 2.0, 3.0])
    y = (w * w).sum()
    with pytest.raises(RuntimeError, match="leaf tensor.*no_grad"):
        w[0] = 5.0
    with tg.no_grad():
        w[0] = 5.0
    assert np.asarray(w)[0] == 5.0
    with pytest.raises(RuntimeError, match="MulBackward.*in-place"):
        y.backward()


# ---- errors: op, shapes and what to do ----------------------------------------------------

A = np.ones((2, 3))
B = np.ones((4,))


@pytest.mark.parametrize(
    "op, call",
    [
        ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b), ("pow", lambda a, b: a**b),
        ("maximum", lambda a, b: a.maximum(b)), ("minimum", lambda a, b: tg.minimum(a, b)),
        ("add", lambda a, b: np.asarray(b) + a), ("sub", lambda a, b: np.asarray(a) - b),
        ("where", lambda a, b: tg.where(np.asarray(a) > 0, a, b)),
        ("clamp", lambda a, b: a.clamp(b)),
        ("equal", lambda a, b: a == b), ("greater", lambda a, b: a > np.asarray(b)),
    ],
)
def test_incompatible_shapes_name_the_op_and_both_shapes(op, call):
    a, b = tg.tensor(A, requires_grad=True), tg.tensor(B)
    with pytest.raises(ValueError) as info:
        call(a, b)
    message = str(info.value)
    assert message.startswith(f"{op}: shapes ")
    assert "(2, 3)" in message and "(4,)" in message and "broadcast" in message


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((2, 3), (2, 3), r"matmul: shapes \(2, 3\) and \(2, 3\) do not match.*\(3\).*\(2\)"),
        ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\).*only dimension"),
        ((2, 2, 3), (3, 3, 2), r"batch dimensions of shapes \(2, 2, 3\) and \(3, 3, 2\)"),
        ((2, 3), (), r"at least 1 dimension.*\(\).*use \*"),
    ],
)
def test_matmul_mismatch_messages(a, b, message):
    with pytest.raises(ValueError, match=message):
        tg.tensor(np.ones(a), requires_grad=True) @ tg.tensor(np.ones(b))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.reshape(4, 2), ValueError, r"reshape: cannot reshape.*size 6.*\(2, 3\)"),
        (lambda x: x.view(-1, 4), ValueError, r"reshape: .*\(2, 3\)"),
        (lambda x: x.expand(3, 3), ValueError, r"expand: .*\(2, ?3\).*\(3, ?3\)"),
        (lambda x: tg.cat([x, tg.tensor(B)]), ValueError, r"cat\(\): shapes \[\(2, 3\), \(4,\)\]"),
        (lambda x: tg.stack([x, tg.tensor(B)]), ValueError, r"stack\(\).*\(2, 3\).*\(4,\)"),
        (lambda x: (x * 2).backward(), RuntimeError, r"scalar outputs.*\(2, 3\).*\.sum\(\)"),
        (lambda x: (x * 2).backward(np.ones(3)), RuntimeError, r"\(3,\).*\(2, 3\)"),
        (lambda x: x.mT.mT.T.reshape(6).mT, ValueError, r"mT: .*\(6,\)"),
        (lambda x: x.clamp(), ValueError, "at least one of min and max"),
        (lambda x: tg.tensor([[1.0, 2.0], [3.0]]), ValueError, "different lengths"),
        (lambda x: tg.tensor("abc"), TypeError, "cannot make a tensor from str"),
    ],
)
def test_other_errors_are_clear(call, error, message):
    with pytest.raises(error, match=message):
        call(tg.tensor(A, requires_grad=True))


def test_errors_are_never_bare_asserts():
    """Every error above is a ValueError/IndexError/TypeError/RuntimeError, and an op's
    NumPy error is re-raised with the op named (no NumPy traceback chained to it)."""
    with pytest.raises(ValueError) as info:
        tg.tensor(A) + tg.tensor(B)
    assert not isinstance(info.value, AssertionError)
    assert info.value.__cause__ is None and info.value.__suppress_context__

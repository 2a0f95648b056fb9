"""The seed posts' hand-derived gradients (docs/design.md, "The posts") as Hypothesis properties:
autodiff against each closed form, over generated shapes and values, in float64.

Each test is named after the post(s) that derive the fact and the equation it checks. Upstream
gradients are random (vector-Jacobian products), so every entry of each formula is exercised.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tg

RTOL, ATOL = 1e-10, 1e-12


def values(shape: tuple[int, ...], bound: float = 5.0) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape,
                      elements=st.floats(-bound, bound, allow_nan=False, allow_subnormal=False))


sides = st.integers(1, 5)
classes = st.integers(2, 6)
any_shape = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def leaf(a: np.ndarray) -> tg.Tensor:
    return tg.tensor(a, requires_grad=True)


def vjp(out: tg.Tensor, inputs: list[tg.Tensor], upstream: np.ndarray) -> list[np.ndarray]:
    """upstream^T d out / d inputs, by autodiff."""
    return [g.numpy() for g in tg.grad(out, inputs, grad_outputs=upstream)]


def close(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def softmax_np(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


@st.composite
def logits_and_labels(draw: st.DrawFn, batch: bool) -> tuple[np.ndarray, np.ndarray]:
    """Logits (m, k) (or (k,)) in [-10, 10] and one-hot labels of the same shape."""
    k = draw(classes)
    m = draw(sides) if batch else None
    shape = (m, k) if batch else (k,)
    z = draw(values(shape, 10.0))
    labels = draw(hnp.arrays(np.int64, (m,) if batch else (), elements=st.integers(0, k - 1)))
    return z, one_hot(labels, k)


# ---- softmax Jacobian (post 001) ------------------------------------------------------------

def softmax_jacobian(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s = softmax(z, dim=1) and J[b, i, j] = d s_bi / d z_bj, row by row, by autodiff."""
    zt = leaf(z)
    s = zt.softmax(dim=1)
    k = z.shape[1]
    rows = [tg.grad(s, zt, grad_outputs=np.broadcast_to(np.eye(k)[i], z.shape).copy(),
                    retain_graph=True)[0].numpy() for i in range(k)]
    return np.asarray(s), np.stack(rows, axis=1)


@given(values(st.tuples(sides, classes), 10.0))
def test_post001_softmax_jacobian_diagonal_ds_i_dz_i_equals_s_i_times_1_minus_s_i(z):
    s, J = softmax_jacobian(z)
    close(np.diagonal(J, axis1=1, axis2=2), s * (1 - s))


@given(values(st.tuples(sides, classes), 10.0))
def test_post001_softmax_jacobian_off_diagonal_ds_i_dz_j_equals_minus_s_i_s_j(z):
    s, J = softmax_jacobian(z)
    off = ~np.eye(z.shape[1], dtype=bool)
    close(J[:, off], (-s[:, :, None] * s[:, None, :])[:, off])


# ---- softmax + cross-entropy (posts 000, 001) ---------------------------------------------

@given(logits_and_labels(batch=False))
def test_post000_post001_softmax_cross_entropy_per_example_dL_dz_equals_y_hat_minus_y(zy):
    z, y = zy
    zt = leaf(z)
    loss = -(tg.tensor(y) * zt.softmax(dim=0).log()).sum()  # the posts' softmax, then log
    (dz,) = vjp(loss, [zt], np.array(1.0))
    close(dz, softmax_np(z, 0) - y)


@given(logits_and_labels(batch=True))
def test_post000_softmax_cross_entropy_batch_mean_dL_dZ_equals_y_hat_minus_y_over_m(zy):
    Z, Y = zy[0].T, zy[1].T  # post 000's layout: one example per column
    m = Z.shape[1]
    Zt = leaf(Z)
    loss = -(tg.tensor(Y) * Zt.softmax(dim=0).log()).sum() / m
    (dZ,) = vjp(loss, [Zt], np.array(1.0))
    close(dZ, (softmax_np(Z, 0) - Y) / m)


@given(logits_and_labels(batch=True))
def test_post001_softmax_cross_entropy_batch_sum_dL_dZ_equals_y_hat_minus_y(zy):
    Z, Y = zy  # post 001's layout: one example per row, summed over the batch
    Zt = leaf(Z)
    loss = -(tg.tensor(Y) * Zt.softmax(dim=1).log()).sum()
    (dZ,) = vjp(loss, [Zt], np.array(1.0))
    close(dZ, softmax_np(Z, 1) - Y)


# ---- activations (posts 000, 001, 002) ----------------------------------------------------

@st.composite
def input_and_upstream(draw: st.DrawFn, bound: float,
                       elements: st.SearchStrategy[float] | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(any_shape)
    z = draw(values(shape, bound) if elements is None
             else hnp.arrays(np.float64, shape, elements=elements))
    return z, draw(values(shape))


@given(input_and_upstream(20.0))
def test_post000_post002_sigmoid_derivative_equals_s_times_1_minus_s(zg):
    z, g = zg
    zt = leaf(z)
    (dz,) = vjp(zt.sigmoid(), [zt], g)
    s = 1 / (1 + np.exp(-z))
    close(dz, g * s * (1 - s))


@given(input_and_upstream(20.0))
def test_post000_shifted_sigmoid_derivative_equals_A_times_1_minus_A(zg):
    """Post 000's sigmoid 1/(1+exp(-z+1e-5)) is sigmoid(z - 1e-5); its backprop A(1-A) is
    exactly the derivative of that shifted function."""
    z, g = zg
    zt = leaf(z)
    A = 1 / (1 + (-zt + 1e-5).exp())  # written as the post writes it
    (dz,) = vjp(A, [zt], g)
    close(np.asarray(A), 1 / (1 + np.exp(-(z - 1e-5))))
    close(dz, g * np.asarray(A) * (1 - np.asarray(A)))


relu_inputs = st.one_of(st.just(0.0), st.floats(-5, 5, allow_nan=False))


@given(input_and_upstream(5.0, relu_inputs))
def test_post001_post002_relu_derivative_equals_indicator_z_positive(zg):
    z, g = zg  # exact zeros included: relu'(0) = 0, as both posts' masks (z <= 0 -> 0) say
    zt = leaf(z)
    (dz,) = vjp(zt.relu(), [zt], g)
    close(dz, g * (z > 0))


# ---- affine layer (all three posts) ---------------------------------------------------------

@st.composite
def affine_case(draw: st.DrawFn, layout: str) -> dict[str, np.ndarray]:
    """a_prev, W, b and an upstream delta for z = W a_prev + b (post 000, examples as columns)
    or z = a_prev W + b (posts 001, 002, examples as rows)."""
    n_in, n_out, m = draw(sides), draw(sides), draw(sides)
    if layout == "Wx":
        shapes = {"a_prev": (n_in, m), "W": (n_out, n_in), "delta": (n_out, m)}
    else:
        shapes = {"a_prev": (m, n_in), "W": (n_in, n_out), "delta": (m, n_out)}
    case = {name: draw(values(shape)) for name, shape in shapes.items()}
    case["b"] = draw(values((n_out,)))
    return case


def affine_grads(case: dict[str, np.ndarray], layout: str) -> dict[str, np.ndarray]:
    """Autodiff's dW, db, da_prev for the upstream gradient delta = dL/dz."""
    a, W, b = leaf(case["a_prev"]), leaf(case["W"]), leaf(case["b"])
    z = W @ a + b.reshape(-1, 1) if layout == "Wx" else a @ W + b
    dW, db, da = vjp(z, [W, b, a], case["delta"])
    return {"dW": dW, "db": db, "da_prev": da}


@given(affine_case("Wx"))
def test_post000_affine_dW_equals_delta_times_a_prev_T(case):
    # the post's per-example np.outer(dz, a_prev), summed over the batch
    close(affine_grads(case, "Wx")["dW"], case["delta"] @ case["a_prev"].T)


@given(affine_case("Wx"))
def test_post000_affine_db_equals_delta_summed_over_the_batch(case):
    close(affine_grads(case, "Wx")["db"], case["delta"].sum(axis=1))


@given(affine_case("Wx"))
def test_post000_affine_da_prev_equals_W_T_times_delta(case):
    close(affine_grads(case, "Wx")["da_prev"], case["W"].T @ case["delta"])


@given(affine_case("xW"))
def test_post001_post002_affine_dW_equals_a_prev_T_times_delta(case):
    close(affine_grads(case, "xW")["dW"], case["a_prev"].T @ case["delta"])


@given(affine_case("xW"))
def test_post001_post002_affine_db_equals_delta_summed_over_the_batch_axis_0(case):
    close(affine_grads(case, "xW")["db"], case["delta"].sum(axis=0))


@given(affine_case("xW"))
def test_post001_post002_affine_da_prev_equals_delta_times_W_T(case):
    close(affine_grads(case, "xW")["da_prev"], case["delta"] @ case["W"].T)


# ---- MSE (post 002) -------------------------------------------------------------------------

pred_and_target = any_shape.flatmap(lambda shape: st.tuples(values(shape), values(shape)))


@given(pred_and_target)
def test_post002_mse_derivative_equals_2_pred_minus_target_over_N(pt):
    pred, target = pt
    p = leaf(pred)
    (dp,) = vjp(((p - tg.tensor(target)) ** 2).mean(), [p], np.array(1.0))
    close(dp, 2 * (pred - target) / pred.size)


@given(pred_and_target)
def test_post002_squared_error_sum_derivative_equals_2_pred_minus_target(pt):
    """The post's own starting point, dA = 2 (prediction - target), is this sum's gradient."""
    pred, target = pt
    p = leaf(pred)
    (dp,) = vjp(((p - tg.tensor(target)) ** 2).sum(), [p], np.array(1.0))
    close(dp, 2 * (pred - target))


# ---- softmax shift invariance and the max-subtraction (post 001) -----------------------------

shift_case = st.tuples(sides, classes).flatmap(
    lambda mk: st.tuples(values(mk, 10.0), values((mk[0], 1), 1e3), values(mk)))


@given(shift_case)
def test_post001_softmax_invariant_to_a_shift_of_its_inputs(case):
    z, c, _ = case
    close(tg.tensor(z + c).softmax(dim=1).numpy(), tg.tensor(z).softmax(dim=1).numpy())


@given(shift_case)
def test_post001_softmax_shift_has_zero_gradient(case):
    """d softmax(z + c 1) / dc = J 1 = 0: each Jacobian row sums to zero."""
    z, c, g = case
    ct = leaf(c)
    (dc,) = vjp((tg.tensor(z) + ct).softmax(dim=1), [ct], g)
    close(dc, np.zeros_like(c))


@given(shift_case)
def test_post001_max_subtracted_softmax_is_finite_at_logits_of_1e4(case):
    z, _, _ = case
    big = z + 1e4  # exp(1e4) overflows; the post subtracts the row max first
    s = tg.tensor(big).softmax(dim=1).numpy()
    assert np.isfinite(s).all()
    close(s, softmax_np(z, 1))

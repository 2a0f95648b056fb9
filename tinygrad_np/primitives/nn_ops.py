"""Fused primitives for neural networks: erf, GELU, softplus and the stable losses.

Each exists because the composite would be slower or lose precision (the losses at logits of
+-1e4, GELU's erf which NumPy lacks). The backwards use NumPy ufuncs and `Function.call`, so
they are recorded under create_graph and second derivatives stay exact.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from .activations import LogSoftmax, Sigmoid, Softmax

# The summation of ndarray.sum without its Python wrapper (1.5k instructions a call).
_add_reduce = np.add.reduce

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
GELU_TANH_K = math.sqrt(2 / math.pi)
GELU_TANH_C = 0.044715

# Rational approximations of erf from Sun's fdlibm (s_erf.c), accurate to < 1 ulp in float64.
_ERX = 8.45062911510467529297e-01  # erf(1) rounded to single precision
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)


def _poly(z: np.ndarray, coeffs: tuple[float, ...]) -> np.ndarray:
    """coeffs[0] + coeffs[1] z + coeffs[2] z^2 + ..., by Horner's rule."""
    out = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * z + c
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function in float64, vectorised from fdlibm's piecewise rational fits:
    |x| < 0.84375: x + x P(x^2)/Q(x^2);  < 1.25: erf(1) + P(|x|-1)/Q(|x|-1);
    < 6: 1 - exp(-x^2 - 0.5625 + R(1/x^2)/S(1/x^2)) / |x|;  beyond: 1. Odd in x."""
    a = np.asarray(np.abs(np.asarray(x, dtype=np.float64)))  # a 0-d input stays an array
    out = a.copy()  # NaN stays NaN
    small = a < 0.84375
    s = a[small]
    out[small] = s + s * (_poly(s * s, _PP) / _poly(s * s, _QQ))
    near_one = (a >= 0.84375) & (a < 1.25)
    s = a[near_one] - 1
    out[near_one] = _ERX + _poly(s, _PA) / _poly(s, _QA)
    tail = (a >= 1.25) & (a < 6)
    t = a[tail]
    z = 1 / (t * t)
    ratio = np.where(t < 1 / 0.35, _poly(z, _RA) / _poly(z, _SA), _poly(z, _RB) / _poly(z, _SB))
    # exp(-t^2) as exp(-h^2) exp((h - t)(h + t)) with h = t's high 32 bits: h^2 is exact, so
    # the large exponent carries no rounding error.
    h = (t.view(np.uint64) & np.uint64(0xFFFFFFFF00000000)).view(np.float64)
    out[tail] = 1 - np.exp(-h * h - 0.5625) * np.exp((h - t) * (h + t) + ratio) / t
    out[a >= 6] = 1.0
    return np.copysign(out, x)


class Erf(Function):
    """erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt;  d/dx erf(x) = 2/sqrt(pi) e^(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (TWO_OVER_SQRT_PI * np.exp(-(x * x)))


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, on arrays or (recorded) on Tensors."""
    return 0.5 * (1 + Erf.call(x * SQRT1_2))


def _at_infinity(f, x, slope: bool):
    """f(x) with gelu's limits where x is +-inf, where the formulas give inf * 0 = NaN: the
    value -0 and +inf, the slope 0 and 1. f sees 0 there instead, so that no NaN reaches a
    derivative through the masked-out branch; the limits are constants (0 derivative)."""
    xa = np.asarray(x)
    inf = np.isinf(xa)
    if not inf.any():
        return f(x)
    limit = (xa > 0) * 1.0 if slope else np.where(xa > 0, xa, -0.0)
    return np.where(inf, limit.astype(xa.dtype), f(np.where(inf, 0, x)))


class Gelu(Function):
    """gelu(x) = x Phi(x);  d/dx = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _at_infinity(lambda x: x * _normal_cdf(x), x, slope=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _at_infinity(_gelu_slope, x, slope=True)


def _gelu_tanh_u(x):
    return np.tanh(GELU_TANH_K * (x + GELU_TANH_C * (x * x * x)))


class GeluTanh(Function):
    """gelu(x) ~ x (1 + tanh u) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3);
    d/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _at_infinity(lambda x: 0.5 * x * (1 + _gelu_tanh_u(x)), x, slope=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _at_infinity(_gelu_tanh_slope, x, slope=True)


def _gelu_slope(x):
    return _normal_cdf(x) + x * (INV_SQRT_2PI * np.exp(-0.5 * (x * x)))


def _gelu_tanh_slope(x):
    t = _gelu_tanh_u(x)
    du = GELU_TANH_K * (1 + 3 * GELU_TANH_C * (x * x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du


class Softplus(Function):
    """softplus(x) = log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as in
    PyTorch);  d/dx = sigmoid(beta x), and 1 where linear."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        ctx.linear = bx > threshold
        ctx.beta = beta
        ctx.save_for_backward(x)
        return np.where(ctx.linear, x, np.logaddexp(0, bx) / beta)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(ctx.linear, grad, grad * Sigmoid.call(x * ctx.beta)), None, None


def _softplus(x):
    """log(1 + e^x) without overflow, on arrays or (recorded) on Tensors."""
    return Softplus.call(x, 1.0, np.inf)


class CrossEntropy(Function):
    """Softmax cross-entropy of `logits` against per-class target weights `w` along `dim`:
        loss = -sum_c w_c log_softmax(x)_c,
        dloss/dx = softmax(x) sum_c w_c - w,   dloss/dw = -log_softmax(x).
    For a one-hot `w` the gradient is softmax(x) - onehot. The reduction ('none', 'sum' or
    'mean' dividing by `denom`) is fused in, so the mean's gradient is exactly
    (softmax - onehot) / denom.

    `w` may instead be integer class indices y (N,) for logits (N, C) and dim 1, all in
    [0, C) (else forward raises TargetOutOfRange): the one-hot weights of the common case,
    never built (see `_index_forward`).

    `structure` (optional, an array of the logits' shape) marks with its nonzeros the terms
    w_c log_softmax(x)_c that exist; elsewhere w is zero by construction (the other classes of
    a class-index target, ignored samples) and the term is exactly 0 even where the logit is
    -inf, as in PyTorch, which never forms it. Without it every term is a product, so a zero
    weight at a -inf logit gives NaN (as PyTorch's for probability targets). The gradients
    need no such care: softmax is 0 at -inf. A 'mean' over targets of zero total weight (`denom`
    0 with `structure`) is NaN; its gradient is 0 at the samples without terms (see
    `_mean_over_no_weight`)."""

    @staticmethod
    def forward(ctx, logits, w, dim, reduction, denom, structure=None):
        ctx.dim, ctx.reduction, ctx.denom = dim, reduction, denom
        if w.dtype.kind in "iu":
            # The class indices as intp (NumPy's index type: indexing with it needs no cast),
            # in an array of the loss's own (a later change to the caller's labels must not
            # reach backward), checked to be in [0, C): one C call, half the cost of astype
            # plus a max reduction.
            try:
                w = np.ravel_multi_index((w,), (logits.shape[1],))
            except ValueError:
                raise TargetOutOfRange from None
            ctx.save_for_backward(logits, w)
            loss = _index_forward(ctx, logits, w)
        else:
            ctx.save_for_backward(logits, w)
            # Softmax's and LogSoftmax's forward formulas, sharing the shift and exponentials.
            shifted = logits - logits.max(axis=dim, keepdims=True, initial=-np.inf)
            e = np.exp(shifted)
            total = e.sum(axis=dim, keepdims=True)
            log_probs = shifted - np.log(total)
            e /= total
            # The softmax, for the plain backward: a constant on ctx, so the create_graph
            # backward recomputes it from the saved logits instead.
            ctx.probs = e
            if structure is None:
                loss = -(w * log_probs).sum(axis=dim)
            elif reduction == "mean" and not denom:
                return _mean_over_no_weight(ctx, structure, dim, logits.dtype)
            else:
                loss = _existing_terms_loss(w, log_probs, structure, dim)
        if reduction == "none":
            return loss
        total = _add_reduce(loss, axis=None)
        return total / denom if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        logits, w = ctx.saved_tensors
        dim = ctx.dim
        if ctx.reduction == "none":
            grad = np.expand_dims(grad, dim)
        need_x, need_w = ctx.needs_input_grad[:2]
        dx = dw = None
        if need_x and w.dtype.kind in "iu":
            dx = _index_grad(ctx, logits, w, grad)
        elif need_x:
            total_w = w.sum(axis=dim, keepdims=True)  # exactly 1 for one-hot targets
            if isinstance(logits, np.ndarray):  # on arrays: one new buffer, updated in place
                dx = ctx.probs * total_w
                dx -= w
                dx *= grad
            else:
                dx = (Softmax.call(logits, dim) * total_w - w) * grad
        if need_w:
            dw = -LogSoftmax.call(logits, dim) * grad
        if ctx.reduction == "mean":
            dx, dw = _divided(dx, ctx.denom), _divided(dw, ctx.denom)
        # None for dim, reduction, denom and (when given) structure.
        return (dx, dw) + (None,) * (len(ctx.parents) - 2)


def _mean_over_no_weight(ctx, structure, dim, dtype):
    """The mean of class-index targets whose weights sum to 0 (all ignored, or all of weight
    0): NaN, as in PyTorch, whose mean of the targets' own terms is 0/0 whatever smoothing
    adds. Its gradient is NaN at every sample with a term and exactly 0 at the ignored ones,
    whose terms PyTorch never forms: so backward divides by NaN there and by inf elsewhere
    (an ignored sample's gradient is 0 before the division) instead of by 0."""
    kept = (structure != 0).any(axis=dim, keepdims=True)
    ctx.denom = np.where(kept, np.nan, np.inf).astype(dtype)
    return np.array(np.nan, dtype)


def _existing_terms_loss(w, log_probs, structure, dim):
    """-sum_c w_c log_probs_c over the terms that exist (structure_c != 0); the others are
    exactly 0, also where log_probs is -inf (where a plain product gives 0 * -inf = NaN)."""
    terms = np.multiply(w, log_probs, out=np.zeros_like(log_probs), where=structure != 0)
    return -terms.sum(axis=dim)


def _divided(grad, denom):
    """grad / denom: in place on an array (backward's own new buffer), recorded on a Tensor."""
    if isinstance(grad, np.ndarray):
        grad /= denom
        return grad
    return None if grad is None else grad / denom


class TargetOutOfRange(Exception):
    """CrossEntropy's forward got a class index outside [0, C): its caller takes the general
    path (an ignored target) or explains the error. (Not a ValueError: apply would reword it.)"""


def _index_forward(ctx, logits, y):
    """The per-sample loss for class indices y, the same values as the one-hot weights give:
        loss_i = log sum_c e^(x_ic - m_i) - (x_iy - m_i),   m_i = max_c x_ic,
    with no one-hot matrix and no full log-softmax: an index picks the target's logit."""
    n, c = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True, initial=-np.inf)
    e = np.exp(shifted)
    total = _add_reduce(e, axis=1, keepdims=True)
    # The targets' positions in the row-major flattened (N, C) array: indexing with one flat
    # index array costs half as much as with the pair (rows, y).
    flat = np.arange(0, n * c, c)
    flat += y
    loss = np.log(total[:, 0])
    loss -= shifted.take(flat)
    ctx.exp, ctx.total, ctx.flat = e, total, flat  # the softmax's parts, for backward
    return loss


def _index_grad(ctx, logits, y, grad):
    """(softmax(x) - onehot(y)) * grad for class indices: subtract 1 at the targets instead of
    building the one-hot (on arrays; create_graph records it from the saved logits)."""
    if isinstance(logits, np.ndarray):  # one new buffer, updated in place
        # Softmax's forward formula, into a row-major buffer so that ravel() is a view of it.
        dx = np.divide(ctx.exp, ctx.total, order="C")
        dx.ravel()[ctx.flat] -= 1
        dx *= grad
        return dx
    onehot = np.eye(logits.shape[1], dtype=logits.dtype)[y]
    return (Softmax.call(logits, 1) - onehot) * grad


def _clamped_logs(p):
    """(log p, log(1 - p)), each clamped below at -100 like PyTorch, so p = 0 or 1 stays
    finite."""
    with np.errstate(divide="ignore"):
        log_q = np.log1p(-p) if isinstance(p, np.ndarray) else np.log(1 - p)
        return np.maximum(np.log(p), -100), np.maximum(log_q, -100)


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)), the logs clamped at -100 (as in PyTorch);
    dp = (p - t) / max(p (1 - p), 1e-12),   dt = log(1 - p) - log(p)"""

    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        log_p, log_q = _clamped_logs(p)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    def backward(ctx, grad):
        p, t = ctx.saved_tensors
        need_p, need_t = ctx.needs_input_grad
        dp = dt = None
        if need_p:
            dp = grad * (p - t) / np.maximum(p * (1 - p), 1e-12)
        if need_t:
            log_p, log_q = _clamped_logs(p)
            dt = grad * (log_q - log_p)
        return dp, dt


class BinaryCrossEntropyWithLogits(Function):
    """With pos_weight q (1 when None) and lw = 1 + (q - 1) t, stable for any logit x:
        loss = (1 - t) x + lw softplus(-x)     (= -[q t log s(x) + (1 - t) log(1 - s(x))])
        dx = lw sigmoid(x) - q t,   dt = (q - 1) softplus(-x) - x,   dq = t softplus(-x)"""

    @staticmethod
    def forward(ctx, x, t, q):
        ctx.save_for_backward(x, t, q)
        lw = 1 if q is None else 1 + (q - 1) * t
        return (1 - t) * x + lw * _softplus(-x)

    @staticmethod
    def backward(ctx, grad):
        x, t, q = ctx.saved_tensors
        need_x, need_t, need_q = ctx.needs_input_grad
        qq = 1 if q is None else q
        dx = dt = dq = None
        if need_x:
            lw = 1 if q is None else 1 + (q - 1) * t
            dx = grad * (lw * Sigmoid.call(x) - qq * t)
        if need_t or need_q:
            sp = _softplus(-x)
            dt = grad * ((qq - 1) * sp - x) if need_t else None
            dq = grad * t * sp if need_q else None
        return dx, dt, dq


def _mean(a):
    """a.mean() as NumPy computes it for float32 and float64 (the sum divided by the count in
    double precision, rounded to a's dtype), as a 0-d array. Without NumPy's Python-level
    wrapper and its NumPy-scalar division, which on a small array cost twice the sum itself.
    Other dtypes (float16 sums in float32, longdouble divides in its own precision) and empty
    arrays (a warning) take a.mean() itself."""
    if a.dtype.char not in "fd" or not a.size:
        return a.mean()
    return np.asarray(float(np.add.reduce(a, axis=None)) / a.size, a.dtype)


class SquaredError(Function):
    """loss = (x - t)^2, reduced ('none', 'sum' or 'mean' over all N elements):
        dx = 2 (x - t) g (divided by N for the mean),   dt = -dx.
    One op instead of subtract, square and mean: a third of the graph nodes."""

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.save_for_backward(x, t)
        ctx.reduction = reduction
        ctx.scale = 2 / x.size if reduction == "mean" and x.size else 2
        diff = x - t
        ctx.diff = diff  # for the plain backward (create_graph recomputes it, recorded)
        loss = diff * diff
        if reduction == "none":
            return loss
        return _mean(loss) if reduction == "mean" else loss.sum()

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        # Under create_graph x or t is a Tensor: recompute the difference, recorded.
        plain = isinstance(x, np.ndarray) and isinstance(t, np.ndarray)
        diff = ctx.diff if plain else x - t
        dx = diff * (grad * ctx.scale)
        return (dx if need_x else None), (-dx if need_t else None), None

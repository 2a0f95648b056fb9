"""tinygrad_np.testing.strategies produces what it promises: shapes in bounds, values inside
their domain, broadcastable shapes of every kind, distinct values on request."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np.testing import gradcheck, gradgradcheck
from tinygrad_np.testing import strategies as tst

# (domain, predicate every value must satisfy)
DOMAIN_BOUNDS = {
    "real": lambda v: (0.1 <= np.abs(v)) & (np.abs(v) <= 3),
    "positive": lambda v: (0.2 <= v) & (v <= 4),
    "nonzero": lambda v: (0.2 <= np.abs(v)) & (np.abs(v) <= 3),
    "unit": lambda v: np.abs(v) <= 0.9,
    "any": lambda v: np.abs(v) <= 3,
    "ties": lambda v: np.isin(v, [-1.0, -0.5, 0.0, 0.5, 1.0]),
}


def test_importing_testing_does_not_need_hypothesis():
    code = "import sys, tinygrad_np.testing; assert 'hypothesis' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_domains_are_documented_and_checked_here():
    assert set(tst.DOMAINS) == set(DOMAIN_BOUNDS)


@given(tst.shapes())
def test_shapes_default_bounds(shape):
    assert len(shape) <= 3 and all(1 <= n <= 4 for n in shape)


@given(tst.shapes(min_dims=2, max_dims=2, min_side=3, max_side=5))
def test_shapes_custom_bounds(shape):
    assert len(shape) == 2 and all(3 <= n <= 5 for n in shape)


def test_shapes_include_0d_and_size_1_dims():
    shapes = examples(tst.shapes())
    assert () in shapes
    assert any(1 in s and max(s) > 1 for s in shapes)


@pytest.mark.parametrize("domain", sorted(DOMAIN_BOUNDS))
@given(data=st.data())
def test_tensor_values_stay_in_their_domain(domain, data):
    t = data.draw(tst.tensors(domain=domain))
    assert isinstance(t, tg.Tensor)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert DOMAIN_BOUNDS[domain](np.asarray(t)).all()


@given(tst.tensors(domain="positive", dtype=np.float32))
def test_float32_tensors_keep_domain_and_dtype(t):
    assert t.dtype == np.float32 and t.requires_grad
    assert ((np.asarray(t) >= np.float32(0.2)) & (np.asarray(t) <= 4)).all()


@given(tst.tensors((2, 3)), tst.tensors(st.sampled_from([(1,), (4, 1)])))
def test_tensor_shape_may_be_a_tuple_or_a_strategy(fixed, drawn):
    assert fixed.shape == (2, 3)
    assert drawn.shape in [(1,), (4, 1)]


@given(tst.tensors(dtype=np.int64, domain="nonzero"), tst.tensors(dtype=np.bool_))
def test_integer_and_bool_tensors_do_not_require_grad(ints, bools):
    assert ints.dtype == np.int64 and not ints.requires_grad
    assert (np.asarray(ints) != 0).all() and (np.abs(np.asarray(ints)) <= 5).all()
    assert bools.dtype == np.bool_ and not bools.requires_grad


@given(tst.tensors(requires_grad=False))
def test_requires_grad_can_be_turned_off(t):
    assert not t.requires_grad


@given(tst.tensors((3, 4), elements=st.sampled_from([7.0, 8.0])))
def test_elements_replace_the_domain(t):
    assert np.isin(np.asarray(t), [7.0, 8.0]).all()


def examples(strategy, n=30):
    """n examples of `strategy`, drawn under the derandomized test profile (no shrinking)."""
    seen = []

    @settings(max_examples=n)
    @given(strategy)
    def collect(example):
        seen.append(example)

    collect()
    return seen


def test_values_vary_within_a_tensor():
    # Every element is drawn (no Hypothesis `fill`), so most arrays hold many distinct values.
    distinct = [len(np.unique(np.asarray(t))) for t in examples(tst.tensors((4, 4)))]
    assert np.median(distinct) >= 8


@pytest.mark.parametrize("domain", ["real", "positive", "nonzero", "unit", "any"])
@given(data=st.data())
def test_unique_values_are_distinct_and_well_separated(domain, data):
    t = data.draw(tst.tensors(tst.shapes(min_dims=1), domain=domain, unique=True))
    values = np.sort(t.detach().numpy().ravel())
    # A 4096-point grid over a width <= 6: neighbours >= 3.9e-4 apart, far above gradcheck's eps.
    assert (np.diff(values) > 3e-4).all()
    assert DOMAIN_BOUNDS[domain](values).all()


def test_ties_domain_gives_ties_and_zeros_on_purpose():
    ts = examples(tst.tensors((2, 3), domain="ties"))
    assert sum((np.asarray(t) == 0).any() and len(np.unique(np.asarray(t))) < 6 for t in ts) >= 10


def test_unique_from_a_finite_domain_is_refused():
    with pytest.raises(ValueError, match="finite set"):
        tst.tensors((2,), domain="ties", unique=True).example()


def test_unknown_domain_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown domain 'postive'.*positive"):
        tst.floats("postive")


@given(tst.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)
    assert all(len(s) <= 3 and all(1 <= n <= 4 for n in s) for s in shapes)


def test_broadcastable_shapes_cover_every_kind():
    pairs = examples(tst.broadcastable_shapes(2), n=30)
    kinds = {
        "rank mismatch": lambda s: len(s[0]) != len(s[1]) and min(map(len, s)) > 0,
        "size-1 dim stretched": lambda s: any(
            a == 1 and b > 1 or b == 1 and a > 1 for a, b in zip(s[0][::-1], s[1][::-1])),
        "a 0-d shape": lambda s: () in s,
        "same rank": lambda s: len(s[0]) == len(s[1]) > 0,
    }
    for kind, condition in kinds.items():
        assert any(condition(s) for s in pairs), kind


@given(tst.broadcastable_tensors(2, domain=("real", "nonzero")))
def test_broadcastable_tensors_take_one_domain_each(ab):
    a, b = ab
    assert np.broadcast_shapes(a.shape, b.shape) is not None
    assert DOMAIN_BOUNDS["real"](np.asarray(a)).all()
    assert DOMAIN_BOUNDS["nonzero"](np.asarray(b)).all()
    assert a.requires_grad and b.requires_grad


@given(tst.broadcastable_tensors(3, unique=True, dtype=np.float32))
def test_broadcastable_tensors_unique_across_tensors(ts):
    assert all(t.dtype == np.float32 for t in ts)
    values = np.concatenate([t.detach().numpy().ravel() for t in ts])
    assert len(np.unique(values)) == values.size


def test_broadcastable_tensors_domain_count_must_match():
    with pytest.raises(ValueError, match="2 domains for 3 tensors"):
        tst.broadcastable_tensors(3, domain=("real", "real"))


@given(data=st.data(), ndim=st.integers(0, 3))
def test_dims_are_valid_reduction_dims(data, ndim):
    dim = data.draw(tst.dims(ndim))
    x = tg.tensor(np.ones((2,) * ndim))
    assert x.sum(dim).ndim <= ndim  # accepted, whatever form it took
    if isinstance(dim, tuple):
        assert len({d % ndim for d in dim}) == len(dim)


def test_dims_cover_none_negative_and_tuples():
    dims = examples(tst.dims(3))
    assert None in dims
    assert any(isinstance(d, int) and d < 0 for d in dims)
    assert any(isinstance(d, tuple) and len(d) >= 2 and min(d) < 0 for d in dims)


@given(tst.dims(2, allow_none=False, allow_tuple=False))
def test_dims_without_none_or_tuples(d):
    assert isinstance(d, int) and -2 <= d < 2


# The README's example, verbatim: it must keep working.
@given(tst.broadcastable_tensors(2, domain=("real", "nonzero")))
def test_readme_div_gradients(ab):
    assert gradcheck(lambda a, b: a / b, ab)  # first derivatives, both inputs
    assert gradgradcheck(lambda a, b: a / b, ab)  # second derivatives (create_graph)


@given(tst.tensors(tst.shapes(min_dims=1), unique=True))  # distinct values: no ties
def test_readme_amax_gradients(x):
    np.testing.assert_array_equal(np.asarray(x.amax(-1)), np.amax(np.asarray(x), -1))
    assert gradcheck(lambda t: t.amax(-1), x)

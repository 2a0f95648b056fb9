"""nn.utils: clip_grad_norm_ / clip_grad_value_ and parameters_to_vector /
vector_to_parameters, against PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn

torch = pytest.importorskip("torch")


def _pair(seed, scale=1.0):
    """The same two-layer net in both libraries, float64, with the same gradients."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=s) * scale for s in ((3, 2), (3,), (1, 3), (1,))]
    ours, theirs = nn.Linear(2, 3).double(), torch.nn.Linear(2, 3).double()
    ours2, theirs2 = nn.Linear(3, 1).double(), torch.nn.Linear(3, 1).double()
    params = list(ours.parameters()) + list(ours2.parameters())
    tparams = list(theirs.parameters()) + list(theirs2.parameters())
    for p, tp, a in zip(params, tparams, arrays):
        p.grad = tg.tensor(a.copy())
        tp.grad = torch.tensor(a.copy())
    return params, tparams


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    params, tparams = _pair(0, 3.0)
    norm_type = float(norm_type)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type)
    assert isinstance(total, tg.Tensor) and total.shape == () and total.dtype == tg.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-14)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-14, atol=1e-16)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf * 0, as PyTorch's NaN
def test_clip_grad_norm_edges():
    p = nn.Parameter(tg.ones(3))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0  # no gradients yet: 0
    p.grad = tg.tensor([3.0, 4.0, 0.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0  # a single tensor is accepted
    np.testing.assert_allclose(p.grad.numpy(), np.array([3, 4, 0]) / (5 + 1e-6), rtol=1e-6)
    p.grad = tg.tensor([np.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == np.inf
    with pytest.raises(TypeError, match="element 0 is a list"):
        nn.utils.clip_grad_norm_([[1.0]], 1.0)


def test_clip_grad_value_matches_pytorch():
    params, tparams = _pair(1, 2.0)
    assert nn.utils.clip_grad_value_(params, 0.7) is None
    torch.nn.utils.clip_grad_value_(tparams, 0.7)
    for p, tp in zip(params, tparams):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())
    with pytest.raises(ValueError, match="clip_value must be non-negative"):
        nn.utils.clip_grad_value_(params, -1)


def test_parameters_to_vector_and_back():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).double()
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)).double()
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    vec = nn.utils.parameters_to_vector(net.parameters())
    tvec = torch.nn.utils.parameters_to_vector(tnet.parameters())
    np.testing.assert_array_equal(vec.detach().numpy(), tvec.detach().numpy())
    (vec * tg.arange(13.0)).sum().backward()  # differentiable: each parameter's slice
    np.testing.assert_array_equal(net[0].weight.grad.numpy(), np.arange(6.0).reshape(3, 2))
    new = np.linspace(-1, 1, 13)
    nn.utils.vector_to_parameters(tg.tensor(new), net.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tnet.parameters())
    for p, tp in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy())
    with pytest.raises(ValueError, match="vec must be 1-d with 13 elements"):
        nn.utils.vector_to_parameters(tg.zeros(12), net.parameters())
    with pytest.raises(TypeError, match="expected a Tensor vec"):
        nn.utils.vector_to_parameters(new, net.parameters())


def test_one_hot_matches_pytorch():
    cases = [(np.array([0, 2, 1]), -1), (np.array([[0, 2], [1, 1]]), 4), (np.array(3), -1),
             (np.array([], dtype=np.int64), 3)]
    for labels, n in cases:
        ours = nn.functional.one_hot(tg.tensor(labels), n)
        theirs = torch.nn.functional.one_hot(torch.tensor(labels), n)
        assert ours.dtype == tg.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="one_hot: class values must be in"):
        nn.functional.one_hot(tg.tensor([0, 3]), 3)

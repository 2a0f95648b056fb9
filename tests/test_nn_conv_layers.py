"""The convolutional layers as modules: PyTorch's state_dict keys and shapes (so weights load
across), PyTorch's default init bounds, outputs equal to PyTorch's with the same weights, and
clear errors for bad constructor arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

# (ours, PyTorch's, input shape): constructed with the same arguments.
LAYERS = [
    (lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (2, 3, 11)),
    (lambda m: m.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1,
                        groups=2, bias=False), (2, 4, 7, 6)),
    (lambda m: m.Conv2d(2, 4, 3, padding="same", dilation=2), (2, 2, 7, 8)),
    (lambda m: m.Conv2d(2, 4, 3, padding=2, padding_mode="reflect"), (1, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 4, 3, padding=1, padding_mode="circular"), (1, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 4, 2, padding=(1, 2), padding_mode="replicate"), (1, 2, 5, 6)),
    (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 5)),
    (lambda m: m.ConvTranspose1d(2, 3, 4, stride=3), (2, 2, 5)),
    (lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 8)),
    (lambda m: m.MaxPool1d(2), (2, 3, 9)),
    (lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 8)),
    (lambda m: m.AvgPool1d(2), (2, 3, 9)),
    (lambda m: m.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 8)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda m: m.Unflatten(1, (3, -1)), (2, 12)),
]


def _load_torch(theirs, ours) -> None:
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layer_matches_torch_with_the_same_state_dict(make, shape):
    tg.manual_seed(0)
    ours = make(nn).double()
    theirs = make(tnn).double()
    keys = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert keys == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    _load_torch(theirs, ours)
    x = np.random.default_rng(1).standard_normal(shape)
    xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(xt), theirs(tx)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), atol=1e-12, rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(np.asarray(xt.grad), tx.grad.numpy(), atol=1e-12, rtol=1e-12)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), tp.grad.numpy(), atol=1e-11, rtol=1e-11,
                                   err_msg=name)


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Conv2d(8, 16, 5), 8 * 25),
    (lambda: nn.Conv1d(6, 4, 3, groups=2), 3 * 3),
    (lambda: nn.ConvTranspose2d(8, 12, 3, groups=4), 3 * 9),
])
def test_default_init_is_pytorchs(make, fan_in):
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the bias too."""
    tg.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert np.abs(np.asarray(p)).max() <= bound
    assert np.abs(np.asarray(layer.weight)).max() > 0.9 * bound  # spread over the whole range


def test_batchnorm2d_trains_and_evaluates_like_torch():
    tg.manual_seed(0)
    ours, theirs = nn.BatchNorm2d(3).double(), tnn.BatchNorm2d(3).double()
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5)) * 2 + 1
    for _ in range(2):
        out = ours(tg.tensor(x))
        expected = theirs(torch.tensor(x))
        np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), atol=1e-12)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(np.asarray(ours(tg.tensor(x))),
                               theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-12)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): .*2 channels"):
        ours(tg.zeros(2, 2, 3, 3))
    with pytest.raises(ValueError, match="expected 4D"):
        ours(tg.zeros(2, 3, 3))


def test_embedding_layer_padding_row_starts_at_zero_and_stays():
    tg.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4 and not np.asarray(emb.weight)[4].any()
    assert tuple(emb.state_dict()["weight"].shape) == (5, 3)
    emb(np.array([[4, 1], [4, 4]])).sum().backward()
    assert not np.asarray(emb.weight.grad)[4].any() and np.asarray(emb.weight.grad)[1].sum() == 3


def test_dropout2d_module_is_identity_in_eval():
    layer = nn.Dropout2d(0.5)
    x = tg.ones(2, 3, 4, 4)
    layer.eval()
    assert layer(x) is x


def test_repr_reads_like_torch():
    assert repr(nn.Conv2d(1, 32, 3, 1)).startswith(
        "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))")
    assert "padding=same" in repr(nn.Conv1d(1, 2, 3, padding="same"))


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"divisible by groups"),
    (lambda: nn.Conv2d(0, 4, 3), r"in_channels must be a positive int"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="mirror"), r"padding_mode"),
    (lambda: nn.Conv2d(2, 4, (3, 3, 3)), r"kernel_size must be an int or 2 ints"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), r"padding_mode='zeros'"),
    (lambda: nn.Embedding(3, 2, padding_idx=3), r"padding_idx"),
    (lambda: nn.Dropout2d(1.5), r"\[0, 1\]"),
    (lambda: nn.Unflatten(1, (5, -1))(tg.zeros(2, 12)), r"does not split"),
])
def test_bad_constructor_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()

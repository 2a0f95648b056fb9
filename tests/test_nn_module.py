"""nn.Module, Parameter and the containers: registration, traversal, modes, state dicts, repr."""

import copy
import re
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2, bias=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.decoder = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x) * self.scale)


def test_named_parameters_use_dotted_names_in_registration_order():
    model = AutoEncoder()
    assert [name for name, _ in model.named_parameters()] == [
        "scale", "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight",
        "decoder.0.weight", "decoder.0.bias",
    ]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert [n for n, _ in model.encoder.named_parameters(prefix="enc")][0] == "enc.fc1.weight"
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["scale"]


def test_sequential_names_are_indices():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                         "2.bias"]


def test_children_and_modules():
    model = AutoEncoder()
    assert [type(m).__name__ for m in model.children()] == ["Encoder", "Sequential"]
    assert [name for name, _ in model.named_modules()] == [
        "", "encoder", "encoder.fc1", "encoder.act", "encoder.fc2", "decoder", "decoder.0",
        "decoder.1",
    ]
    assert len(list(model.modules())) == 8


def test_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].weight = model[0].weight  # weight tying
    assert len(list(model.parameters())) == 3
    out = model(tg.randn(2, 3)).sum()
    out.backward()
    assert model[0].weight.grad is not None


def test_train_eval_recurse_and_return_self():
    model = AutoEncoder()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.decoder.eval()
    assert model.training and not model.decoder[0].training


def test_zero_grad_sets_to_none_or_zero():
    model = Encoder()
    model(tg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_unknown_attribute_raises_attribute_error():
    model = Encoder()
    with pytest.raises(AttributeError, match="'Encoder' object has no attribute 'fc3'"):
        _ = model.fc3
    assert not hasattr(model, "missing")


def test_assignment_rules():
    model = Encoder()
    with pytest.raises(TypeError, match=r"Encoder.fc1, a sub-module"):
        model.fc1 = 3
    with pytest.raises(TypeError, match=r"Linear.weight, a Parameter.*nn.Parameter"):
        model.fc1.weight = tg.randn(3, 4)
    model.fc1 = nn.Identity()  # a module can replace a module
    assert [n for n, _ in model.named_parameters()] == ["fc2.weight"]
    model.extra = 5  # plain attributes are just attributes
    assert model.extra == 5
    del model.fc2
    with pytest.raises(AttributeError):
        _ = model.fc2


def test_module_without_super_init_names_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_parameter_basics():
    p = nn.Parameter(np.zeros(3))
    assert p.requires_grad and p.is_leaf and p.dtype == np.float64
    t = tg.ones(2)
    shared = nn.Parameter(t)
    shared.data[0] = 5
    assert t.data[0] == 5  # shares memory, like PyTorch
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.array([1, 2]))
    assert repr(nn.Parameter(np.zeros(1, dtype=np.float32))).startswith("Parameter containing:")
    assert type(p * 2) is tg.Tensor  # ops on a Parameter give Tensors


def test_register_buffer_and_parameter():
    m = nn.Module()
    m.register_buffer("stat", tg.zeros(2))
    m.register_buffer("scratch", tg.zeros(1), persistent=False)
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    assert list(m.state_dict()) == ["w", "stat"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "scratch"]
    with pytest.raises(TypeError, match="nn.Parameter"):
        m.register_parameter("v", tg.ones(2))
    with pytest.raises(KeyError, match="'.'"):
        m.register_buffer("a.b", tg.ones(1))


def test_state_dict_is_ordered_detached_and_shares_memory():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = model.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked"]
    assert not any(t.requires_grad for t in sd.values())
    assert np.shares_memory(sd["0.weight"].data, model[0].weight.data)
    with tg.no_grad():
        model[0].weight.add_(1.0)
    np.testing.assert_array_equal(sd["0.weight"].data, model[0].weight.data)


def test_load_state_dict_round_trip_with_arrays_or_tensors():
    tg.manual_seed(0)
    source = Encoder()
    tg.manual_seed(1)
    target = Encoder()
    arrays = {k: v.data.copy() for k, v in source.state_dict().items()}
    result = target.load_state_dict(arrays)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        assert b.requires_grad and isinstance(b, nn.Parameter)
    tg.manual_seed(2)
    third = Encoder()
    third.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(third.fc1.weight.data, source.fc1.weight.data)
    # The values are copied, not aliased.
    assert not np.shares_memory(third.fc1.weight.data, source.fc1.weight.data)


def test_load_state_dict_reports_missing_and_unexpected_keys():
    model = Encoder()
    sd = model.state_dict()
    del sd["fc1.bias"]
    sd["fc3.weight"] = np.zeros(2)
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    message = str(err.value)
    assert "Encoder" in message
    assert 'Missing key(s) in state_dict: "fc1.bias"' in message
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in message
    assert "strict=False" in message
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["fc3.weight"]


def test_load_state_dict_shape_mismatch_is_always_an_error():
    model = Encoder()
    sd = model.state_dict()
    sd["fc1.weight"] = np.zeros((4, 3), dtype=np.float32)
    before = model.fc2.weight.data.copy()
    sd["fc2.weight"] = np.zeros((2, 3), dtype=np.float32)
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\(4, 3\).*"
                                               r"\(3, 4\)"):
            model.load_state_dict(sd, strict=strict)
    # Nothing was loaded: the check happens before any copy.
    np.testing.assert_array_equal(model.fc2.weight.data, before)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("fc1.weight", 1)])


def test_load_state_dict_keeps_the_parameter_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.ones((2, 2)), "bias": tg.zeros(2, dtype=np.float64)})
    assert model.weight.dtype == np.float32 and model.weight.data.sum() == 4


def _without_counts(text: str) -> str:
    """Our repr is PyTorch's plus a "  # N params" note on the modules that have some."""
    return re.sub(r"  # [\d,]+ params?", "", text)


def test_repr_is_nested_like_pytorch():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25),
                          nn.Sequential(nn.Linear(8, 2, bias=False), nn.Softmax(dim=1)))
    expected = """Sequential(  # 56 params
  (0): Linear(in_features=4, out_features=8, bias=True)  # 40 params
  (1): ReLU()
  (2): Dropout(p=0.25, inplace=False)
  (3): Sequential(  # 16 params
    (0): Linear(in_features=8, out_features=2, bias=False)  # 16 params
    (1): Softmax(dim=1)
  )
)"""
    assert repr(model) == expected
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    reference = tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Dropout(0.25),
                               tnn.Sequential(tnn.Linear(8, 2, bias=False), tnn.Softmax(dim=1)))
    assert _without_counts(repr(model)) == repr(reference)


def test_repr_of_layers_matches_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    pairs = [
        (nn.BatchNorm1d(3), tnn.BatchNorm1d(3)),
        (nn.LayerNorm(5), tnn.LayerNorm(5)),
        (nn.LeakyReLU(0.2), tnn.LeakyReLU(0.2)),
        (nn.GELU(approximate="tanh"), tnn.GELU(approximate="tanh")),
        (nn.Flatten(), tnn.Flatten()),
        (nn.Identity(), tnn.Identity()),
        (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
        (nn.Softplus(beta=2.0), tnn.Softplus(beta=2.0)),
        (nn.LogSoftmax(dim=-1), tnn.LogSoftmax(dim=-1)),
    ]
    for ours, theirs in pairs:
        assert _without_counts(repr(ours)) == repr(theirs)


def test_sequential_indexing_slicing_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is layers[1]
    assert list(model[1:]._modules) == ["1", "2"]  # slices keep the names
    assert list(model) == layers
    x = tg.randn(4, 2)
    np.testing.assert_array_equal(model(x).data, layers[2](layers[1](layers[0](x))).data)
    with pytest.raises(IndexError, match="out of range for 3"):
        model[3]
    with pytest.raises(TypeError, match="argument 1 is a type"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    named = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    del model[1]
    assert list(model._modules) == ["0", "1"] and model[1] is layers[2]


def test_module_list_registers_its_modules():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    blocks.append(nn.Linear(2, 1))
    assert len(blocks) == 4 and isinstance(blocks[1:], nn.ModuleList)
    assert len(list(blocks.parameters())) == 8
    blocks += [nn.Tanh()]
    blocks.insert(0, nn.Identity())
    assert isinstance(blocks[0], nn.Identity) and isinstance(blocks[-1], nn.Tanh)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    assert [n for n, _ in Net().named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]


def test_double_casts_parameters_and_buffers_in_place():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model.double()
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model(tg.randn(3, 2, dtype=np.float64)).dtype == np.float64


def test_deepcopy_gives_an_independent_model():
    model = Encoder()
    clone = copy.deepcopy(model)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    with tg.no_grad():
        clone.fc1.weight.add_(1.0)
    assert not np.array_equal(clone.fc1.weight.data, model.fc1.weight.data)


def test_requires_grad_and_apply():
    model = Encoder()
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Encoder"]


def test_to_accepts_the_cpu_device_and_dtypes():
    model = nn.Linear(2, 2)
    assert model.to("cpu") is model and model.weight.dtype == np.float32
    assert model.to(np.float64).weight.dtype == np.float64
    with pytest.raises(TypeError, match="floating dtype"):
        model.to(np.int32)
    assert len(nn.ModuleList()) == 0


def test_replacing_a_parameter_keeps_its_place_in_the_order():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(np.zeros((3, 2), dtype=np.float32))
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert not layer.weight.data.any()

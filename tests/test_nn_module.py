"""nn.Module, Parameter and the containers: registration, traversal, modes, state dicts, repr."""

import copy
import gc
import re
import weakref
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
    assert all(not np.asarray(p.grad).any() for p in model.parameters())
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
    np.asarray(shared)[0] = 5
    assert np.asarray(t)[0] == 5  # shares memory, like PyTorch
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
    assert np.shares_memory(np.asarray(sd["0.weight"]), np.asarray(model[0].weight))
    with tg.no_grad():
        model[0].weight.add_(1.0)
    np.testing.assert_array_equal(np.asarray(sd["0.weight"]), np.asarray(model[0].weight))


def test_load_state_dict_round_trip_with_arrays_or_tensors():
    tg.manual_seed(0)
    source = Encoder()
    tg.manual_seed(1)
    target = Encoder()
    arrays = {k: v.detach().numpy().copy() for k, v in source.state_dict().items()}
    result = target.load_state_dict(arrays)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert b.requires_grad and isinstance(b, nn.Parameter)
    tg.manual_seed(2)
    third = Encoder()
    third.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(np.asarray(third.fc1.weight), np.asarray(source.fc1.weight))
    # The values are copied, not aliased.
    assert not np.shares_memory(np.asarray(third.fc1.weight), np.asarray(source.fc1.weight))


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
    before = model.fc2.weight.detach().numpy().copy()
    sd["fc2.weight"] = np.zeros((2, 3), dtype=np.float32)
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\(4, 3\).*"
                                               r"\(3, 4\)"):
            model.load_state_dict(sd, strict=strict)
    # Nothing was loaded: the check happens before any copy.
    np.testing.assert_array_equal(np.asarray(model.fc2.weight), before)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("fc1.weight", 1)])


def test_load_state_dict_keeps_the_parameter_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.ones((2, 2)), "bias": tg.zeros(2, dtype=np.float64)})
    assert model.weight.dtype == np.float32 and np.asarray(model.weight).sum() == 4


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
    np.testing.assert_array_equal(np.asarray(model(x)),
                                  np.asarray(layers[2](layers[1](layers[0](x)))))
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
    assert not np.array_equal(np.asarray(clone.fc1.weight), np.asarray(model.fc1.weight))


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
    assert not np.asarray(layer.weight).any()


# ---- registered values mirrored into the instance dict --------------------------------------
# A registered value is also kept in the instance `__dict__`, so `m.fc1` is an ordinary
# lookup; the registries stay the source of truth. The identity checks on `__dict__` fail
# without the mirror.

def _assert_mirrored(module):
    """Every registry entry is in the instance dict as the same object (and read back as it),
    and no Parameter or Module sits in the instance dict without being registered."""
    registered = {}
    for registry in (module._parameters, module._buffers, module._modules):
        for name, value in registry.items():
            assert name not in registered, f"{name!r} is in two registries"
            registered[name] = value
            assert module.__dict__[name] is value, name
            assert getattr(module, name) is value, name
    for name, value in vars(module).items():
        if isinstance(value, (nn.Parameter, nn.Module)):
            assert name in registered and registered[name] is value, f"stale mirror {name!r}"


def _assert_sequence_consistent(seq, expected):
    """`seq[i]`, `getattr(seq, "i")`, the mirror and the registry agree, with nothing left
    over under a later index."""
    assert list(seq._modules) == [str(i) for i in range(len(expected))]
    assert len(seq) == len(expected) and list(seq) == expected
    for i, m in enumerate(expected):
        assert seq[i] is m and seq[i - len(expected)] is m
        assert getattr(seq, str(i)) is m and seq.__dict__[str(i)] is m
        assert seq._modules[str(i)] is m
    assert str(len(expected)) not in vars(seq)
    assert not hasattr(seq, str(len(expected)))
    _assert_mirrored(seq)


@pytest.fixture
def no_getattr_fallback(monkeypatch):
    """Give Module a __getattr__ that fails, to show that reads never reach one."""
    def refuse(self, name):
        raise AssertionError(f"Module.__getattr__ was called for {name!r}")
    monkeypatch.setattr(nn.Module, "__getattr__", refuse, raising=False)


def test_registered_values_are_mirrored_in_the_instance_dict():
    model = AutoEncoder()
    assert model.__dict__["encoder"] is model._modules["encoder"]
    assert model.__dict__["scale"] is model._parameters["scale"]
    assert model.encoder.__dict__["fc1"] is model.encoder._modules["fc1"]
    fc1 = model.encoder.fc1
    assert fc1.__dict__["weight"] is fc1._parameters["weight"]
    bn = nn.BatchNorm1d(3)
    assert bn.__dict__["running_mean"] is bn._buffers["running_mean"]
    assert bn.__dict__["num_batches_tracked"] is bn._buffers["num_batches_tracked"]
    for m in [*model.modules(), bn, nn.BatchNorm1d(2, affine=False, track_running_stats=False)]:
        _assert_mirrored(m)
    # vars() shows the mirrored entries next to the bookkeeping and plain attributes.
    assert set(vars(fc1)) == {"training", "_parameters", "_buffers", "_non_persistent",
                              "_modules", "in_features", "out_features", "weight", "bias"}


def test_reads_and_forward_do_not_need_getattr(no_getattr_fallback):
    tg.manual_seed(0)
    model = AutoEncoder()
    bn = nn.BatchNorm1d(4)
    assert model.encoder.fc1 is model._modules["encoder"]._modules["fc1"]
    assert model.scale is model._parameters["scale"]
    assert bn.running_var is bn._buffers["running_var"]
    out = bn(model(tg.randn(5, 4)))
    assert out.shape == (5, 4)
    assert int(np.asarray(bn.num_batches_tracked)) == 1
    bn.eval()
    assert bn(tg.randn(3, 4)).shape == (3, 4)


def test_every_kind_of_registration_is_mirrored():
    m = nn.Module()
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.zeros(3))
    buf, scratch = tg.zeros(2), tg.ones(1)
    lin, act, head = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    m.p = p
    m.register_parameter("q", q)
    m.register_parameter("none_param", None)
    m.register_buffer("buf", buf)
    m.register_buffer("scratch", scratch, persistent=False)
    m.register_buffer("none_buf", None)
    m.lin = lin
    m.add_module("act", act)
    m.register_module("head", head)
    m.add_module("none_mod", None)
    for name, value in [("p", p), ("q", q), ("buf", buf), ("scratch", scratch), ("lin", lin),
                        ("act", act), ("head", head)]:
        assert m.__dict__[name] is value and getattr(m, name) is value
    for name in ("none_param", "none_buf", "none_mod"):
        assert name in m.__dict__ and getattr(m, name) is None
    _assert_mirrored(m)
    # The registries still decide order and contents.
    assert list(m.state_dict()) == ["p", "q", "buf", "lin.weight", "lin.bias", "head.weight",
                                    "head.bias"]
    assert [n for n, _ in m.named_children()] == ["lin", "act", "head"]


def test_replacing_a_value_updates_the_mirror_and_keeps_the_order():
    m = Encoder()
    new_fc1, new_w = nn.Linear(4, 3), nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    m.fc1 = new_fc1
    m.fc2.weight = new_w
    assert m.__dict__["fc1"] is new_fc1 and m.fc1 is new_fc1
    assert m.fc2.__dict__["weight"] is new_w and m.fc2.weight is new_w
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    bn = nn.BatchNorm1d(2)
    stats = tg.full((2,), 3.0)
    bn.running_mean = stats  # a buffer takes any Tensor
    assert bn.__dict__["running_mean"] is stats and bn.running_mean is stats
    assert np.asarray(bn.state_dict()["running_mean"]).tolist() == [3.0, 3.0]
    again = tg.ones(2)
    bn.register_buffer("running_var", again)  # re-registering the same kind is allowed
    assert bn.running_var is again and bn._buffers["running_var"] is again
    other = nn.Parameter(np.ones(2, dtype=np.float32))
    bn.register_parameter("weight", other)
    assert bn.weight is other and bn.__dict__["weight"] is other
    lin = nn.Linear(3, 3)
    m.add_module("act", lin)
    assert m.act is lin and m.__dict__["act"] is lin
    for mod in (m, m.fc2, bn):
        _assert_mirrored(mod)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    x = tg.randn(2, 4)
    np.testing.assert_array_equal(np.asarray(m(x)), np.asarray(m.fc2(lin(new_fc1(x)))))


def test_setting_a_registered_name_to_none_mirrors_none():
    m = Encoder()
    bn = nn.BatchNorm1d(2)
    m.fc1.bias = None
    m.fc2 = None
    bn.running_mean = None
    assert m.fc1.__dict__["bias"] is None and m.fc1.bias is None
    assert "bias" in m.fc1._parameters and m.fc1._parameters["bias"] is None
    assert m.__dict__["fc2"] is None and m.fc2 is None and m._modules["fc2"] is None
    assert bn.__dict__["running_mean"] is None and bn.running_mean is None
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight"]
    assert "running_mean" not in bn.state_dict()
    for mod in (m, m.fc1, bn):
        _assert_mirrored(mod)
    # A None can be filled again with the same kind.
    w = nn.Parameter(np.zeros(3, dtype=np.float32))
    m.fc1.bias = w
    assert m.fc1.bias is w and m.fc1.__dict__["bias"] is w


def test_deleting_a_registered_value_removes_the_mirror():
    m = Encoder()
    bn = nn.BatchNorm1d(2)
    bn.register_buffer("scratch", tg.ones(1), persistent=False)
    del m.fc1
    del m.fc2.weight
    del bn.running_var
    del bn.scratch
    for mod, name in [(m, "fc1"), (m.fc2, "weight"), (bn, "running_var"), (bn, "scratch")]:
        assert name not in vars(mod) and not hasattr(mod, name)
        assert all(name not in r for r in (mod._parameters, mod._buffers, mod._modules))
        assert name not in dir(mod)
        with pytest.raises(AttributeError, match=f"object has no attribute '{name}'"):
            getattr(mod, name)
    assert "scratch" not in bn._non_persistent
    assert [n for n, _ in m.named_children()] == ["act", "fc2"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "num_batches_tracked"]
    for mod in (m, m.fc2, bn):
        _assert_mirrored(mod)
    # The name is free again, for any kind.
    m.register_buffer("fc1", tg.zeros(1))
    assert m.fc1 is m._buffers["fc1"] is m.__dict__["fc1"]
    m.extra = 1
    del m.extra  # plain attributes are deleted as before
    assert not hasattr(m, "extra")


_KINDS = ["parameter", "buffer", "module"]


# Assigning a plain Tensor registers no buffer, so a buffer comes only from register_buffer.
@pytest.mark.parametrize("old_kind, new_kind, how", [
    (old, new, how) for old in _KINDS for new in _KINDS for how in ("setattr", "register")
    if not (how == "setattr" and new == "buffer")])
def test_re_registering_a_name_as_another_kind(old_kind, new_kind, how):
    values = {"parameter": lambda: nn.Parameter(np.ones(2)), "buffer": lambda: tg.zeros(2),
              "module": lambda: nn.Linear(2, 2)}
    registries = {"parameter": "_parameters", "buffer": "_buffers", "module": "_modules"}
    register = {"parameter": "register_parameter", "buffer": "register_buffer",
                "module": "add_module"}
    m = nn.Module()
    m.register_buffer("first", tg.ones(1))
    old, new = values[old_kind](), values[new_kind]()
    getattr(m, register[old_kind])("x", old)
    m.register_buffer("last", tg.ones(1))
    if how == "setattr":
        m.x = new
    else:
        getattr(m, register[new_kind])("x", new)
    assert m.x is new and m.__dict__["x"] is new
    assert getattr(m, registries[new_kind])["x"] is new
    for kind, registry in registries.items():
        if kind != new_kind:
            assert "x" not in getattr(m, registry)
    _assert_mirrored(m)
    expected = [n for n, _ in m.named_parameters()] + [n for n, _ in m.named_buffers()]
    assert sorted(m.state_dict()) == sorted(expected)


def test_check_name_refuses_plain_attributes_and_class_attributes_as_before():
    m = nn.Module()
    m.plain = 3
    m.none_plain = None
    for register, value in [("register_parameter", nn.Parameter(np.ones(1))),
                            ("register_buffer", tg.ones(1)), ("add_module", nn.ReLU())]:
        for name in ("plain", "none_plain", "training", "_parameters", "forward", "eval"):
            with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
                getattr(m, register)(name, value)
    assert m.plain == 3 and m.none_plain is None and m.training is True
    assert not m._parameters and not m._buffers and not m._modules
    # Assignment still turns a plain attribute into a registered one.
    p = nn.Parameter(np.ones(1))
    m.plain = p
    assert m._parameters["plain"] is p and m.__dict__["plain"] is p and m.plain is p
    _assert_mirrored(m)


def test_a_name_the_class_defines_is_registered_but_not_mirrored():
    class Net(nn.Module):
        head = None  # a class-level default wins the lookup, as in PyTorch

        def __init__(self):
            super().__init__()
            self.head = nn.Linear(2, 2)
            self.forward = nn.ReLU()  # registered, but self.forward stays the method

        def forward(self, x):
            return x

    net = Net()
    assert isinstance(net._modules["head"], nn.Linear) and net.head is None
    assert isinstance(net._modules["forward"], nn.ReLU) and net.forward(5) == 5
    assert "head" not in vars(net) and "forward" not in vars(net)
    assert [n for n, _ in net.named_parameters()] == ["head.weight", "head.bias"]


def test_writing_into_a_registry_directly_keeps_the_attribute_in_step():
    m = nn.Module()
    lin, other, p, b = nn.Linear(2, 2), nn.Linear(2, 2), nn.Parameter(np.ones(1)), tg.zeros(1)
    m._modules["lin"] = lin  # as some PyTorch code swaps layers
    m._parameters["p"] = p
    m._buffers["b"] = b
    assert m.lin is lin and m.p is p and m.b is b and vars(m)["lin"] is lin
    assert [n for n, _ in m.named_parameters()] == ["p", "lin.weight", "lin.bias"]
    m._modules["lin"] = other  # replacing: the attribute follows
    assert m.lin is other
    del m._modules["lin"]
    assert not hasattr(m, "lin") and "lin" not in vars(m)
    assert m._parameters.pop("p") is p and not hasattr(m, "p")
    assert m._parameters.pop("p", None) is None
    with pytest.raises(KeyError):
        m._parameters.pop("p")


def test_every_registry_mutator_keeps_the_mirror():
    m = nn.Module()
    a, b, c = nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 1)
    m._modules.update(a=a, b=b)
    assert vars(m)["a"] is a and vars(m)["b"] is b
    m._modules |= {"c": c}
    assert m.c is c
    assert m._modules.setdefault("c", a) is c and m._modules.setdefault("d", a) is a
    assert vars(m)["d"] is a
    assert m._modules.popitem() == ("d", a) and not hasattr(m, "d")
    m._modules.clear()
    assert not any(hasattr(m, name) for name in "abcd") and list(m.parameters()) == []
    with pytest.raises(KeyError):
        m._modules.popitem()


def test_a_registry_outliving_its_module_still_works():
    model = nn.Sequential(nn.Linear(1, 1))
    layers = model._modules
    del model
    assert layers._owner() is None  # freed: the registry held it weakly
    layers["1"] = nn.ReLU()
    del layers["0"]
    assert list(layers) == ["1"] and list(copy.deepcopy(layers)) == ["1"]


def test_a_model_is_freed_without_the_cycle_collector():
    # The registries hold their module weakly: no reference cycle keeps a model's arrays.
    gc.disable()
    try:
        model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
        ref = weakref.ref(model)
        del model
        assert ref() is None
    finally:
        gc.enable()


def test_running_module_init_again_drops_the_mirrors():
    m = Encoder()
    nn.Module.__init__(m)
    assert not m._modules and "fc1" not in vars(m) and not hasattr(m, "fc1")
    assert list(m.parameters()) == []


def test_sequence_changes_keep_indexing_and_attributes_consistent():
    a, b, c, d, e = (nn.Linear(2, 2) for _ in range(5))
    for cls in (nn.Sequential, nn.ModuleList):
        seq = cls([a, b, c]) if cls is nn.ModuleList else cls(a, b, c)
        _assert_sequence_consistent(seq, [a, b, c])
        seq.append(d)
        _assert_sequence_consistent(seq, [a, b, c, d])
        seq.insert(0, e)
        _assert_sequence_consistent(seq, [e, a, b, c, d])
        relu = nn.ReLU()
        seq.insert(-1, relu)  # list.insert's meaning: before the last
        _assert_sequence_consistent(seq, [e, a, b, c, relu, d])
        del seq[0]
        _assert_sequence_consistent(seq, [a, b, c, relu, d])
        del seq[-1]
        _assert_sequence_consistent(seq, [a, b, c, relu])
        del seq[1:3]
        _assert_sequence_consistent(seq, [a, relu])
        seq[1] = b
        _assert_sequence_consistent(seq, [a, b])
        seq[-2] = d
        _assert_sequence_consistent(seq, [d, b])
        seq.extend([c, e])
        _assert_sequence_consistent(seq, [d, b, c, e])
        del seq[::2]
        _assert_sequence_consistent(seq, [b, e])
        part = seq[1:]
        assert type(part) is cls
        if cls is nn.ModuleList:
            _assert_sequence_consistent(part, [e])
        else:  # a Sequential slice keeps the names
            assert list(part._modules) == ["1"] and part.__dict__["1"] is e
            _assert_mirrored(part)
        _assert_sequence_consistent(seq, [b, e])  # the slice left the original alone
        del seq[0:2]
        _assert_sequence_consistent(seq, [])
    blocks = nn.ModuleList([a])
    blocks += [b]
    _assert_sequence_consistent(blocks, [a, b])


def test_sequential_with_names_renumbers_attributes_on_delete_and_insert():
    fc, act, out = nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)
    seq = nn.Sequential(OrderedDict(fc=fc, act=act, out=out))
    assert seq.fc is fc and seq.__dict__["act"] is act
    _assert_mirrored(seq)
    del seq[1]  # renumbered like PyTorch: the old names and their mirrors go
    _assert_sequence_consistent(seq, [fc, out])
    for name in ("fc", "act", "out"):
        assert name not in vars(seq) and not hasattr(seq, name)
    seq2 = nn.Sequential(OrderedDict(fc=fc, out=out))
    seq2.insert(1, act)
    _assert_sequence_consistent(seq2, [fc, act, out])
    assert not hasattr(seq2, "fc")


def test_sequence_insert_refusal_changes_nothing():
    layers = [nn.Linear(2, 2), nn.ReLU()]
    for seq in (nn.Sequential(*layers), nn.ModuleList(layers)):
        with pytest.raises(TypeError, match=r"\.insert: expected a Module, got int"):
            seq.insert(0, 3)
        _assert_sequence_consistent(seq, layers)


def test_load_state_dict_and_dtype_conversions_keep_attribute_and_registry_together():
    tg.manual_seed(0)
    source = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    source(tg.randn(4, 2))  # running statistics move
    tg.manual_seed(1)
    target = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight, running_mean = target[0].weight, target[1].running_mean
    target.load_state_dict(source.state_dict())
    for mod in target.modules():
        _assert_mirrored(mod)
    assert target[0].weight is weight and target[0].__dict__["weight"] is weight
    assert target[1].running_mean is running_mean
    np.testing.assert_array_equal(np.asarray(target[0].weight), np.asarray(source[0].weight))
    np.testing.assert_array_equal(np.asarray(target[1].running_mean),
                                  np.asarray(source[1].running_mean))
    assert int(np.asarray(target[1].num_batches_tracked)) == 1
    for convert, dtype in [(lambda m: m.double(), np.float64), (lambda m: m.float(), np.float32),
                           (lambda m: m.to(np.float64), np.float64)]:
        assert convert(target) is target
        for mod in target.modules():
            _assert_mirrored(mod)
        assert target[0].weight is weight and target[0]._parameters["weight"].dtype == dtype
        assert target[0].weight.dtype == dtype and target[1].running_mean.dtype == dtype
        assert target[1].__dict__["running_var"].dtype == dtype


def test_copies_keep_their_own_mirrors():
    import pickle

    model = AutoEncoder()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        for mod, original in zip(clone.modules(), model.modules()):
            _assert_mirrored(mod)
            for name, value in vars(mod).items():
                if isinstance(value, (nn.Parameter, nn.Module)):
                    assert value is not vars(original)[name]
        assert clone.encoder.fc1.__dict__["weight"] is clone.encoder.fc1._parameters["weight"]
        np.testing.assert_array_equal(np.asarray(clone.encoder.fc1.weight),
                                      np.asarray(model.encoder.fc1.weight))


def test_dir_repr_and_traversal_are_unchanged_by_the_mirror():
    model = AutoEncoder()
    names = set(dir(model))
    assert {"encoder", "scale", "decoder", "forward", "training"} <= names
    assert len(dir(model)) == len(names)  # no duplicates from the mirror
    assert dir(model) == sorted(names)
    assert set(dir(model.decoder)) >= {"0", "1"}
    assert repr(model.encoder) == (
        "Encoder(  # 21 params\n"
        "  (fc1): Linear(in_features=4, out_features=3, bias=True)  # 15 params\n"
        "  (act): ReLU()\n"
        "  (fc2): Linear(in_features=3, out_features=2, bias=False)  # 6 params\n"
        ")")
    assert [n for n, _ in model.named_modules()] == [
        "", "encoder", "encoder.fc1", "encoder.act", "encoder.fc2", "decoder", "decoder.0",
        "decoder.1"]
    assert list(model.state_dict()) == [
        "scale", "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight",
        "decoder.0.weight", "decoder.0.bias"]

"""The bad-input matrix: every public entry point, fed a mistake users make, must raise a
specific exception whose message names the op or call, the offending shapes / dtypes / values,
and the fix. Each row is (id, call, exception type, op regex, detail regex, fix regex).

The second half checks that a call that raises leaves nothing half-updated (optimizer steps,
optimizer and module `load_state_dict`, BatchNorm's running statistics), and that NaN, inf and
empty (0-size) inputs that are legal flow through forward and backward like PyTorch.
"""

from __future__ import annotations

import copy
import io
import pickle
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim
from tinygrad_np.serialization import (
    CorruptCheckpointError,
    NotACheckpointError,
    PickleRefusedError,
)

T = tg.tensor


def r(*shape: int, dtype: Any = np.float32) -> tg.Tensor:
    return tg.Tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))


def p(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.ones(shape, dtype=np.float32))


def idx(*values: int) -> tg.Tensor:
    return T(np.array(values, dtype=np.int64))


def saved(tmp: Path, obj: Any = None) -> Path:
    path = tmp / "ckpt.npz"
    tg.save({"w": np.arange(64, dtype=np.float32)} if obj is None else obj, path)
    return path


def truncated(tmp: Path) -> Path:
    path = saved(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupted(tmp: Path) -> Path:
    """Damage the .npy header inside the archive's second member (the first is the manifest)."""
    path = saved(tmp)
    data = bytearray(path.read_bytes())
    at = data.index(b"NUMPY", data.index(b"NUMPY") + 1)
    data[at + 8: at + 20] = b"\xff" * 12
    path.write_bytes(bytes(data))
    return path


def pickle_file(tmp: Path) -> Path:
    path = tmp / "model.pkl"
    path.write_bytes(pickle.dumps({"w": np.ones(3)}))
    return path


def npz_with_pickle(tmp: Path) -> Path:
    path = tmp / "objects.npz"
    np.savez(path, w=np.array([{"evil": 1}], dtype=object))
    return path


def zip_with_pkl(tmp: Path) -> Path:
    path = tmp / "torch_like.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    return path


def text_file(tmp: Path) -> Path:
    path = tmp / "notes.npz"
    path.write_text("weights: 1 2 3\n")
    return path


def float_dim(op: str) -> Callable[[Path], Any]:
    """`r(2, 3).op(1.0)`: a float where a dim (an int) belongs."""
    return lambda _: getattr(r(2, 3), op)(1.0)


class NoSuperInit(nn.Module):
    def __init__(self) -> None:
        self.w = p(2)


class NoForward(nn.Module):
    pass


class Row(NamedTuple):
    id: str
    call: Callable[[Path], Any]
    exc: type[BaseException]
    op: str  # the op / call the message must name
    detail: str  # the offending shapes, dtypes or values
    fix: str  # what to do about it


SHAPE = "(?:shape|shapes)"
ROWS = [
    # ---- wrong shapes --------------------------------------------------------------------
    Row("matmul-inner", lambda _: r(2, 3) @ r(4, 5), ValueError,
        "matmul", r"\(2, 3\) and \(4, 5\)", "Transpose one operand"),
    Row("matmul-0d", lambda _: r(2, 3) @ T(2.0), ValueError,
        "matmul", r"\(2, 3\) and \(\)", r"use \* to multiply by a scalar"),
    Row("matmul-batch", lambda _: r(2, 3, 4) @ r(5, 4, 2), ValueError,
        "matmul", r"\(2, 3, 4\) and \(5, 4, 2\)", "equal or 1"),
    Row("matmul-vector", lambda _: r(3).matmul(r(4)), ValueError,
        "matmul", r"\(3,\) and \(4,\)", "Transpose|check the layer sizes"),
    Row("add-broadcast", lambda _: r(2, 3) + r(4, 3), ValueError,
        "add", r"\(2, 3\) and \(4, 3\)", "Reshape or unsqueeze"),
    Row("sub-broadcast", lambda _: r(2, 3) - r(2), ValueError,
        "sub", r"\(2, 3\) and \(2,\)", "Reshape or unsqueeze"),
    Row("mul-broadcast", lambda _: r(5, 1, 3) * r(2, 4), ValueError,
        "mul", r"\(5, 1, 3\) and \(2, 4\)", "Reshape or unsqueeze"),
    Row("div-broadcast", lambda _: r(3) / r(4), ValueError,
        "div", r"\(3,\) and \(4,\)", "Reshape or unsqueeze"),
    Row("pow-broadcast", lambda _: r(2, 3) ** r(3, 2), ValueError,
        "pow", r"\(2, 3\) and \(3, 2\)", "Reshape or unsqueeze"),
    Row("maximum-broadcast", lambda _: r(2, 3).maximum(r(4)), ValueError,
        "maximum", r"\(2, 3\) and \(4,\)", "Reshape or unsqueeze"),
    Row("where-broadcast", lambda _: tg.where(r(2, 3) > 0, r(2, 3), r(4)), ValueError,
        "where", r"\(2, 3\), \(2, 3\) and \(4,\)", "Reshape or unsqueeze"),
    Row("compare-broadcast", lambda _: r(2, 3) < r(4), ValueError,
        "less", r"\(2, 3\) and \(4,\)", "Reshape or unsqueeze"),
    Row("linear-width", lambda _: nn.Linear(3, 4)(r(5, 7)), ValueError,
        "linear", r"input of shape \(5, 7\).*weight of shape \(4, 3\)", "in_features = 3"),
    Row("sequential-width", lambda _: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 5))(r(1, 2)),
        ValueError, "linear", r"\(1, 3\).*\(5, 4\)", "Check the layer sizes"),
    Row("mse-target-shape", lambda _: F.mse_loss(r(4, 1), r(4)), ValueError,
        "mse_loss", r"target shape \(4,\) differs from input shape \(4, 1\)", "reshape"),
    Row("mse-module-target-shape", lambda _: nn.MSELoss()(r(4), r(4, 4)), ValueError,
        "mse_loss", r"\(4, 4\).*\(4,\)", "reshape the target"),
    Row("bce-target-shape", lambda _: nn.BCELoss()(r(4).sigmoid(), r(3)), ValueError,
        "binary_cross_entropy", r"\(3,\).*\(4,\)", "reshape"),
    Row("bce-logits-target-shape", lambda _: nn.BCEWithLogitsLoss()(r(4, 2), r(2, 4)),
        ValueError, "binary_cross_entropy_with_logits", r"\(2, 4\).*\(4, 2\)", "reshape"),
    Row("ce-target-shape", lambda _: F.cross_entropy(r(4, 3), idx(0, 1, 2)), ValueError,
        "cross_entropy", r"target shape \(3,\).*input shape \(4, 3\)", r"need shape \(4,\)"),
    Row("nll-target-shape", lambda _: nn.NLLLoss()(r(2, 3), idx(0, 1, 2)), ValueError,
        "nll_loss", r"\(3,\).*\(2, 3\)", r"need shape \(2,\)"),
    Row("ce-weight-shape", lambda _: F.cross_entropy(r(2, 3), idx(0, 1), weight=np.ones(4)),
        ValueError, "cross_entropy", r"\(4,\)", r"must have shape \(3,\), one per class"),
    Row("ce-no-class-dim", lambda _: F.cross_entropy(T(1.0), T(0)), ValueError,
        "cross_entropy", "0-d tensor", r"shape \(C,\), \(N, C\)"),
    Row("pos-weight-shape",
        lambda _: F.binary_cross_entropy_with_logits(r(2, 3), r(2, 3), pos_weight=np.ones(4)),
        ValueError, "binary_cross_entropy_with_logits", r"\(4,\).*\(2, 3\)", r"shape \(3,\)"),
    Row("layer-norm-shape", lambda _: nn.LayerNorm(4)(r(2, 3)), ValueError,
        "layer_norm", r"\(4,\).*\(2, 3\)", "must match the input's last dimensions"),
    Row("batchnorm-channels", lambda _: nn.BatchNorm1d(4)(r(2, 3)), ValueError,
        "BatchNorm1d", r"\(2, 3\) has 3 channels", "make num_features match"),
    Row("reshape", lambda _: r(2, 3).reshape(4, 2), ValueError,
        "reshape", r"size 6 into shape \(4,2\).*\(2, 3\)", "same number of elements"),
    Row("view", lambda _: r(2, 3).view(7), ValueError,
        "reshape", r"\(7,\).*\(2, 3\)", "-1 in one place"),
    Row("expand", lambda _: r(2, 3).expand(4, 3), ValueError,
        "expand", r"\(4,3\).*\(2, 3\)", "Only dimensions of size 1 can be expanded"),
    Row("broadcast_to", lambda _: r(2, 3).broadcast_to(2, 4), ValueError,
        "expand", r"\(2,4\).*\(2, 3\)", "reshape or unsqueeze"),
    Row("permute", lambda _: r(2, 3).permute(0, 0), ValueError,
        "permute", r"\(0, 0\).*\(2, 3\)", "exactly once"),
    Row("transpose-dim", lambda _: r(2, 3).transpose(0, 5), IndexError,
        "transpose", r"dim 5.*\(2, 3\)", r"use a dim in \[-2, 1\]"),
    Row("sum-dim", lambda _: r(2, 3).sum(3), IndexError,
        "sum", r"dim 3.*\(2, 3\)", r"use a dim in \[-2, 1\]"),
    Row("softmax-dim", lambda _: r(2, 3).softmax(2), IndexError,
        "softmax", r"dim 2.*\(2, 3\)", r"\[-2, 1\]"),
    Row("max-dim", lambda _: r(2, 3).max(5), IndexError,
        "max", r"dim 5.*\(2, 3\)", r"\[-2, 1\]"),
    Row("unsqueeze-dim", lambda _: r(2, 3).unsqueeze(5), IndexError,
        "unsqueeze", r"dim 5.*\(2, 3\)", r"\[-3, 2\]"),
    Row("flatten-dims", lambda _: r(2, 3, 4).flatten(2, 1), ValueError,
        "flatten", r"\(2, 3, 4\)", "start_dim <= end_dim"),
    Row("cat-shapes", lambda _: tg.cat([r(2, 3), r(2, 4)]), ValueError,
        "cat", r"\[\(2, 3\), \(2, 4\)\]", "same size in all other dimensions"),
    Row("cat-dim", lambda _: tg.cat([r(2)], dim=3), IndexError,
        "cat", r"dim 3.*\[\(2,\)\]", r"use a dim in \[-1, 0\]"),
    Row("stack-shapes", lambda _: tg.stack([r(2, 3), r(3, 3)]), ValueError,
        "stack", r"\(2, 3\), \(3, 3\)", "same shape"),
    Row("index-out-of-range", lambda _: r(2, 3)[5], IndexError,
        "getitem", r"index 5.*size 2.*\(2, 3\)", "valid indices are -n to n-1"),
    Row("index-too-many", lambda _: r(2, 3)[0, 0, 0], IndexError,
        "getitem", r"2-dimensional.*3 were indexed.*\(2, 3\)", "valid indices"),
    Row("backward-non-scalar", lambda _: (r(2, 3).requires_grad_() * 2).backward(), RuntimeError,
        r"backward\(\)", r"shape \(2, 3\)", r"pass gradient=|\.sum\(\)\.backward\(\)"),
    Row("backward-gradient-shape",
        lambda _: (r(2).requires_grad_() * 2).backward(np.ones(3)), RuntimeError,
        r"backward\(\)", r"\(3,\).*\(2,\)", "must match"),
    Row("item-non-scalar", lambda _: r(2).item(), ValueError,
        r"item\(\)", r"shape \(2,\)", r"\.sum\(\)|\.tolist\(\)"),
    Row("bool-non-scalar", lambda _: bool(r(2)), RuntimeError,
        r"bool\(\)", r"shape \(2,\)", r"\.any\(\) or \.all\(\)"),
    Row("len-0d", lambda _: len(T(1.0)), TypeError,
        r"len\(\)", r"0-d tensor \(shape \(\)\)", r"\.item\(\)"),
    Row("ragged-lists", lambda _: T([[1.0, 2.0], [3.0]]), ValueError,
        r"tensor\(\)", "different lengths", "pad them"),
    Row("module-load-shape",
        lambda _: nn.Linear(2, 3).load_state_dict({"weight": np.zeros((3, 3)),
                                                   "bias": np.zeros(3)}),
        RuntimeError, "loading state_dict for Linear", r"weight.*\(3, 3\).*\(3, 2\)",
        "same architecture"),
    Row("module-load-missing", lambda _: nn.Linear(2, 2).load_state_dict({"weight": np.eye(2)}),
        RuntimeError, "loading state_dict for Linear", 'Missing key.*"bias"', "strict=False"),
    Row("dataloader-lengths", lambda _: tg.data.DataLoader(np.zeros(3), np.zeros(4), batch_size=2),
        ValueError, "DataLoader", r"\[\(3,\), \(4,\)\]", "line up sample by sample"),
    # ---- wrong dtypes --------------------------------------------------------------------
    Row("int-requires-grad", lambda _: T([1, 2, 3], requires_grad=True), TypeError,
        "requires_grad", "int64", r"dtype=np\.float32|\.float\(\)"),
    Row("bool-requires-grad", lambda _: T([True, False]).requires_grad_(), TypeError,
        "requires_grad", "bool", r"\.float\(\)"),
    Row("int-zeros-requires-grad", lambda _: tg.zeros(2, dtype=np.int32, requires_grad=True),
        TypeError, "requires_grad", "int32", r"\.float\(\)"),
    Row("int-parameter", lambda _: nn.Parameter(T([1, 2])), TypeError,
        "Parameter", "int64", r"\.float\(\)"),
    Row("int-data-assign", lambda _: setattr(p(2), "data", np.array([1, 2])), TypeError,
        "Tensor.data", "int64", r"\.float\(\)"),
    Row("ce-float-class-targets", lambda _: F.cross_entropy(r(4, 3), T([0.0, 1.0, 2.0, 0.0])),
        TypeError, "cross_entropy", r"dtype float32 with shape \(4,\)", r"target\.long\(\)"),
    Row("ce-bool-class-targets", lambda _: nn.CrossEntropyLoss()(r(2, 3), T([True, False])),
        TypeError, "cross_entropy", "dtype bool", r"target\.long\(\)"),
    Row("ce-int-probabilities", lambda _: F.cross_entropy(r(4, 3), T(np.zeros((4, 3), int))),
        TypeError, "cross_entropy", r"\(4, 3\).*int64", r"for class indices give shape \(4,\)"),
    Row("nll-float-targets", lambda _: F.nll_loss(r(2, 3), T([0.0, 1.0])), TypeError,
        "nll_loss", "float32", r"target\.long\(\)"),
    Row("bce-int-targets", lambda _: F.binary_cross_entropy(r(4).sigmoid(), idx(0, 1, 1, 0)),
        TypeError, "binary_cross_entropy", "int64", r"target\.float\(\)"),
    Row("bce-logits-int-targets",
        lambda _: F.binary_cross_entropy_with_logits(r(2), idx(0, 1)), TypeError,
        "binary_cross_entropy_with_logits", "int64", r"target\.float\(\)"),
    Row("mse-int-input", lambda _: F.mse_loss(idx(1, 2), T([1.0, 2.0])), TypeError,
        "mse_loss", r"int64 \(shape \(2,\)\)", r"\.float\(\)"),
    Row("linear-int-input", lambda _: nn.Linear(2, 2)(T([[1, 2]])), TypeError,
        "linear", r"int64 \(shape \(1, 2\)\)", r"\.float\(\)"),
    Row("relu-int-input", lambda _: F.relu(idx(1, 2)), TypeError,
        "relu", "int64", r"\.float\(\)"),
    Row("one-hot-float", lambda _: F.one_hot(T([0.0, 1.0])), TypeError,
        "one_hot", "float32", r"\.long\(\)"),
    Row("float-index-array", lambda _: r(3)[np.array([0.0, 1.0])], IndexError,
        "indexing", "float64", r"\.long\(\)"),
    Row("unknown-dtype", lambda _: r(2).astype("float31"), TypeError,
        "astype", "'float31'", "np.float32"),
    Row("unknown-dtype-ctor", lambda _: T([1.0], dtype="foo"), TypeError,
        r"tensor\(\)", "'foo'", "np.float32"),
    Row("string-data", lambda _: T("abc"), TypeError,
        r"tensor\(\)", "<U3", "nested lists of numbers"),
    Row("init-int", lambda _: nn.init.normal_(idx(1, 2)), TypeError,
        r"nn\.init\.normal_", "int64", r"\.float\(\)"),
    Row("optimizer-int-param", lambda _: optim.SGD([idx(1, 2)], lr=0.1), TypeError,
        "SGD.add_param_group", "int64", "floating-point tensors"),
    Row("module-load-dtype",
        lambda _: nn.Linear(2, 3).load_state_dict({"weight": np.ones((3, 2)),
                                                   "bias": np.ones(3) * 1j}),
        RuntimeError, "loading state_dict for Linear", "bias.*complex128.*float32",
        r"astype\(np\.float32\)"),
    # ---- NaN and inf where a finite value is needed --------------------------------------
    Row("sgd-lr-nan", lambda _: optim.SGD([p(2)], lr=float("nan")), ValueError,
        "SGD", "lr=nan", "lr must be >= 0.0 and finite"),
    Row("sgd-lr-inf", lambda _: optim.SGD([p(2)], lr=float("inf")), ValueError,
        "SGD", "lr=inf", "and finite"),
    Row("sgd-momentum-inf", lambda _: optim.SGD([p(2)], lr=0.1, momentum=float("inf")),
        ValueError, "SGD", "momentum=inf", "and finite"),
    Row("adam-betas-nan", lambda _: optim.Adam([p(2)], betas=(float("nan"), 0.9)), ValueError,
        "Adam", r"betas\[0\]=nan", r"in \[0.0, 1.0\)"),
    Row("adam-weight-decay-inf", lambda _: optim.Adam([p(2)], weight_decay=float("inf")),
        ValueError, "Adam", "weight_decay=inf", "and finite"),
    Row("rmsprop-eps-inf", lambda _: optim.RMSprop([p(2)], eps=float("inf")), ValueError,
        "RMSprop", "eps=inf", "and finite"),
    Row("scheduler-gamma-nan",
        lambda _: optim.lr_scheduler.ExponentialLR(optim.SGD([p(2)], lr=0.1), gamma=float("nan")),
        ValueError, "ExponentialLR", "gamma=nan", ">= 0.0"),
    Row("label-smoothing-nan",
        lambda _: F.cross_entropy(r(2, 3), idx(0, 1), label_smoothing=float("nan")),
        ValueError, "cross_entropy", "got nan", r"in \[0, 1\]"),
    Row("dropout-p-nan", lambda _: F.dropout(r(2), p=float("nan")), ValueError,
        "dropout", "got nan", r"in \[0, 1\]"),
    Row("bce-nan-input", lambda _: F.binary_cross_entropy(T([float("nan"), 0.5]), T([0.0, 1.0])),
        ValueError, "binary_cross_entropy", r"\(2,\)\) holds NaN", "detect_anomaly"),
    Row("bce-inf-input", lambda _: F.binary_cross_entropy(T([float("inf"), 0.5]), T([0.0, 1.0])),
        ValueError, "binary_cross_entropy", "to inf", "binary_cross_entropy_with_logits"),
    Row("linear-nan-size", lambda _: nn.Linear(float("nan"), 2), ValueError,
        "Linear", "in_features.*nan", "non-negative int"),
    # ---- empty tensors (0-size dimensions) -----------------------------------------------
    Row("max-of-empty", lambda _: tg.zeros(0, 3).max(), ValueError,
        "amax", r"\(0, 3\)", "non-empty dim"),
    Row("argmax-of-empty", lambda _: tg.zeros(0, 3).argmax(), ValueError,
        "argmax", r"\(0, 3\)", "non-empty dim"),
    Row("max-along-empty-dim", lambda _: tg.zeros(0, 3).max(0), ValueError,
        "max", r"\(0, 3\)", "non-empty dim"),
    # (an empty batch gives an empty output, as PyTorch; one sample has no batch variance)
    Row("batchnorm-batch-of-one", lambda _: nn.BatchNorm1d(3)(tg.zeros(1, 3)), ValueError,
        "batch_norm", r"\(1, 3\)", r"batch of at least 2|model\.eval\(\)"),
    Row("cat-nothing", lambda _: tg.cat([]), ValueError,
        "cat", "non-empty sequence", "expected a non-empty sequence"),
    Row("negative-size", lambda _: tg.zeros(2, -1), ValueError,
        "zeros", r"\(2, -1\)", "sizes must be >= 0"),
    Row("negative-randn", lambda _: tg.randn(-3), ValueError,
        "randn", r"\(-3,\)", "sizes must be >= 0"),
    Row("negative-eye", lambda _: tg.eye(-2), ValueError,
        "eye", r"\(-2,\)", "sizes must be >= 0"),
    Row("arange-zero-step", lambda _: tg.arange(0, 5, 0), ValueError,
        "arange", "got 0", "use a positive step"),
    # ---- out-of-range class targets -----------------------------------------------------
    Row("ce-target-too-big", lambda _: F.cross_entropy(r(4, 3), idx(0, 1, 3, 0)), IndexError,
        "cross_entropy", "target 3 is out of bounds for 3 classes", r"in \[0, 2\]"),
    Row("ce-target-negative", lambda _: nn.CrossEntropyLoss()(r(4, 3), idx(0, 1, -1, 0)),
        IndexError, "cross_entropy", "target -1", r"in \[0, 2\].*ignore_index=-100"),
    Row("ce-spatial-target", lambda _: F.cross_entropy(r(2, 3, 4), T(np.full((2, 4), 7))),
        IndexError, "cross_entropy", "target 7 .*3 classes", r"in \[0, 2\]"),
    Row("nll-target-too-big", lambda _: F.nll_loss(r(4, 3), idx(0, 1, 5, 0)), IndexError,
        "nll_loss", "target 5", r"in \[0, 2\]"),
    Row("one-hot-negative", lambda _: F.one_hot(idx(0, -1)), ValueError,
        "one_hot", "got -1", r"must be non-negative"),
    # ---- invalid optimizer (and scheduler) arguments ------------------------------------
    Row("sgd-negative-lr", lambda _: optim.SGD([p(2)], lr=-1), ValueError,
        "SGD", "lr=-1", "lr must be >= 0.0"),
    Row("sgd-lr-string", lambda _: optim.SGD([p(2)], lr="0.1"), TypeError,
        "SGD", "str '0.1'", "must be a real number"),
    Row("sgd-nesterov", lambda _: optim.SGD([p(2)], lr=0.1, nesterov=True), ValueError,
        "SGD", "momentum=0.0, dampening=0.0", "needs momentum > 0 and dampening == 0"),
    Row("adam-betas-scalar", lambda _: optim.Adam([p(2)], betas=0.9), ValueError,
        "Adam", "got 0.9", r"a pair \(beta1, beta2\)"),
    Row("adam-beta2-one", lambda _: optim.Adam([p(2)], betas=(0.9, 1.0)), ValueError,
        "Adam", r"betas\[1\]=1.0", r"in \[0.0, 1.0\)"),
    Row("adamw-negative-eps", lambda _: optim.AdamW([p(2)], eps=-1e-8), ValueError,
        "AdamW", "eps=-1e-08", ">= 0.0"),
    Row("rmsprop-negative-alpha", lambda _: optim.RMSprop([p(2)], alpha=-0.1), ValueError,
        "RMSprop", "alpha=-0.1", ">= 0.0"),
    Row("optimizer-empty", lambda _: optim.SGD([], lr=0.1), ValueError,
        "SGD", "empty parameter list", r"model\.parameters\(\)"),
    Row("optimizer-set", lambda _: optim.Adam({p(2)}), TypeError,
        "Adam", "not a set", "a list"),
    Row("optimizer-single-tensor", lambda _: optim.SGD(p(2), lr=0.1), TypeError,
        "SGD", "got a Parameter", "wrap a single tensor"),
    Row("optimizer-non-leaf", lambda _: optim.SGD([p(2) * 2], lr=0.1), ValueError,
        "SGD.add_param_group", r"params\[0\] is not a leaf", r"detach\(\)\.requires_grad_\(\)"),
    Row("optimizer-duplicate", lambda _: (lambda q: optim.SGD([q, q], lr=0.1))(p(2)), ValueError,
        "SGD.add_param_group", "appears twice", "list each parameter once"),
    Row("optimizer-group-without-params", lambda _: optim.SGD([{"lr": 0.1}], lr=0.1), KeyError,
        "SGD.add_param_group", r"\['lr'\]", "'params' entry"),
    Row("optimizer-named-parameters",
        lambda _: optim.SGD(nn.Linear(2, 2).named_parameters(), lr=0.1), TypeError,
        "SGD.add_param_group", "is a tuple", r"not named_parameters\(\)"),
    Row("optimizer-load-not-a-dict", lambda _: optim.SGD([p(2)], lr=0.1).load_state_dict([1]),
        TypeError, "SGD.load_state_dict", "got a list", r"optimizer\.state_dict\(\)"),
    Row("scheduler-step-size", lambda _: optim.lr_scheduler.StepLR(optim.SGD([p(2)]), 0),
        ValueError, "StepLR", "got 0", "positive int"),
    Row("scheduler-not-optimizer", lambda _: optim.lr_scheduler.StepLR(3, 1), TypeError,
        "StepLR", "got int", "expected an Optimizer"),
    # ---- files: truncated, corrupted, pickle-carrying, not a checkpoint ------------------
    Row("load-truncated", lambda tmp: tg.load(truncated(tmp)), CorruptCheckpointError,
        r"load\('.*ckpt\.npz'\)", "truncated or damaged", "save it again"),
    Row("load-corrupted", lambda tmp: tg.load(corrupted(tmp)), CorruptCheckpointError,
        r"load\('.*ckpt\.npz'\)",
        r"Bad CRC-32 for file '(w|__tinygrad_np_manifest__)\.npy'|member 'w'", "save it again"),
    Row("load-pickle", lambda tmp: tg.load(pickle_file(tmp)), PickleRefusedError,
        r"load\('.*model\.pkl'\)", "is a pickle", r"arbitrary code.*tinygrad_np\.save"),
    Row("load-npz-with-pickle", lambda tmp: tg.load(npz_with_pickle(tmp)), PickleRefusedError,
        r"load\('.*objects\.npz'\)", r"member 'w' holds Python objects \(dtype object\)",
        r"tinygrad_np\.save"),
    Row("load-torch-like-zip", lambda tmp: tg.load(zip_with_pkl(tmp)), PickleRefusedError,
        r"load\('.*torch_like\.pt'\)", "data.pkl", "arbitrary code"),
    Row("load-text", lambda tmp: tg.load(text_file(tmp)), NotACheckpointError,
        r"load\('.*notes\.npz'\)", "not an .npz archive", "tinygrad_np.save or np.savez"),
    Row("load-empty-file-object", lambda _: tg.load(io.BytesIO(b"")), NotACheckpointError,
        "load", "empty", "tinygrad_np.save"),
    Row("load-missing", lambda tmp: tg.load(tmp / "nope.npz"), FileNotFoundError,
        "load", "nope.npz", "check the path"),
    Row("save-unpicklable", lambda tmp: tg.save({"f": object()}, tmp / "x.npz"), TypeError,
        "save", "object at 'f'", r"state_dict\(\)"),
    Row("save-missing-dir", lambda tmp: tg.save({}, tmp / "no" / "x.npz"), FileNotFoundError,
        "save", "does not exist", "os.makedirs"),
    # ---- other entry points -------------------------------------------------------------
    Row("manual-seed-string", lambda _: tg.manual_seed("a"), TypeError,
        "manual_seed", "got str 'a'", r"manual_seed\(0\)"),
    Row("inplace-on-leaf", lambda _: p(2).add_(1.0), RuntimeError,
        "add_", "leaf tensor that requires grad", "no_grad"),
    Row("setitem-on-leaf", lambda _: p(2).__setitem__(0, 1.0), RuntimeError,
        "__setitem__", "leaf tensor", "out-of-place"),
    Row("inplace-on-expand-view", lambda _: T([1.0, 2.0]).expand(3, 2).mul_(2), RuntimeError,
        "mul_", r"shape \(3, 2\)\) is read-only", r"\.clone\(\)"),
    Row("numpy-of-grad-tensor", lambda _: p(2).numpy(), RuntimeError,
        r"numpy\(\)", "requires grad", r"detach\(\)\.numpy\(\)"),
    Row("backward-without-graph", lambda _: r(2).sum().backward(), RuntimeError,
        r"backward\(\)", "does not require grad", "requires_grad=True"),
    Row("grad-unused-input", lambda _: tg.grad((p(2) * 2).sum(), [p(3)]), RuntimeError,
        r"grad\(\)", r"shape \(3,\)", "allow_unused=True"),
    Row("module-without-super-init", lambda _: NoSuperInit(), AttributeError,
        "NoSuperInit.w", "before Module.__init__", r"super\(\)\.__init__\(\)"),
    Row("module-without-forward", lambda _: NoForward()(r(2)), NotImplementedError,
        "NoForward.forward", "not defined", r"implement forward"),
    Row("sequential-non-module", lambda _: nn.Sequential(nn.ReLU, nn.Linear(2, 2)), TypeError,
        "Sequential", "argument 0", "instances, not classes"),
    Row("linear-negative-size", lambda _: nn.Linear(-1, 3), ValueError,
        "Linear", "in_features.*-1", "non-negative int"),
    Row("dropout-p", lambda _: nn.Dropout(1.5), ValueError,
        "Dropout", "1.5", r"in \[0, 1\]"),
    Row("gelu-approximate", lambda _: F.gelu(r(2), approximate="fast"), ValueError,
        "gelu", "'fast'", "'none' or 'tanh'"),
    Row("loss-reduction", lambda _: F.cross_entropy(r(2, 3), idx(0, 1), reduction="avg"),
        ValueError, "cross_entropy", "'avg'", "'mean', 'sum' or 'none'"),
    Row("clamp-no-bounds", lambda _: r(2).clamp(), ValueError,
        r"clamp\(\)", "", "give at least one of min and max"),
    Row("dataloader-batch-size", lambda _: tg.data.DataLoader(np.zeros(3), batch_size=0),
        ValueError, "DataLoader", "got 0", "positive integer"),
    Row("module-load-not-a-mapping", lambda _: nn.Linear(2, 2).load_state_dict([1]), TypeError,
        "load_state_dict", "got list", "mapping of names to tensors"),
    # ---- found by a differential fuzz against PyTorch ------------------------------------
    Row("reshape-negative-size", lambda _: r(2, 3).reshape(-2, 3), ValueError,
        r"reshape\(\)", r"size -2 at position 0 of shape \(-2, 3\)", "-1 in one place"),
    Row("view-negative-size", lambda _: r(2, 3).view(3, -5), ValueError,
        r"reshape\(\)", r"size -5 at position 1 of shape \(3, -5\)", "sizes must be >= 0"),
    Row("reshape-two-inferred", lambda _: r(2, 3).reshape(-1, -1), ValueError,
        r"reshape\(\)", r"\(-1, -1\) has -1 in 2 places", "give all but one of the sizes"),
    Row("view-float-size", lambda _: r(2, 3).view(2.0, 3), TypeError,
        r"reshape\(\)", r"float 2\.0 at position 0", r"convert with int\(\)"),
    Row("permute-float-dim", lambda _: r(2, 3).permute(1.0, 0), TypeError,
        r"permute\(\)", "dims must be ints, got float 1.0", r"convert with int\(\)"),
    Row("randn-float-size", lambda _: tg.randn(2.5), TypeError,
        r"randn\(\)", r"float 2\.5 at position 0", r"int\(\)"),
    Row("rand-float-size", lambda _: tg.rand(3, 2.0), TypeError,
        r"rand\(\)", r"float 2\.0 at position 1 of \(3, 2\.0\)", r"int\(\)"),
    Row("zeros-float-size", lambda _: tg.zeros((2, 2.5)), TypeError,
        r"zeros\(\)", r"float 2\.5", r"int\(\)"),
    Row("ones-bool-size", lambda _: tg.ones(True), TypeError,
        r"ones\(\)", "bool True", "must be ints"),
    Row("ones-string-size", lambda _: tg.ones("3"), TypeError,
        r"ones\(\)", "str '3'", "must be ints"),
    Row("full-float-size", lambda _: tg.full((2.5,), 1.0), TypeError,
        r"full\(\)", r"float 2\.5", r"int\(\)"),
    Row("full-bare-float-size", lambda _: tg.full(2.5, 1.0), TypeError,
        r"full\(\)", r"float 2\.5", r"int\(\)"),
    Row("randint-float-size", lambda _: tg.randint(0, 3, (2.5,)), TypeError,
        r"randint\(\)", r"float 2\.5", r"int\(\)"),
    Row("eye-float-size", lambda _: tg.eye(2, 2.5), TypeError,
        r"eye\(\)", r"float 2\.5 at position 1", r"int\(\)"),
    Row("negative-ones", lambda _: tg.ones(3, -1), ValueError,
        "ones", r"\(3, -1\)", "sizes must be >= 0"),
    Row("negative-rand", lambda _: tg.rand(-2), ValueError,
        "rand", r"\(-2,\)", "sizes must be >= 0"),
    Row("negative-full", lambda _: tg.full((2, -2), 1.0), ValueError,
        "full", r"\(2, -2\)", "sizes must be >= 0"),
    Row("negative-randint", lambda _: tg.randint(0, 3, (-1,)), ValueError,
        "randint", r"\(-1,\)", "sizes must be >= 0"),
    Row("cat-single-tensor", lambda _: tg.cat(r(2, 3)), TypeError,
        r"cat\(\)", r"single Tensor of shape \(2, 3\)", r"cat\(\[a, b\]\)"),
    Row("stack-single-tensor", lambda _: tg.stack(r(2, 3)), TypeError,
        r"stack\(\)", r"single Tensor of shape \(2, 3\)", r"stack\(list\(t\)\)"),
    Row("cat-single-array", lambda _: tg.cat(np.ones((2, 3))), TypeError,
        r"cat\(\)", r"single ndarray of shape \(2, 3\)", "pass a list or tuple"),
    Row("size-dim", lambda _: r(2, 3).size(5), IndexError,
        r"size\(\)", r"dim 5.*\(2, 3\)", r"use a dim in \[-2, 1\]"),
    Row("size-dim-0d", lambda _: T(1.0).size(0), IndexError,
        r"size\(\)", r"dim 0.*0-d tensor \(shape \(\)\)", r"size\(\) without a dim"),
    Row("grad-float-output", lambda _: tg.grad(1.0, p(2)), TypeError,
        r"grad\(\)", "outputs.*got float 1.0", "a Tensor or a sequence of Tensors"),
    Row("grad-non-tensor-input", lambda _: (lambda q: tg.grad(q.sum(), [q, 2.0]))(p(2)),
        TypeError, r"grad\(\)", r"inputs\[1\] is a float", "a Tensor or a sequence of Tensors"),
    *[Row(f"{op}-float-dim", float_dim(op), TypeError,
          rf"{op}\(\)", "dim must be .*got float 1.0", "an int or a tuple of ints")
      for op in ("sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "squeeze")],
    Row("sum-float-in-dims", lambda _: r(2, 3).sum((0, 1.0)), TypeError,
        r"sum\(\)", r"tuple \(0, 1\.0\)", "an int or a tuple of ints"),
    *[Row(f"{op}-float-dim", float_dim(op), TypeError,
          rf"{op}\(\)", "got 1.0", "dim must be one int")
      for op in ("softmax", "log_softmax", "max", "min", "argmax", "argmin")],
    Row("add-string", lambda _: r(2, 3) + "a", TypeError,
        r"add\(\)", r"type str \('a'\).*float32, shape \(2, 3\)", "use a number, a Tensor"),
    Row("radd-string", lambda _: "a" + r(2, 3), TypeError,
        r"add\(\)", r"type str \('a'\)", "use a number, a Tensor"),
    Row("mul-none", lambda _: r(2) * None, TypeError,
        r"mul\(\)", r"type NoneType \(None\)", "use a number, a Tensor"),
    Row("div-string", lambda _: idx(1, 2) / "a", TypeError,
        r"div\(\)", r"type str.*int64", "use a number, a Tensor"),
    Row("add-string-array", lambda _: r(2) + np.array(["a", "b"]), TypeError,
        r"add\(\)", "type ndarray", "numeric array"),
    Row("clamp-string", lambda _: r(2, 3).clamp("a"), TypeError,
        r"clamp\(\)", r"type str \('a'\).*float32", "use a number, a Tensor"),
    Row("where-string", lambda _: tg.where(r(2) > 0, r(2), "a"), TypeError,
        r"where\(\)", r"type str \('a'\)", "use a number, a Tensor"),
    Row("less-string", lambda _: r(2) < "a", TypeError,
        r"less\(\)", r"type str \('a'\)", "use a number, a Tensor"),
    Row("np-add-string", lambda _: np.add(r(2), "a"), TypeError,
        r"add\(\)", r"type str \('a'\)", "use a number, a Tensor"),
]


def test_rows_have_unique_ids() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 120


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_raises_a_specific_error_naming_op_detail_and_fix(
    row: Row, tmp_path: Path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(row.exc) as info:
            row.call(tmp_path)
    err = info.value
    assert not isinstance(err, AssertionError), "a bare assert is not an error message"
    message = str(err.args[0]) if isinstance(err, KeyError) else str(err)
    for part, pattern in (("op/call", row.op), ("shapes/dtypes", row.detail),
                          ("fix", row.fix)):
        assert re.search(pattern, message, re.S), (
            f"the message does not name the {part} (/{pattern}/):\n{message}"
        )
    # A NumPy traceback would surface NumPy's own wording without our context.
    assert "operands could not be broadcast together with shapes" not in message


# ---- nothing is left half-updated ---------------------------------------------------------
def _snapshot(opt: optim.Optimizer, params: list[tg.Tensor]) -> Any:
    return (
        [q.detach().numpy().copy() for q in params],
        {id(q): {k: (v.detach().numpy().copy() if isinstance(v, tg.Tensor) else v) for k,
                 v in s.items()}
         for q, s in opt.state.items()},
        copy.deepcopy([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]),
    )


def _assert_same(before: Any, after: Any) -> None:
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert before[1].keys() == after[1].keys()
    for key, state in before[1].items():
        assert state.keys() == after[1][key].keys()
        for k, v in state.items():
            np.testing.assert_array_equal(v, after[1][key][k])
    assert before[2] == after[2]


OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.01),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "adam", "adamw", "rmsprop"])
def test_a_refused_step_changes_no_parameter_and_no_state(make: Callable[..., Any]) -> None:
    rng = np.random.default_rng(3)
    params = [tg.Tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 2), (2,), (4,)]]
    opt = make(params)
    for q in params:
        q.grad = tg.Tensor(rng.standard_normal(q.shape))
    opt.step()  # some state exists now
    late = tg.Tensor(np.ones(5), requires_grad=True)
    opt.add_param_group({"params": [late]})
    before = _snapshot(opt, params + [late])

    def attempt(fix: Callable[[], None], exc: type[BaseException], pattern: str) -> None:
        for q in params:
            q.grad = tg.Tensor(rng.standard_normal(q.shape))
        late.grad = tg.Tensor(np.ones(5))
        fix()
        expected = ([q.detach().numpy().copy() for q in params + [late]], *before[1:])
        with pytest.raises(exc, match=pattern):
            opt.step()
        _assert_same(expected, _snapshot(opt, params + [late]))
        assert late not in opt.state

    # The bad parameter is the last one: every earlier one would have been updated first.
    # (Assigning a .grad of the wrong shape raises at once, as in PyTorch; the field is
    # written directly here to reach the optimizer's own check.)
    attempt(lambda: setattr(late, "_grad", tg.Tensor(np.ones((5, 1)))), ValueError,
            r"parameter 3 has shape \(5,\) but its \.grad has shape \(5, 1\).*Nothing was")
    attempt(lambda: setattr(late, "grad", tg.Tensor(np.ones(5, dtype=np.int64))), TypeError,
            r"parameter 3 has a gradient of type int64.*Nothing was updated")

    def stale_state() -> None:  # p.data replaced by another shape: its state no longer fits
        params[2].data = np.ones(7)
        params[2].grad = tg.Tensor(np.ones(7))

    attempt(stale_state, ValueError,
            r"parameter 2 has shape \(7,\) but its state '\w+' has shape \(4,\).*Nothing")
    assert len(opt.state) == 3


def test_a_refused_optimizer_load_state_dict_changes_nothing() -> None:
    params = [tg.Tensor(np.ones((2, 3)), requires_grad=True), tg.Tensor(np.ones(4),
                                                                        requires_grad=True)]
    opt = optim.Adam(params, lr=0.1)
    for q in params:
        q.grad = tg.Tensor(np.full(q.shape, 0.5))
    opt.step()
    good = opt.state_dict()
    before = _snapshot(opt, params)

    def variant(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        sd = copy.deepcopy({"state": {k: dict(v) for k, v in good["state"].items()},
                            "param_groups": [dict(g) for g in good["param_groups"]]})
        sd["param_groups"][0]["lr"] = 123.0  # would change the group if applied half-way
        edit(sd)
        return sd

    bad = [
        (lambda sd: sd["state"][1].update(exp_avg=np.ones(5)), ValueError, r"\(5,\).*\(4,\)"),
        (lambda sd: sd["state"][1].update(step=-1), ValueError, "non-negative whole number"),
        (lambda sd: sd["state"][1].update(momentum_buffer=np.ones(4)), KeyError,
         "unexpected entry 'momentum_buffer'"),
        (lambda sd: sd["state"][1].pop("exp_avg_sq"), KeyError, r"lacks \['exp_avg_sq'\]"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), ValueError, "invalid lr=-1.0"),
        (lambda sd: sd["param_groups"][0].update(betas=(0.9, float("inf"))), ValueError,
         r"betas\[1\]=inf"),
        (lambda sd: sd["state"].update({9: {}}), KeyError, "parameter index 9"),
    ]
    for edit, exc, pattern in bad:
        with pytest.raises(exc, match=pattern):
            opt.load_state_dict(variant(edit))
        _assert_same(before, _snapshot(opt, params))
    opt.load_state_dict(variant(lambda sd: None))
    assert opt.param_groups[0]["lr"] == 123.0


@pytest.mark.parametrize("bias", [np.ones(3) * 1j, np.array(["a", "b", "c"]), np.ones((1, 3))],
                         ids=["complex", "strings", "shape"])
def test_a_refused_module_load_state_dict_changes_no_parameter(bias: np.ndarray) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    # Keys are applied in order: every weight comes before the broken last bias.
    state = {k: np.full(v.shape, 7.0) for k, v in before.items()}
    state["2.bias"] = bias
    with pytest.raises(RuntimeError, match=r"mismatch for 2\.bias"):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])
    state["2.bias"] = np.arange(3)  # ints cast safely, like PyTorch's copy_
    model.load_state_dict(state)
    np.testing.assert_array_equal(np.asarray(model[2].bias), [0.0, 1.0, 2.0])
    assert model[2].bias.dtype == np.float32


def test_a_refused_batchnorm_batch_changes_no_running_statistic() -> None:
    for momentum in (0.1, None):
        bn = nn.BatchNorm1d(3, momentum=momentum)
        bn(tg.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3)))
        before = {k: v.detach().numpy().copy() for k, v in bn.state_dict().items()}
        with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
            bn(tg.ones(1, 3))
        for k, v in bn.state_dict().items():
            np.testing.assert_array_equal(np.asarray(v), before[k])
        assert int(np.asarray(bn.num_batches_tracked)) == 1
        # The cumulative average (momentum=None) still weights the second batch by 1/2.
        bn(tg.Tensor(np.zeros((4, 3), dtype=np.float32)))
        expected = 0.5 * before["running_mean"] if momentum is None \
            else 0.9 * before["running_mean"]
        np.testing.assert_allclose(np.asarray(bn.running_mean), expected, rtol=1e-6)
        assert int(np.asarray(bn.num_batches_tracked)) == 2


# ---- legal NaN, inf and empty inputs flow through like PyTorch ---------------------------
def test_nan_and_inf_inputs_propagate_like_pytorch_without_raising() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[np.nan, 0.5, -1.0], [np.inf, -np.inf, 2.0]])
    checks: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]] = [
        (lambda t: t.exp(), lambda t: t.exp()),
        (lambda t: t.relu(), lambda t: t.relu()),
        (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
        (lambda t: t.tanh(), lambda t: t.tanh()),
        (lambda t: t.softmax(1), lambda t: t.softmax(1)),
        (lambda t: t.log_softmax(1), lambda t: t.log_softmax(1)),
        (lambda t: t.logsumexp(1), lambda t: t.logsumexp(1)),
        (lambda t: t.sum(1), lambda t: t.sum(1)),
        (lambda t: t.amax(1), lambda t: t.amax(1)),
        (lambda t: t.clamp(-1, 1), lambda t: t.clamp(-1, 1)),
        (lambda t: F.cross_entropy(t, idx(1, 2), reduction="none"),
         lambda t: torch.nn.functional.cross_entropy(t, torch.tensor([1, 2]), reduction="none")),
        (lambda t: F.mse_loss(t, tg.zeros(2, 3, dtype=np.float64), reduction="none"),
         lambda t: torch.nn.functional.mse_loss(t, torch.zeros(2, 3, dtype=torch.float64),
                                                reduction="none")),
    ]
    with np.errstate(all="ignore"):
        for ours, theirs in checks:
            got = np.asarray(ours(tg.Tensor(x)))
            want = theirs(torch.tensor(x)).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12)  # NaN and inf in the same places


def test_empty_tensors_flow_through_forward_and_backward_like_pytorch() -> None:
    torch = pytest.importorskip("torch")
    cases: list[tuple[str, Callable[[Any], Any]]] = [
        ("sum", lambda t: t.sum()),
        ("sum0", lambda t: t.sum(0)),
        ("prod", lambda t: t.prod()),
        ("prod0", lambda t: t.prod(0)),
        ("softmax0", lambda t: t.softmax(0)),
        ("softmax1", lambda t: t.softmax(1)),
        ("log_softmax0", lambda t: t.log_softmax(0)),
        ("logsumexp0", lambda t: t.logsumexp(0)),
        ("matmul", lambda t: t @ (t.T if isinstance(t, tg.Tensor) else t.T)),
        ("matmul_inner", lambda t: (t.T if isinstance(t, tg.Tensor) else t.T) @ t),
        ("cat", lambda t: (tg.cat([t, t]) if isinstance(t, tg.Tensor) else torch.cat([t, t]))),
        ("index", lambda t: t[np.array([], dtype=np.int64)] if isinstance(t, tg.Tensor)
         else t[torch.tensor([], dtype=torch.int64)]),
        ("exp", lambda t: t.exp()),
    ]
    base = np.zeros((0, 3))
    with np.errstate(all="ignore"):
        for name, fn in cases:
            x = tg.Tensor(base, requires_grad=True)
            xt = torch.tensor(base, requires_grad=True)
            y, yt = fn(x), fn(xt)
            np.testing.assert_array_equal(np.asarray(y), yt.detach().numpy(), err_msg=name)
            w = np.arange(np.asarray(y).size, dtype=np.float64).reshape(y.shape) + 1
            (y * w).sum().backward()
            (yt * torch.tensor(w)).sum().backward()
            np.testing.assert_array_equal(np.asarray(x.grad), xt.grad.numpy(), err_msg=name)
            assert x.grad.shape == (0, 3)


def test_an_empty_list_index_selects_nothing_like_pytorch() -> None:
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    for index, shape in (([], (0, 3)), (([], 0), (0,)), ((0, []), (0,)), ((slice(None), []),
                                                                             (2, 0))):
        y = x[index]
        assert y.shape == shape and y.dtype == x.dtype
        (y * 2).sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), np.zeros((2, 3)))
        x.grad = None
    z = tg.zeros(2, 3)
    z[[]] = 5.0  # assigns nothing
    np.testing.assert_array_equal(np.asarray(z), np.zeros((2, 3)))


def test_empty_list_index_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    base = np.arange(6.0).reshape(2, 3)
    for index in ([], ([], 0), (0, []), (slice(None), [])):
        x = tg.Tensor(base, requires_grad=True)
        xt = torch.tensor(base, requires_grad=True)
        y, yt = x[index], xt[index]
        np.testing.assert_array_equal(np.asarray(y), yt.detach().numpy())
        assert y.shape == tuple(yt.shape)
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), xt.grad.numpy())


ARG_CASES = [((2, 3), None, True), ((2, 3), None, False), ((2, 3, 4), None, True),
             ((), None, True), ((), None, False), ((2, 3), 1, True), ((2, 3), -2, True),
             ((2, 3), 0, False), ((), 0, True), ((4,), 0, True)]


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_keepdim_shapes(op: str) -> None:
    values = np.array([[3.0, 9.0, 1.0], [7.0, 0.0, 5.0]])
    flat = {"argmax": 1, "argmin": 4}[op]
    got = getattr(tg.tensor(values), op)(None, keepdim=True)
    assert got.shape == (1, 1) and got.tolist() == [[flat]]
    assert getattr(tg.tensor(values), op)().shape == ()
    assert getattr(tg.zeros(2, 3, 4), op)(None, keepdim=True).shape == (1, 1, 1)
    assert getattr(tg.tensor(2.0), op)(None, keepdim=True).shape == ()


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim, keepdim", ARG_CASES)
def test_argmax_argmin_match_pytorch(op: str, shape: tuple[int, ...], dim: Any,
                                     keepdim: bool) -> None:
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(1).standard_normal(shape)
    got = getattr(tg.tensor(values), op)(dim, keepdim=keepdim)
    want = getattr(torch.tensor(values), op)(dim, keepdim=keepdim)
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(np.asarray(got), want.numpy())


def test_an_empty_batch_trains_without_error() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.1)
    x, y = tg.zeros(0, 3), T(np.zeros(0, dtype=np.int64))
    before = [q.detach().numpy().copy() for q in model.parameters()]
    loss = F.cross_entropy(model(x), y, reduction="sum")
    assert loss.item() == 0.0
    loss.backward()
    for q in model.parameters():
        np.testing.assert_array_equal(np.asarray(q.grad), 0.0)
    opt.step()  # a zero gradient: Adam's first step leaves the parameters where they were
    for a, q in zip(before, model.parameters()):
        np.testing.assert_array_equal(a, np.asarray(q))
    opt.zero_grad()
    with np.errstate(invalid="ignore"):
        mean = F.cross_entropy(model(x), y)  # 0 / 0, NaN like PyTorch
    assert np.isnan(mean.item())

"""Threads: grad mode and anomaly mode are per thread, and threads that train separate models
at the same time get exactly the parameters they would get one after the other."""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim


@contextmanager
def frequent_switches() -> Iterator[None]:
    """Make the interpreter switch threads every few bytecodes, to interleave them finely."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def run_threads(*targets: Callable[[], Any], timeout: float = 60.0) -> list[Any]:
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i: int, fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                results[i] = fn()
            except BaseException as err:  # re-raised in the main thread below
                errors.append(err)
        return run

    threads = [threading.Thread(target=wrap(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_grad_mode_is_per_thread_while_both_threads_run() -> None:
    barrier = threading.Barrier(2, timeout=10)
    seen: dict[str, Any] = {}

    def in_no_grad() -> None:
        with tg.no_grad():
            barrier.wait()  # the other thread records while this one is inside no_grad
            barrier.wait()
            x = tg.Tensor(np.ones(2), requires_grad=True)
            seen["no_grad_records"] = (x * 2).requires_grad
            seen["no_grad_enabled"] = tg.is_grad_enabled()

    def recording() -> None:
        barrier.wait()
        x = tg.Tensor(np.ones(2), requires_grad=True)
        y = (x * 3).sum()
        seen["records"] = y.requires_grad
        y.backward()
        seen["grad"] = np.asarray(x.grad).tolist()
        tg.set_grad_enabled(False)  # switched off for this thread only, and left off
        seen["after_switch"] = tg.is_grad_enabled()
        barrier.wait()

    run_threads(in_no_grad, recording)
    assert seen == {"no_grad_records": False, "no_grad_enabled": False, "records": True,
                    "grad": [3.0, 3.0], "after_switch": False}
    assert tg.is_grad_enabled()  # the main thread was never touched


def test_a_new_thread_starts_with_grad_on_and_anomaly_off() -> None:
    seen: dict[str, Any] = {}

    def fresh() -> None:
        seen["grad"] = tg.is_grad_enabled()
        x = tg.Tensor(np.array([-1.0]), requires_grad=True)
        with np.errstate(invalid="ignore"):
            seen["nan_passes"] = bool(np.isnan(np.asarray(x.log())).all())  # no anomaly check here

    with tg.no_grad(), tg.detect_anomaly():
        run_threads(fresh)
    assert seen == {"grad": True, "nan_passes": True}


def test_anomaly_mode_is_per_thread() -> None:
    barrier = threading.Barrier(2, timeout=10)

    def checked() -> str:
        with tg.detect_anomaly():
            barrier.wait()
            barrier.wait()
            with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError):
                tg.Tensor(np.array([-1.0]), requires_grad=True).log()
        return "raised"

    def unchecked() -> bool:
        barrier.wait()
        with np.errstate(invalid="ignore"):
            y = tg.Tensor(np.array([-1.0]), requires_grad=True).log()
        barrier.wait()
        return bool(np.isnan(np.asarray(y)).all())

    assert run_threads(checked, unchecked) == ["raised", True]


# ---- two models trained at once == one after the other --------------------------------------
def _job_a() -> tuple[nn.Module, Callable[[nn.Module], list[float]]]:
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 6)).astype(np.float32)
    y = x[:, :3].argmax(axis=1)

    def train(m: nn.Module) -> list[float]:
        opt = optim.Adam(m.parameters(), lr=0.02)
        losses = []
        for step in range(60):
            batch = slice((step * 16) % 48, (step * 16) % 48 + 16)
            opt.zero_grad()
            loss = F.cross_entropy(m(tg.Tensor(x[batch])), tg.Tensor(y[batch]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if step % 10 == 0:
                with tg.no_grad():  # evaluation: this thread only
                    m.eval()
                    m(tg.Tensor(x))
                    m.train()
        return losses

    return model, train


def _job_b() -> tuple[nn.Module, Callable[[nn.Module], list[float]]]:
    tg.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.LayerNorm(12), nn.Linear(12, 1))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 4))
    t = np.sin(x.sum(axis=1, keepdims=True))
    model.double()

    def train(m: nn.Module) -> list[float]:
        opt = optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        losses = []
        for _ in range(60):
            opt.zero_grad()
            out = m(tg.Tensor(x))
            loss = F.mse_loss(out, tg.Tensor(t)) + 1e-3 * sum((q * q).sum() for q in
                                                               m.parameters())
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return model, train


def _final_state(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_two_threads_training_at_once_match_running_them_one_after_the_other() -> None:
    (model_a, train_a), (model_b, train_b) = _job_a(), _job_b()
    seq_a, seq_b = copy.deepcopy(model_a), copy.deepcopy(model_b)
    losses_seq = [train_a(seq_a), train_b(seq_b)]

    with frequent_switches():
        losses_thr = run_threads(lambda: train_a(model_a), lambda: train_b(model_b))

    assert losses_thr == losses_seq
    for seq, thr in ((seq_a, model_a), (seq_b, model_b)):
        want, got = _final_state(seq), _final_state(thr)
        assert want.keys() == got.keys()
        for k in want:
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    assert losses_seq[0][-1] < losses_seq[0][0] and losses_seq[1][-1] < losses_seq[1][0]


def test_threads_differentiating_one_shared_model_each_get_the_exact_gradients() -> None:
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 2)).double()
    params = list(model.parameters())
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((6, 5)) for _ in range(4)]

    def grads(x: np.ndarray) -> list[np.ndarray]:
        out = []
        for _ in range(20):
            loss = (model(tg.Tensor(x)) ** 2).mean()
            out = [g.detach().numpy().copy() for g in tg.grad(loss, params)]
        return out

    expected = [grads(x) for x in inputs]
    with frequent_switches():
        got = run_threads(*[(lambda x=x: grads(x)) for x in inputs])
    for want, have in zip(expected, got):
        for a, b in zip(want, have):
            np.testing.assert_array_equal(a, b)
    assert all(q.grad is None for q in params)  # tg.grad leaves .grad alone


def test_the_process_wide_switch_counts_come_back() -> None:
    """Ops trust `switches` to skip the thread-local reads: after every kind of grad-mode and
    anomaly change, in several threads (one ends with grad off) and with an exception inside,
    the counts are back to 0 and an op records again."""
    from tinygrad_np.autograd.grad_mode import switches

    def churn() -> None:
        for _ in range(200):
            with tg.no_grad():
                with tg.enable_grad():
                    pass
            tg.set_grad_enabled(False)
            tg.set_grad_enabled(True)
            try:
                with tg.no_grad(), tg.autograd.detect_anomaly():
                    raise KeyError
            except KeyError:
                pass

    threads = [threading.Thread(target=churn) for _ in range(4)]
    threads.append(threading.Thread(target=tg.set_grad_enabled, args=(False,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (switches.grad_off, switches.watch) == ([], [])
    assert (tg.tensor([1.0], requires_grad=True) * 2).requires_grad

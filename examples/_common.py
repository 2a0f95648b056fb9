"""Plumbing shared by the three post examples: flags, optimizer choice, progress bar (tqdm when
installed), timing and evaluation. Their curves are drawn by `tinygrad_np.viz.plot_curves`
(a PNG with matplotlib, text curves in the terminal without it).

The examples stay readable top to bottom; only what all three repeat lives here.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import tinygrad_np as tg
from tinygrad_np import nn, optim

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


def add_training_args(parser: argparse.ArgumentParser, *, epochs: int, lr: float,
                      batch_size: int, optimizer: str = "sgd", plot: str) -> None:
    """The flags every example takes, with that example's defaults (the post's settings)."""
    parser.add_argument("--epochs", type=int, default=epochs, help="passes over the training set")
    parser.add_argument("--lr", type=float, default=lr, help="learning rate")
    parser.add_argument("--batch-size", type=int, default=batch_size,
                        help="minibatch size (0 = the whole training set: full-batch descent)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=optimizer,
                        help="sgd (plain), momentum (SGD, 0.9), adam or adamw")
    parser.add_argument("--weight-decay", type=float, default=0.0,
                        help="L2 penalty (decoupled for adamw)")
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                        help="learning rate over the epochs: constant, or cosine annealing to 0")
    parser.add_argument("--seed", type=int, default=0, help="seeds init and shuffling")
    parser.add_argument("--plot", default=plot,
                        help="PNG to write the curves to ('' for none; without matplotlib "
                             "they are printed as text)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="capture the training step once and replay it (tinygrad_np."
                             "compile: the same numbers; --no-compile runs it eagerly)")
    parser.add_argument("--fast", action="store_true",
                        help="a quick smoke run: few epochs on a subset (used by the tests)")


def describe(args: argparse.Namespace, *extra: str) -> str:
    """The training flags of a run as a command-line fragment (weight decay and the schedule
    only when they are not the defaults), for log lines, plot titles and the results table."""
    parts = [f"--optimizer {args.optimizer}", f"--lr {args.lr:g}",
             f"--batch-size {args.batch_size}", f"--epochs {args.epochs}"]
    if args.weight_decay:
        parts.append(f"--weight-decay {args.weight_decay:g}")
    if args.schedule != "constant":
        parts.append(f"--schedule {args.schedule}")
    parts += [f"--{name.replace('_', '-')} {getattr(args, name)}" for name in extra]
    return " ".join(parts)


def make_optimizer(name: str, params: Iterable[Any], lr: float,
                   weight_decay: float = 0.0) -> optim.Optimizer:
    """One of OPTIMIZERS over `params`."""
    params = list(params)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"make_optimizer: unknown optimizer {name!r}; choose one of {OPTIMIZERS}.")


def make_scheduler(name: str, optimizer: optim.Optimizer,
                   epochs: int) -> optim.lr_scheduler.LRScheduler | None:
    """None for a constant learning rate, or a scheduler to step once per epoch."""
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name != "constant":
        raise ValueError(f"make_scheduler: unknown schedule {name!r}; use constant or cosine.")
    return None


def make_step(model: nn.Module, loss_fn: Callable[[tg.Tensor, tg.Tensor], tg.Tensor],
              optimizer: optim.Optimizer, compiled: bool = True
              ) -> Callable[[tg.Tensor, tg.Tensor], tuple[tg.Tensor, tg.Tensor]]:
    """One update on a batch: forward, loss, backward, step; returns (loss, output). With
    `compiled` it is captured at its first call and replayed after (tinygrad_np.compile):
    the same numbers, bit for bit, without the eager per-op work."""

    def step(x: tg.Tensor, target: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        output = model(x)
        loss = loss_fn(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss, output

    return tg.compile(step) if compiled else step


def train_epoch(step: Callable[[tg.Tensor, tg.Tensor], tuple[tg.Tensor, tg.Tensor]],
                loader: Iterable[tuple[tg.Tensor, tg.Tensor]]) -> tuple[float, float]:
    """One pass of minibatch descent with `step` (make_step): (mean loss, accuracy) over the
    examples seen.

    Both come from the forward passes made for the updates (targets are class indices or
    one-hot rows), so they cost nothing extra; with full-batch descent they are exactly the
    training loss and accuracy before the step.
    """
    total = correct = 0.0
    count = 0
    for x, target in loader:
        loss, output = step(x, target)
        labels = target.numpy()
        labels = labels.argmax(axis=1) if labels.ndim > 1 else labels
        total += loss.item() * len(x)
        correct += float((output.detach().numpy().argmax(axis=1) == labels).sum())
        count += len(x)
    return total / count, correct / count


def init_linear_layers(model: nn.Module, scheme: str) -> None:
    """Re-initialise every Linear in `model` (after `tg.manual_seed`, so it is reproducible).

    'uniform': weights and biases U(-0.5, 0.5) (post 000); 'normal': N(0, 1) (post 001);
    'normal0.1': 0.1 N(0, 1) (post 002); 'xavier': Xavier-uniform weights, zero biases;
    'default': keep PyTorch's default init.
    """
    for layer in model.modules():
        if not isinstance(layer, nn.Linear):
            continue
        if scheme == "uniform":
            nn.init.uniform_(layer.weight, -0.5, 0.5)
            nn.init.uniform_(layer.bias, -0.5, 0.5)
        elif scheme in ("normal", "normal0.1"):
            std = 1.0 if scheme == "normal" else 0.1
            nn.init.normal_(layer.weight, 0.0, std)
            nn.init.normal_(layer.bias, 0.0, std)
        elif scheme == "xavier":
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
        elif scheme != "default":
            raise ValueError(f"init_linear_layers: unknown init scheme {scheme!r}.")


def predict(model: nn.Module, x: np.ndarray, chunk: int = 10000) -> np.ndarray:
    """Class predictions (argmax of the outputs) for the rows of `x`, without a graph."""
    with tg.no_grad():
        return np.concatenate([
            model(tg.from_numpy(x[i:i + chunk])).numpy().argmax(axis=1)
            for i in range(0, len(x), chunk)
        ])


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x) == y).mean())


class Progress:
    """A progress bar (per epoch, run, ...): tqdm when installed, otherwise ~ten log lines."""

    def __init__(self, total: int, desc: str, quiet: bool = False, unit: str = "epoch") -> None:
        self.total, self.desc, self.quiet, self.unit = total, desc, quiet, unit
        self._bar = None
        if not quiet:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False)
        self._done = 0

    def update(self, **stats: float) -> None:
        self._done += 1
        text = {k: f"{v:.4g}" for k, v in stats.items()}
        if self._bar is not None:
            self._bar.set_postfix(text, refresh=False)
            self._bar.update(1)
        elif not self.quiet and (self._done % max(1, self.total // 10) == 0
                                 or self._done == self.total):
            shown = "  ".join(f"{k} {v}" for k, v in text.items())
            print(f"{self.desc}: {self.unit} {self._done}/{self.total}  {shown}", flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds` (wall time, perf_counter)."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start

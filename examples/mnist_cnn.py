"""A small convolutional network on MNIST: over 99 % test accuracy in a few minutes on two CPU
cores, NumPy only.

The network is pytorch/examples' MNIST layout made lighter (pooling after each convolution):

    conv 1->32 3x3, ReLU, max-pool 2   (28 -> 26 -> 13)
    conv 32->64 3x3, ReLU, max-pool 2  (13 -> 11 -> 5)
    flatten 1600, linear 128, ReLU, dropout 0.25, linear 10 (logits)

trained with Adam (lr 1e-3, cosine-annealed to 0) on minibatches of 128, cross-entropy loss,
pixels normalised with MNIST's mean and std as in pytorch/examples.

    python examples/mnist_cnn.py                 # 4 epochs: 99.1 % test in 1.5 min
    python examples/mnist_cnn.py --fast          # a smoke run on a subset (the tests)

The curves go to mnist_cnn.png (--plot; git-ignored). Each convolution is one matmul over an
im2col copy of its input; see docs/benchmarks.md for its speed against PyTorch.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from _common import Progress, Stopwatch, describe, make_optimizer, make_scheduler, predict

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.data import DataLoader
from tinygrad_np.datasets import load_mnist
from tinygrad_np.viz import Curve, Panel, plot_curves

MEAN, STD = 0.1307, 0.3081  # MNIST's pixel mean and std (pytorch/examples' Normalize)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4, help="passes over the training set")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    parser.add_argument("--batch-size", type=int, default=128, help="minibatch size")
    parser.add_argument("--optimizer", choices=("sgd", "momentum", "adam", "adamw"),
                        default="adam", help="the optimizer")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty")
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="cosine",
                        help="learning rate over the epochs")
    parser.add_argument("--seed", type=int, default=0, help="seeds init, dropout, shuffling")
    parser.add_argument("--train-size", type=int, default=60000, help="first N train images")
    parser.add_argument("--test-size", type=int, default=10000, help="first N test images")
    parser.add_argument("--plot", default="mnist_cnn.png",
                        help="PNG for the curves ('' for none; text without matplotlib)")
    parser.add_argument("--data", default=None, help="directory with the MNIST IDX files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--fast", action="store_true", help="a smoke run: 1 epoch, a subset")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs, args.train_size, args.test_size = 1, 2000, 500
    return args


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def images(x: np.ndarray) -> np.ndarray:
    """(N, 784) pixels in [0, 1] -> normalised (N, 1, 28, 28) images."""
    return ((x - MEAN) / STD).astype(np.float32).reshape(-1, 1, 28, 28)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    # Chunks of 1000: the unfolded input of the second convolution is 1.4 MB per image.
    acc = float((predict(model, x, chunk=1000) == y).mean())
    model.train()
    return acc


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    x_train, y_train = images(x_train[:args.train_size]), y_train[:args.train_size]
    x_test, y_test = images(x_test[:args.test_size]), y_test[:args.test_size]

    tg.manual_seed(args.seed)
    model = build_model()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    loader = DataLoader(x_train, y_train, batch_size=args.batch_size, shuffle=True,
                        seed=args.seed)
    steps = args.epochs * len(loader)
    # The cosine schedule steps once per minibatch, so the rate falls smoothly to 0.
    scheduler = make_scheduler(args.schedule, optimizer, steps)
    history: dict[str, list[float]] = {"step": [], "loss": [], "epoch": [], "train_acc": [],
                                       "test_acc": []}
    start = time.perf_counter()
    with Stopwatch() as clock, Progress(steps, "mnist_cnn", args.quiet, unit="step") as bar:
        for epoch in range(1, args.epochs + 1):
            correct = seen = 0
            for x, target in loader:
                output = model(x)
                loss = loss_fn(output, target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                correct += int((np.asarray(output).argmax(axis=1) == np.asarray(target)).sum())
                seen += len(target)
                history["step"].append(len(history["step"]) + 1)
                history["loss"].append(loss.item())
                bar.update(loss=loss.item(), epoch=epoch)
            history["epoch"].append(epoch)
            history["train_acc"].append(correct / seen)
            history["test_acc"].append(evaluate(model, x_test, y_test))
            if not args.quiet:
                print(f"mnist_cnn: epoch {epoch}/{args.epochs}  train accuracy (during the "
                      f"epoch) {correct / seen:.2%}  test accuracy {history['test_acc'][-1]:.2%}"
                      f"  {time.perf_counter() - start:.0f} s", flush=True)
    test_acc = history["test_acc"][-1]

    flags = describe(args, "seed")
    # The per-step loss, smoothed over 50 steps so that the trend shows.
    window = min(50, len(history["loss"]))
    smooth = np.convolve(history["loss"], np.ones(window) / window, mode="valid")
    per_epoch = len(loader)
    panels = [
        Panel("training loss (cross-entropy, 50-step mean)", [
            Curve(list(smooth), [(s + window) / per_epoch for s in range(len(smooth))],
                  "train")], ylabel="loss"),
        Panel("accuracy", [
            Curve(history["train_acc"], history["epoch"], "train (during the epoch)"),
            Curve(history["test_acc"], history["epoch"], "test"),
        ], ylabel="accuracy", reference=(0.99, "99 %")),
    ]
    title = f"MNIST CNN (conv32-conv64-fc128)\n{flags}"
    plot = plot_curves(panels, args.plot, title) if args.plot else None
    if plot:
        print(f"mnist_cnn: curves written to {plot}")
    print(f"mnist_cnn: test accuracy {test_acc:.2%}, wall time {clock.seconds:.1f} s "
          f"[{args.epochs} epochs on {len(x_train)} images; {flags}]"
          + (f"; curves in {plot}" if plot else ""))
    return {"test_acc": test_acc, "seconds": clock.seconds, "flags": flags,
            "history": history, "plot": plot}


if __name__ == "__main__":
    main()

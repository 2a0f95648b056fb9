"""Post 001, a "from scratch" neural network on two moons: a 2-64-2 ReLU/softmax MLP trained by
minibatch gradient descent (batches of 10) with cross-entropy, repeated over seeds.

The post's settings are the defaults: make_moons(5000, noise=0.1, random_state=42) split 75/25,
weights and biases N(0, 1), 10 epochs of plain SGD on batches of 10 with step 1e-4 on the
*summed* batch gradient (lr 1e-3 on the mean loss used here). Over 100 repetitions it reported
mean test accuracy 0.945 (std 0.0196), and a sweep over 3 to 40 hidden units that reached about
0.98 with 30 to 40 units; `--sweep` redoes that sweep.

    python examples/post001_moons_relu.py                            # the post's settings
    python examples/post001_moons_relu.py --init default --lr 0.1    # PyTorch's init, larger lr
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from _common import (
    Progress,
    Stopwatch,
    accuracy,
    add_training_args,
    describe,
    init_linear_layers,
    make_optimizer,
    make_scheduler,
    make_step,
    train_epoch,
)

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.data import DataLoader, train_test_split
from tinygrad_np.datasets import make_moons
from tinygrad_np.viz import Curve, Panel, plot_curves

POST = {"mean": 0.94541, "std": 0.019558}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_args(parser, epochs=10, lr=1e-3, batch_size=10, plot="post001_moons_relu.png")
    parser.add_argument("--init", choices=("normal", "xavier", "default"), default="normal",
                        help="normal: N(0, 1) as in the post; xavier; default: PyTorch's")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units")
    parser.add_argument("--runs", type=int, default=10,
                        help="repetitions (seeds seed, seed+1, ...); the post used 100")
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--data-seed", type=int, default=42,
                        help="seed of make_moons and of the 75/25 split (the post: 42)")
    parser.add_argument("--sweep", action="store_true",
                        help="also sweep the hidden width from 3 to 40 units, as the post did")
    parser.add_argument("--sweep-trials", type=int, default=3, help="runs per width (post: 3)")
    parser.add_argument("--sweep-plot", default="post001_width_sweep.png",
                        help="PNG for the sweep ('' for none)")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs, args.runs, args.n_samples = min(args.epochs, 5), min(args.runs, 2), 800
    return args


def build_model(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def train_once(args: argparse.Namespace, data: list[np.ndarray], hidden: int,
               seed: int) -> tuple[float, list[float], list[float]]:
    """One run: (final test accuracy, loss per epoch, test accuracy per epoch)."""
    x_train, x_test, y_train, y_test = data
    tg.manual_seed(seed)
    model = build_model(hidden)
    init_linear_layers(model, args.init)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = make_scheduler(args.schedule, optimizer, args.epochs)
    loader = DataLoader(x_train, y_train, batch_size=args.batch_size or len(x_train),
                        shuffle=True, seed=seed)
    step = make_step(model, loss_fn, optimizer, args.compile)
    losses, accs = [], []
    for _ in range(args.epochs):
        losses.append(train_epoch(step, loader)[0])
        if scheduler is not None:
            scheduler.step()
        accs.append(accuracy(model, x_test, y_test))
    return accs[-1], losses, accs


def width_sweep(args: argparse.Namespace, data: list[np.ndarray]) -> dict[str, Any]:
    widths = list(range(3, 41))
    means, stds = [], []
    with Progress(len(widths), "post001 sweep", args.quiet, unit="width") as bar:
        for width in widths:
            accs = [train_once(args, data, width, args.seed + t)[0]
                    for t in range(args.sweep_trials)]
            means.append(float(np.mean(accs)))
            stds.append(float(np.std(accs)))
            bar.update(width=width, acc=means[-1])
    return {"widths": widths, "mean": means, "std": stds}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    x, y = make_moons(args.n_samples, noise=args.noise, seed=args.data_seed)
    data = train_test_split(x, y, test_size=0.25, seed=args.data_seed)

    finals, losses, accs = [], [], []
    with Stopwatch() as clock, Progress(args.runs, "post001", args.quiet, unit="run") as bar:
        for run in range(args.runs):
            final, loss_curve, acc_curve = train_once(args, data, args.hidden, args.seed + run)
            finals.append(final)
            losses.append(loss_curve)
            accs.append(acc_curve)
            bar.update(acc=final)
    mean, std = float(np.mean(finals)), float(np.std(finals))
    sweep = None
    if args.sweep:
        with Stopwatch() as sweep_clock:
            sweep = width_sweep(args, data)
        sweep["seconds"] = sweep_clock.seconds

    flags = describe(args, "init", "hidden")
    epochs = list(range(1, args.epochs + 1))
    loss_arr, acc_arr = np.array(losses), np.array(accs)
    loss_mean, acc_mean = loss_arr.mean(0), acc_arr.mean(0)
    panels = [
        Panel(f"training loss, mean and std over {args.runs} runs",
              [Curve(loss_mean, epochs, spread=loss_arr.std(0))], ylabel="cross-entropy"),
        Panel(f"test accuracy, mean and std over {args.runs} runs",
              [Curve(acc_mean, epochs, "ours", spread=acc_arr.std(0))], ylabel="accuracy",
              reference=(POST["mean"], "post: 0.945 mean")),
    ]
    title = f"post 001: 2-{args.hidden}-2 ReLU MLP on moons\n{flags}"
    plot = plot_curves(panels, args.plot, title) if args.plot else None
    if plot:
        print(f"post001: curves written to {plot}")
    sweep_plot = None
    if sweep is not None and args.sweep_plot:
        sweep_panel = Panel(f"test accuracy vs hidden width ({args.sweep_trials} runs each)",
                            [Curve(sweep["mean"], sweep["widths"], "mean", spread=sweep["std"])],
                            xlabel="hidden units", ylabel="accuracy")
        sweep_title = f"post 001 width sweep\n{flags.replace(f' --hidden {args.hidden}', '')}"
        sweep_plot = plot_curves([sweep_panel], args.sweep_plot, sweep_title)
    print(f"post001: test accuracy {mean:.4f} +- {std:.4f} over {args.runs} runs "
          f"(post: {POST['mean']:.3f} +- {POST['std']:.3f}), wall time {clock.seconds:.1f} s "
          f"[{flags}]")
    if sweep is not None:
        best = int(np.argmax(sweep["mean"]))
        print(f"post001 sweep: best {sweep['mean'][best]:.4f} at {sweep['widths'][best]} units, "
              f"{min(sweep['mean']):.4f} at worst, wall time {sweep['seconds']:.1f} s")
    return {"mean": mean, "std": std, "accs": finals, "seconds": clock.seconds, "flags": flags,
            "history": {"epoch": epochs, "loss": loss_mean.tolist(), "test_acc": acc_mean.tolist()},
            "sweep": sweep, "plot": plot, "sweep_plot": sweep_plot}


if __name__ == "__main__":
    main()

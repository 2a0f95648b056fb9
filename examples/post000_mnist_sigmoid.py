"""Post 000, "Coding a Neural Network from scratch": a 784-16-16-10 sigmoid/sigmoid/softmax MLP
trained by full-batch gradient descent on the first 30,000 MNIST training images.

The post's settings are the defaults: weights and biases U(-0.5, 0.5), cross-entropy on the
softmax, gradients averaged over all m = 30,000 examples, 500 epochs at lr 0.8; it reported
85.65 % test accuracy after a per-example Python loop of about 12 minutes. Here the same
computation is three batched matrix products per layer, and autodiff writes the backward pass.

    python examples/post000_mnist_sigmoid.py                  # the post's settings: ~90 %
    python examples/post000_mnist_sigmoid.py --optimizer adamw --lr 0.01 --batch-size 1000 \
        --weight-decay 0.2 --schedule cosine --init xavier    # same net and epochs: ~95.4 %

Full-batch descent, even with Adam, overfits the 30,000 images at about 93 % test accuracy;
minibatches of 1000 with decoupled weight decay and a cosine schedule pass 95 %.
"""

from __future__ import annotations

import argparse
from typing import Any

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
from tinygrad_np.data import DataLoader
from tinygrad_np.datasets import load_mnist
from tinygrad_np.viz import Curve, Panel, plot_curves

POST = {"test_acc": 0.8565, "train_acc": 0.8722}
# The post's cost curve, read off its chart at epochs 1, 25, 50, ..., 500.
POST_COST_EPOCHS = [1, *range(25, 501, 25)]
POST_COST = [2.507, 2.151, 1.836, 1.474, 1.212, 1.024, 0.898, 0.806, 0.737, 0.685, 0.643, 0.604,
             0.578, 0.554, 0.532, 0.509, 0.493, 0.484, 0.464, 0.45, 0.439]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_args(parser, epochs=500, lr=0.8, batch_size=0,
                      plot="post000_mnist_sigmoid.png")
    parser.add_argument("--init", choices=("uniform", "xavier", "default"), default="uniform",
                        help="uniform: U(-0.5, 0.5) as in the post; xavier; default: PyTorch's")
    parser.add_argument("--train-size", type=int, default=30000,
                        help="use the first N training images (the post: 30,000)")
    parser.add_argument("--test-size", type=int, default=10000, help="first N test images")
    parser.add_argument("--eval-every", type=int, default=10, help="test accuracy every N epochs")
    parser.add_argument("--data", default=None, help="directory with the MNIST IDX files")
    args = parser.parse_args(argv)
    if args.fast:
        args.epochs, args.train_size, args.test_size = min(args.epochs, 150), 3000, 2000
    return args


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 16), nn.Sigmoid(),
        nn.Linear(16, 16), nn.Sigmoid(),
        nn.Linear(16, 10),  # logits; CrossEntropyLoss applies the softmax
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    x_test, y_test = x_test[:args.test_size], y_test[:args.test_size]

    tg.manual_seed(args.seed)
    model = build_model()
    init_linear_layers(model, args.init)
    loss_fn = nn.CrossEntropyLoss()  # mean over the batch: the post's sum / m
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = make_scheduler(args.schedule, optimizer, args.epochs)
    batch_size = args.batch_size or len(x_train)  # 0: full batch, the post's gradient descent
    loader = DataLoader(x_train, y_train, batch_size=batch_size, shuffle=batch_size < len(x_train),
                        seed=args.seed)

    step = make_step(model, loss_fn, optimizer, args.compile)
    history: dict[str, list[float]] = {"epoch": [], "loss": [], "train_acc": [],
                                       "eval_epoch": [], "test_acc": []}
    with Stopwatch() as clock, Progress(args.epochs, "post000", args.quiet) as bar:
        for epoch in range(1, args.epochs + 1):
            loss, train_acc = train_epoch(step, loader)
            if scheduler is not None:
                scheduler.step()
            history["epoch"].append(epoch)
            history["loss"].append(loss)
            history["train_acc"].append(train_acc)
            if epoch % args.eval_every == 0 or epoch == args.epochs:
                history["eval_epoch"].append(epoch)
                history["test_acc"].append(accuracy(model, x_test, y_test))
            bar.update(loss=loss, train_acc=train_acc)
    train_acc = accuracy(model, x_train, y_train)
    test_acc = history["test_acc"][-1]

    flags = describe(args, "init", "seed")
    post_curve = [(e, c) for e, c in zip(POST_COST_EPOCHS, POST_COST) if e <= args.epochs]
    panels = [
        Panel("training loss (cross-entropy)", [
            Curve(history["loss"], history["epoch"], "ours"),
            Curve([c for _, c in post_curve], [e for e, _ in post_curve], "post (its chart)"),
        ], ylabel="loss"),
        Panel("accuracy", [
            Curve(history["train_acc"], history["epoch"], "train (during the epoch)"),
            Curve(history["test_acc"], history["eval_epoch"], "test"),
        ], ylabel="accuracy", reference=(POST["test_acc"], "post: 85.65 % test")),
    ]
    title = f"post 000: 784-16-16-10 sigmoid MLP\n{flags}"
    plot = plot_curves(panels, args.plot, title) if args.plot else None
    if plot:
        print(f"post000: curves written to {plot}")
    print(f"post000: train accuracy {train_acc:.2%}, test accuracy {test_acc:.2%} "
          f"(post: {POST['test_acc']:.2%}), wall time {clock.seconds:.1f} s "
          f"[{args.epochs} epochs on {len(x_train)} images; {flags}]")
    return {"train_acc": train_acc, "test_acc": test_acc, "seconds": clock.seconds,
            "flags": flags, "history": history, "plot": plot}


if __name__ == "__main__":
    main()

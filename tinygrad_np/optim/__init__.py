"""Optimizers with PyTorch's update rules, and learning-rate schedulers (`optim.lr_scheduler`).

    opt = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
"""

from . import lr_scheduler
from .adagrad_family import Adadelta, Adagrad, Adamax
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .nadam_radam import NAdam, RAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]

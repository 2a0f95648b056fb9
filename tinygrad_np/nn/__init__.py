"""Neural-network building blocks, PyTorch-style: `Module` and `Parameter`, layers,
activations, losses, `nn.functional` (as F) and `nn.init`."""

from . import functional, init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .activation_more import (
    CELU,
    ELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softsign,
    Tanhshrink,
)
from .batchnorm2d import BatchNorm2d
from .bilinear import Bilinear
from .container import ModuleList, Sequential
from .container_dict import ModuleDict, ParameterDict, ParameterList
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout
from .dropout2d import Dropout2d
from .embedding import Embedding
from .flatten import Flatten
from .linear import Dense, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .loss_more import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .unflatten import Unflatten

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dense", "Dropout",
    "Flatten", "GELU", "Identity", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax",
    "Softplus", "Tanh", "functional", "init", "utils",
    # convolutional networks
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm2d", "Conv1d",
    "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Dropout2d", "Embedding", "MaxPool1d",
    "MaxPool2d", "Unflatten",
    # issue 18: more activations
    "CELU", "ELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "PReLU", "ReLU6",
    "SELU", "SiLU", "Softsign", "Tanhshrink",
    "Bilinear", "CosineEmbeddingLoss", "GaussianNLLLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "MarginRankingLoss", "PoissonNLLLoss", "SmoothL1Loss", "TripletMarginLoss",
    "ModuleDict", "ParameterDict", "ParameterList",
]

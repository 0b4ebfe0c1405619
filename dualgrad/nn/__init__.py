"""Neural-network building blocks (``torch.nn``): ``Module``, ``Parameter``, layers,
activations, loss modules, containers, ``functional`` (activations, losses), ``init``
(parameter initialisation) and ``utils`` (gradient clipping)."""

from dualgrad.nn import functional, init, utils
from dualgrad.nn.activation import (
    ELU,
    GELU,
    Dropout,
    Hardtanh,
    LeakyReLU,
    ModuleList,
    ReLU6,
    SiLU,
    Softplus,
)
from dualgrad.nn.container import ModuleDict, ParameterDict, ParameterList
from dualgrad.nn.layers import Embedding, LayerNorm
from dualgrad.nn.modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Flatten,
    HuberLoss,
    Identity,
    KLDivLoss,
    L1Loss,
    Linear,
    LogSoftmax,
    Module,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SmoothL1Loss,
    Softmax,
    Tanh,
)
from dualgrad.nn.parameter import Parameter

__all__ = [
    "functional", "Parameter", "Module", "Linear", "Sequential", "Identity", "Flatten", "ReLU",
    "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "LeakyReLU", "ELU", "GELU", "SiLU",
    "Softplus", "Dropout", "ModuleList", "Hardtanh", "ReLU6", "init", "utils", "ModuleDict",
    "ParameterList", "ParameterDict", "Embedding", "LayerNorm", "SmoothL1Loss", "HuberLoss",
    "KLDivLoss",
]

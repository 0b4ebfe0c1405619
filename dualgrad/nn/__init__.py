"""Neural-network building blocks (``torch.nn``): ``Module``, ``Parameter``, layers,
activations, loss modules, and ``functional`` (activations, losses)."""

from dualgrad.nn import functional
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
from dualgrad.nn.modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Flatten,
    Identity,
    L1Loss,
    Linear,
    LogSoftmax,
    Module,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from dualgrad.nn.parameter import Parameter

__all__ = [
    "functional", "Parameter", "Module", "Linear", "Sequential", "Identity", "Flatten", "ReLU",
    "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "LeakyReLU", "ELU", "GELU", "SiLU",
    "Softplus", "Dropout", "ModuleList", "Hardtanh", "ReLU6",
]

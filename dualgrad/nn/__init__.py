"""Neural-network building blocks: ``functional`` (activations, losses)."""

from dualgrad.nn import functional

__all__ = ["functional"]

"""The op definitions, grouped by kind. Importing this package registers every op."""

from dualgrad.ops import activations, elementwise, linalg, nn, reduce, shape  # noqa: F401

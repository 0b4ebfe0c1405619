"""Named tuples returned by ops with several results, as in ``torch.return_types``."""

from __future__ import annotations

from typing import Any, NamedTuple


class MinMax(NamedTuple):
    """``(values, indices)`` returned by ``max(dim)`` / ``min(dim)``."""

    values: Any
    indices: Any

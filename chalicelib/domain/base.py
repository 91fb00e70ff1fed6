"""The base of the request, response and domain models."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Validators are built on a model's first use, not at import: a cold Lambda pays only for the
    models of the request it serves (measured by bench/cold_start.py)."""

    model_config = ConfigDict(defer_build=True)

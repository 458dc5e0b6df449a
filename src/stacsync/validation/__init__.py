"""Offline validation of STAC objects and catalogues against the official JSON schemas."""

from stacsync.validation.schemas import SchemaStore
from stacsync.validation.validator import Problem, StacValidator
from stacsync.validation.walk import Visit, walk

__all__ = ["Problem", "SchemaStore", "StacValidator", "Visit", "walk"]

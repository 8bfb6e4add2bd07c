"""The site registry: the document that names each site, its gateway, its login and its data."""

from .document import (
    REGISTRY_SCHEMA_PATH,
    RegistryError,
    load_registry,
    validate_registry,
)
from .hosts import host_warnings

__all__ = [
    "REGISTRY_SCHEMA_PATH",
    "RegistryError",
    "host_warnings",
    "load_registry",
    "validate_registry",
]

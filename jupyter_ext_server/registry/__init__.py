"""The site registry: the document that names each site, its gateway, its login and its data."""

from .document import (
    REGISTRY_SCHEMA_PATH,
    RegistryError,
    load_registry,
    validate_registry,
)

__all__ = ["REGISTRY_SCHEMA_PATH", "RegistryError", "load_registry", "validate_registry"]

"""Typed reading of the `config.toml` tables.

Every section of the configuration is a frozen dataclass with a ``from_mapping``
constructor; they all read their raw table through :class:`Table`, so that a wrong
value always stops start-up with the same kind of message: the dotted key and the
problem (``chat.history_size: must be an integer from 1 to 1000, got 'x'``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

__all__ = ["ConfigError", "Table"]

_T = TypeVar("_T")


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the key."""


class Table:
    """A TOML table being read, which knows its dotted path for error messages."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{path}: must be a table, got {type(raw).__name__}")
        self._raw: Mapping[str, Any] = raw
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self._raw

    def reject_unknown(self, known: Sequence[str]) -> None:
        """Refuse keys nobody reads: a typo must not silently fall back to a default."""
        unknown = sorted(set(self._raw) - set(known))
        if unknown:
            raise ConfigError(f"{self.key(unknown[0])}: unknown key (known: {', '.join(known)})")

    def table(self, name: str) -> Table:
        return Table(self._raw.get(name, {}), self.key(name))

    def tables(self, name: str) -> list[Table]:
        raw = self._raw.get(name, [])
        if not isinstance(raw, list):
            raise ConfigError(f"{self.key(name)}: must be an array of tables")
        return [Table(item, f"{self.key(name)}[{i}]") for i, item in enumerate(raw)]

    def _get(self, name: str, default: _T | None) -> object:
        if name in self._raw:
            return self._raw[name]
        if default is None:
            raise ConfigError(f"{self.key(name)}: missing")
        return default

    def integer(self, name: str, default: int | None = None, *, low: int, high: int) -> int:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{self.key(name)}: must be an integer from {low} to {high}, got {value!r}"
            )
        return value

    def number(self, name: str, default: float | None = None, *, low: float, high: float) -> float:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ConfigError(f"{self.key(name)}: must be a number from {low} to {high}, got {value!r}")
        return float(value)

    def boolean(self, name: str, default: bool | None = None) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(name)}: must be true or false, got {value!r}")
        return value

    def string(
        self, name: str, default: str | None = None, *, choices: Sequence[str] | None = None,
        max_length: int = 10_000, allow_empty: bool = False,
    ) -> str:
        value = self._get(name, default)
        if not isinstance(value, str):
            raise ConfigError(f"{self.key(name)}: must be a string, got {value!r}")
        if choices is not None and value not in choices:
            raise ConfigError(f"{self.key(name)}: must be one of {', '.join(choices)}, got {value!r}")
        if not allow_empty and not value.strip():
            raise ConfigError(f"{self.key(name)}: must not be empty")
        if len(value) > max_length:
            raise ConfigError(f"{self.key(name)}: longer than {max_length} characters")
        return value

    def strings(self, name: str, default: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self._get(name, list(default) if default is not None else None)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.key(name)}: must be an array of strings, got {value!r}")
        return tuple(value)

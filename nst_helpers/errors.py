"""Typed errors. Each message says what went wrong *and* how to fix it."""

from __future__ import annotations


class NSTError(Exception):
    """Base class of every error this package raises on purpose."""


class ImageError(NSTError, ValueError):
    """An image could not be read, or is unusable (too small, not an image, ...)."""


class ConfigError(NSTError, ValueError):
    """A setting is out of range or names something that does not exist."""


class SettingNameError(ConfigError, TypeError):
    """A keyword that is not a setting (a typo such as ``stepz=``), or a setting given by position."""


class LayerNameError(ConfigError, KeyError):
    """A layer name is unknown for the chosen network."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class WeightsError(NSTError, RuntimeError):
    """No usable VGG weights could be found."""


class NonFiniteError(NSTError, FloatingPointError):
    """A loss or gradient became NaN or infinite."""

"""Production: base settings, everything else from the environment."""

from .base import *  # noqa: F403

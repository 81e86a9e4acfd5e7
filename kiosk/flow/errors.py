"""Errors the flows show to people, in their language."""

from __future__ import annotations

from kiosk.errors import KioskError


class FlowError(KioskError):
    """A step that cannot be taken now, with a sentence for the screen."""

    code = "flow"


class WrongStep(FlowError, RuntimeError):
    """A screen asked for a step the flow is not at (a programming error, not a user one)."""

    code = "wrong_step"

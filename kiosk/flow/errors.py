"""Errors the flows show to people, in their language."""

from __future__ import annotations

from ektp.errors import RekamError


class FlowError(RekamError):
    """A step that cannot be taken now, with a sentence for the screen."""

    code = "flow"
    domain = "kiosk"


class WrongStep(FlowError, RuntimeError):
    """A screen asked for a step the flow is not at (a programming error, not a user one)."""

    code = "wrong_step"

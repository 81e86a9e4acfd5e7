"""The edge controller's error root: every error of ours in ``edge_controller`` inherits it.

Subclasses also inherit the matching builtin where one fits (``RuntimeError``,
``ValueError``), so a caller that catches the builtin keeps working.
"""

from __future__ import annotations

from ektp.errors import RekamError


class EdgeError(RekamError):
    """Root of the edge controller's own errors."""

    code = "edge"
    domain = "edge_controller"

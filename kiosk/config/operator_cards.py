"""``[operator_cards]``: which office CA issues operator cards, and its revocation list
(``kiosk.operator_trust`` checks the cards against them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection


class OperatorCardSettings(ConfigSection):
    """``[operator_cards]``: how the booth checks that an operator card is the office's."""

    issuer_cert_path: Path | None = Field(
        default=None,
        description="The office CA certificate(s) (PEM) that issue operator cards; "
        "empty: the edge link's office CA (edge.ca_cert_path). No CA at all: no card logs in.",
    )
    crl_path: Path | None = Field(
        default=None,
        description="The office CA's revocation list (PEM, crl.pem); a card it lists is "
        "refused. Empty: no list (a revoked card logs in until its certificate expires).",
    )

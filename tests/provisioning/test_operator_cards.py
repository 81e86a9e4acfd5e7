"""``rekam-provision operator issue|revoke``: the office certifies a card's public key, the
booth's own check accepts it, and after a revoke the office CRL makes the booth refuse it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from provisioning_cli_fixtures import init_test_office

from ektp.pki import CardNotGenuine, verify_operator_certificate
from kiosk.config.booth import BoothConfig
from kiosk.operator_trust import OperatorCardTrust
from provisioning.cli import main
from provisioning.inventory import OfficeSettings
from provisioning.layout import BoothLayout
from provisioning.office import OfficeDirectory, booth_config, booth_config_toml, init_office


@pytest.fixture
def office(tmp_path: Path) -> OfficeDirectory:
    return init_test_office(tmp_path)


def card_public_key(path: Path) -> Path:
    """A fresh PIV card's slot 9A public key as yubico-piv-tool saves it (PEM, P-256)."""
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def provision(office: OfficeDirectory, *args: str) -> int:
    return main(["--quiet", "--lang", "en", "--office", str(office.root), *args])


def issue(office: OfficeDirectory, tmp_path: Path, operator_id: str, out: str) -> Path:
    certificate = tmp_path / out
    status = provision(
        office,
        "operator",
        "issue",
        "--operator-id",
        operator_id,
        "--name",
        "Rina Wulandari",
        "--card-public-key",
        str(card_public_key(tmp_path / f"{operator_id}.pub")),
        "--out",
        str(certificate),
    )
    assert status == 0
    return certificate


def booth_trust(office: OfficeDirectory) -> OperatorCardTrust:
    """What a booth checks with: the office CA it got, the CRL provisioning installed."""
    return OperatorCardTrust(office.ca_dir / "ca.crt", office.edge_dir / "tls" / "crl.pem")


def booth_check(trust: OperatorCardTrust, certificate_der: bytes) -> str:
    issuers = trust.issuers()
    operator = verify_operator_certificate(
        certificate_der, issuers, revoked_serials=trust.revoked_serials(issuers)
    )
    return operator.operator_id


def test_an_issued_card_passes_the_booth_check_until_the_office_revokes_it(
    office: OfficeDirectory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    der = issue(office, tmp_path, "OP-0042", "op-0042.der").read_bytes()
    other = x509.load_pem_x509_certificate(
        issue(office, tmp_path, "OP-0043", "op-0043.pem").read_bytes()
    ).public_bytes(serialization.Encoding.DER)
    trust = booth_trust(office)
    assert booth_check(trust, der) == "OP-0042"
    assert booth_check(trust, other) == "OP-0043"

    assert provision(office, "operator", "revoke", "--operator-id", "OP-0042") == 0
    with pytest.raises(CardNotGenuine) as refused:
        booth_check(trust, der)
    assert refused.value.reason == "revoked"
    assert booth_check(trust, other) == "OP-0043", "only the revoked operator is refused"

    serial = x509.load_der_x509_certificate(other).serial_number
    assert provision(office, "operator", "revoke", "--serial", hex(serial)) == 0
    with pytest.raises(CardNotGenuine):
        booth_check(trust, other)
    capsys.readouterr()
    assert provision(office, "operator", "revoke", "--serial", str(serial)) == 0
    assert "Nothing changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["revoke", "--operator-id", "OP-9999"], "issued no operator card"),
        (["revoke", "--serial", "12345"], "No operator card with serial"),
        (["revoke", "--serial", "twelve"], "not a number"),
        (
            ["issue", "--operator-id", "OP 1", "--name", "X", "--card-public-key", "{key}"],
            "not valid",
        ),
        (
            ["issue", "--operator-id", "OP-1", "--name", "X", "--card-public-key", "{bad}"],
            "is not a public key",
        ),
        (
            ["issue", "--operator-id", "OP-1", "--name", "X", "--card-public-key", "{ec}"],
            "not a P-256 key",
        ),
    ],
    ids=["unknown-id", "unknown-serial", "bad-serial", "bad-id", "not-a-key", "wrong-key-type"],
)
def test_bad_input_gets_a_sentence_and_no_certificate(
    office: OfficeDirectory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    complaint: str,
) -> None:
    (tmp_path / "bad.pub").write_text("hello\n", encoding="utf-8")
    (tmp_path / "ec.pub").write_bytes(  # a key of the wrong type: Ed25519
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    paths = {
        "key": str(card_public_key(tmp_path / "card.pub")),
        "bad": str(tmp_path / "bad.pub"),
        "ec": str(tmp_path / "ec.pub"),
    }
    out = tmp_path / "card.der"
    argv = [a.format(**paths) for a in args]
    if argv[0] == "issue":
        argv += ["--out", str(out)]
    assert provision(office, "operator", *argv) == 1
    assert complaint in capsys.readouterr().err
    assert not out.exists()


def test_the_booth_toml_points_the_kiosk_at_the_crl_provisioning_installs(
    office: OfficeDirectory, tmp_path: Path
) -> None:
    settings = office.load_inventory().office
    config = BoothConfig.model_validate(
        tomllib.loads(
            booth_config_toml(booth_config(office, settings, "booth-07", "10.0.0.17", 2207))
        )
    )
    layout = BoothLayout("booth-07", settings.root_for("10.0.0.17", 2207))
    assert config.operator_cards.crl_path == tmp_path / "units/2207/etc/rekam/tls/crl.pem"
    assert layout.ansible_vars()["rekam_tls_crl_path"] == str(config.operator_cards.crl_path)

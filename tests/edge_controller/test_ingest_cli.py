"""``rekam-edge``'s commands: the default config, the development CA, booth registration."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from edge_controller.booths.monitor import booth_public_key, registered_booths
from edge_controller.cli import main
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.db import connect
from kiosk.keys import load_or_create_signing_key, public_key_pem


def test_default_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print-default-config"]) == 0
    text = capsys.readouterr().out
    config = EdgeConfig.model_validate(tomllib.loads(text))
    assert "test_hook" not in text  # no test fields in the product's config
    assert config.queue.ticket_prefix == "A"


def test_ca_issues_booth_and_edge_identities_and_booth_keys_register(tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    assert main(["ca", "init", "--dir", str(ca), "--office", "Kecamatan Gunung Tabur"]) == 0
    assert (
        main(
            [
                "ca",
                "issue-booth",
                "--dir",
                str(ca),
                "--id",
                "booth-01",
                "--out",
                str(tmp_path / "b1"),
            ]
        )
        == 0
    )
    assert main(["ca", "issue-edge", "--dir", str(ca), "--out", str(tmp_path / "edge")]) == 0
    assert (tmp_path / "b1" / "booth-01.crt").exists()
    assert (tmp_path / "edge" / "edge.key").stat().st_mode & 0o077 == 0
    assert (
        main(["ca", "revoke", "--dir", str(ca), "--cert", str(tmp_path / "b1" / "booth-01.crt")])
        == 0
    )
    assert (
        main(["ca", "issue-booth", "--dir", str(ca), "--id", "edge", "--out", str(tmp_path / "x")])
        == 2
    )

    key = load_or_create_signing_key(tmp_path / "booth-signing.pem")
    (tmp_path / "booth-01.pub").write_bytes(public_key_pem(key))
    config = tmp_path / "edge.toml"
    config.write_text(
        f'[mqtt]\nidentity = "edge"\nca_cert_path = "{ca}/ca.crt"\n'
        f'cert_path = "{tmp_path}/edge/edge.crt"\nkey_path = "{tmp_path}/edge/edge.key"\n'
        f'[database]\npath = "{tmp_path}/edge.sqlite3"\n',
        encoding="utf-8",
    )
    command = ["booth", "register", "--config", str(config), "--id", "booth-01"]
    assert main([*command, "--public-key", str(tmp_path / "booth-01.pub")]) == 0
    assert main([*command, "--public-key", str(tmp_path / "edge" / "edge.crt")]) == 2  # not a key

    conn = connect(tmp_path / "edge.sqlite3")
    try:
        assert registered_booths(conn) == ["booth-01"]
        stored = booth_public_key(conn, "booth-01")
        assert stored is not None
        assert stored.public_bytes_raw() == key.public_key().public_bytes_raw()
    finally:
        conn.close()

"""``rekam-provision`` speaks Indonesian unless told ``--lang en`` (the technician's catalog
is ``provisioning/locale``): an unknown booth, a missing office, the status table's
heading, the second ``office init`` that changes nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from provisioning_cli_fixtures import central_public_key_file

from ektp.i18n import translate
from provisioning.cli import _parser
from provisioning.cli_help import help_texts
from tests.cli_run import run_module


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("provisioning.cli", *args)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("office-language")
    key = root / "id_ed25519"
    key.write_text("not used by office init\n")
    init = [
        "--office", str(root / "office"), "office", "init", "--name", "Kecamatan Uji",
        "--edge-host", "127.0.0.1", "--ssh-key", str(key),
        "--central-public-key", str(central_public_key_file(root / "central.pem")),
    ]  # fmt: skip
    first = provision(*init)
    assert first.returncode == 0, first.stderr
    return root / "office"


def test_a_missing_office_is_named_in_indonesian_first(tmp_path: Path) -> None:
    where = str(tmp_path / "nowhere")
    indonesian = provision("--office", where, "booth", "status")
    english = provision("--lang", "en", "--office", where, "booth", "status")
    assert (indonesian.returncode, english.returncode) == (1, 1)
    assert indonesian.stderr == (
        f"rekam-provision: Tidak ada kantor di {where}: jalankan dulu `rekam-provision office "
        "init` (atau berikan --office DIR).\n"
    )
    assert english.stderr.startswith(f"rekam-provision: No office in {where}: run ")


def test_an_unknown_booth(office: Path) -> None:
    indonesian = provision("--office", str(office), "booth", "update", "booth-99")
    english = provision("--lang", "en", "--office", str(office), "booth", "update", "booth-99")
    assert indonesian.returncode == english.returncode == 1
    assert indonesian.stderr == "rekam-provision: booth-99 tidak ada di inventaris\n"
    assert english.stderr == "rekam-provision: booth-99 is not in the inventory\n"


def test_the_status_table_heading(office: Path) -> None:
    indonesian = provision("--office", str(office), "booth", "status")
    english = provision("--lang", "en", "--office", str(office), "booth", "status")
    assert indonesian.returncode == english.returncode == 0, indonesian.stderr
    heading = next(line for line in indonesian.stdout.splitlines() if line.strip())
    assert re.split(r"\s{2,}", heading.strip()) == [
        "bilik", "host", "versi", "kesehatan", "antrean kirim", "terakhir terlihat", "keterangan"
    ]  # fmt: skip
    heading = next(line for line in english.stdout.splitlines() if line.strip())
    assert re.split(r"\s{2,}", heading.strip()) == [
        "booth", "host", "version", "health", "outbox", "last seen", "detail"
    ]  # fmt: skip


def test_office_init_again_changes_nothing_and_says_so(office: Path, tmp_path: Path) -> None:
    init = office.parent / "id_ed25519", office.parent / "central.pem"
    again = provision(
        "--office", str(office), "office", "init", "--name", "Kecamatan Uji",
        "--edge-host", "127.0.0.1", "--ssh-key", str(init[0]), "--central-public-key", str(init[1]),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"Kantor Kecamatan Uji di {office}:" in again.stdout
    assert "  tetap  " in again.stdout
    assert "Tidak ada yang berubah: kantor sudah disiapkan." in again.stdout


def test_the_help_is_in_indonesian_first_and_every_text_is_translated() -> None:
    indonesian = provision("edge", "install", "--help")
    english = provision("--lang", "en", "edge", "install", "--help")
    assert indonesian.stdout.startswith("cara pakai: rekam-provision edge install")
    assert "NUT untuk UPS kantor (upsd hanya di loopback)" in " ".join(indonesian.stdout.split())
    assert "tampilkan pesan bantuan ini lalu keluar" in indonesian.stdout
    assert english.stdout.startswith("usage: rekam-provision edge install")
    assert "show this help message and exit" in english.stdout
    untranslated = [
        text
        for text in help_texts(_parser())
        if translate(text, "id", domain="provisioning") == text
        or set(re.findall(r"\{\w+\}|%\(\w+\)", translate(text, "id", domain="provisioning")))
        != set(re.findall(r"\{\w+\}|%\(\w+\)", text))
    ]
    assert untranslated == []

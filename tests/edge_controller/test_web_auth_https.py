"""The dashboard as the office network meets it: HTTPS with the office CA's certificate,
plain HTTP redirected, cookies that stay in HTTPS, and a parallel guessing burst locked."""

from __future__ import annotations

import asyncio
import socket
import ssl
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from web_fixtures import OPERATOR, SUPERVISOR, Office, csrf_from
from web_tls_fixtures import (
    OfficeTls,
    issue_dashboard_certificate,
    office_trust,
    served_dashboard,
    tls_web_config,
)

from edge_controller.config.web import WebConfig
from edge_controller.web.serve import Dashboard
from ektp.pki import OfficeCA
from provisioning.inventory import OfficeSettings
from provisioning.office import EDGE_ETC, OfficeDirectory, init_office

BURST = 100
EDGE_NAME = "edge.kantor.lan"


@pytest.fixture
def office_tls(tmp_path: Path) -> OfficeTls:
    return issue_dashboard_certificate(tmp_path)


@pytest.fixture
def dashboard(web_office: Office, office_tls: OfficeTls) -> Iterator[Dashboard]:
    with served_dashboard(web_office, tls_web_config(office_tls)) as running:
        yield running


def login_form(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    token = csrf_from(client.get("/login").text)
    return {"username": username, "password": password, "csrf_token": token, "next": "/"}


def test_the_dashboard_answers_over_https_with_the_office_cas_certificate(
    dashboard: Dashboard, office_tls: OfficeTls, tmp_path: Path
) -> None:
    assert dashboard.url.startswith("https://127.0.0.1:")
    with httpx.Client(base_url=dashboard.url, verify=office_trust(office_tls.ca.cert_path)) as pc:
        response = pc.post("/login", data=login_form(pc, *SUPERVISOR), follow_redirects=False)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert pc.get("/booths").status_code == 200
        assert "max-age" in pc.get("/booths").headers["strict-transport-security"]
    stranger = OfficeCA.create(tmp_path / "stranger-ca", "Kecamatan Lain")
    with (
        httpx.Client(base_url=dashboard.url, verify=office_trust(stranger.cert_path)) as other,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        other.get("/login")


def test_plain_http_is_redirected_to_https(dashboard: Dashboard, office_tls: OfficeTls) -> None:
    assert dashboard.redirect_url is not None
    response = httpx.get(f"{dashboard.redirect_url}/booths?kelurahan=Sambakungan")
    assert response.status_code == 308
    assert response.headers["location"] == f"{dashboard.url}/booths?kelurahan=Sambakungan"
    trust = office_trust(office_tls.ca.cert_path)
    with httpx.Client(verify=trust, follow_redirects=True) as browser:
        landed = browser.get(f"{dashboard.redirect_url}/")
        assert str(landed.url).startswith(f"{dashboard.url}/login")
        assert landed.status_code == 200
    with pytest.raises(httpx.HTTPError):  # the HTTPS port does not speak plain HTTP
        httpx.get(dashboard.url.replace("https://", "http://") + "/login")


async def guessing_burst(url: str, trust: ssl.SSLContext) -> tuple[list[str], httpx.Response]:
    """100 wrong passwords for operator1 at once, then the right one; the answers' errors."""
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=url, verify=trust, limits=limits, timeout=120) as pc:
        token = csrf_from((await pc.get("/login")).text)
        form = {"username": OPERATOR[0], "password": "tebak-tebak", "csrf_token": token}
        answers = await asyncio.gather(*(pc.post("/login", data=form) for _ in range(BURST)))
        assert {answer.status_code for answer in answers} == {401}
        errors = [
            "locked" if "Terlalu banyak kata sandi salah" in answer.text else "wrong"
            for answer in answers
        ]
        right = await pc.post("/login", data={**form, "password": OPERATOR[1]})
    return errors, right


def test_a_parallel_burst_of_wrong_passwords_locks_the_user_before_the_right_one(
    dashboard: Dashboard, office_tls: OfficeTls
) -> None:
    trust = office_trust(office_tls.ca.cert_path)
    errors, right = asyncio.run(guessing_burst(dashboard.url, trust))
    assert errors.count("wrong") == 5  # [web] max_failed_logins: only these were checked
    assert errors.count("locked") == BURST - 5
    assert right.status_code == 401
    assert "Terlalu banyak kata sandi salah" in right.text
    with httpx.Client(base_url=dashboard.url, verify=trust) as pc:
        assert pc.get("/api/v1/me").status_code == 401
        form = login_form(pc, *SUPERVISOR)  # another user on the same PC still gets in
        assert pc.post("/login", data=form, follow_redirects=False).status_code == 303


def provisioned_office(root: Path) -> OfficeDirectory:
    """``office init`` for an edge called edge.kantor.lan (also reached at 127.0.0.1)."""
    office = OfficeDirectory(root / "office")
    central = root / "central.pem"
    central.write_bytes(
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    settings = OfficeSettings(
        name="Kecamatan Gunung Tabur", edge_host=EDGE_NAME, ssh_private_key=root / "key"
    )
    for run in ("first", "again"):
        result = init_office(
            office, settings, central_public_key=central, broker_names=[], broker_ips=["127.0.0.1"]
        )
        made = [what for what, changed in result.steps if changed and "dashboard" in what]
        assert bool(made) == (run == "first"), made  # a second run keeps the certificate
    return office


def test_office_init_gives_the_dashboard_an_https_certificate_from_the_office_ca(
    web_office: Office, tmp_path: Path
) -> None:
    office = provisioned_office(tmp_path)
    web = tomllib.loads((office.edge_dir / "edge.toml").read_text())["web"]
    assert (web["port"], web["http_redirect_port"]) == (443, 80)
    in_tree = {  # the office tree is what lands in /etc/rekam on the edge
        key: str(office.edge_dir / Path(web[key]).relative_to(EDGE_ETC))
        for key in ("tls_cert_path", "tls_key_path")
    }
    config = WebConfig(port=0, http_redirect_port=0, dashboard_refresh_seconds=0, **in_tree)
    trust = office_trust(office.load_ca().cert_path)
    with served_dashboard(web_office, config) as dashboard:
        with httpx.Client(base_url=dashboard.url, verify=trust) as pc:
            assert pc.get("/login").status_code == 200
        with (
            socket.create_connection(("127.0.0.1", dashboard.port), timeout=30) as raw,
            trust.wrap_socket(raw, server_hostname=EDGE_NAME) as tls,
        ):
            assert (("commonName", "dashboard"),) in tls.getpeercert()["subject"]

"""Dashboard logins that hold: server-side sessions, own password changes, password rules,
lock-out per client address and a busy answer when too many passwords are being checked."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_fixtures import OPERATOR, SUPERVISOR, Office, add_user_by_form, csrf_from, log_in

from edge_controller.config.web import WebConfig
from edge_controller.web.app import SESSION_COOKIE, create_app
from edge_controller.web.throttle import HashGate

NEW_PASSWORD = "kopi-pagi-2026"


def copy_of_cookie(client: TestClient, app: FastAPI) -> TestClient:
    """Another browser holding the same session cookie (as if copied from this one)."""
    thief = TestClient(app)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def change_password(
    client: TestClient, current: str, new: str, repeat: str | None = None
) -> httpx.Response:
    token = csrf_from(client.get("/account/password").text)
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
            "csrf_token": token,
        },
    )


def test_logout_ends_the_session_and_a_copied_cookie_with_it(
    supervisor: TestClient, web_app: FastAPI
) -> None:
    with copy_of_cookie(supervisor, web_app) as copied:
        assert copied.get("/api/v1/me").json()["username"] == "camat"
        token = csrf_from(supervisor.get("/").text)
        supervisor.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert copied.get("/api/v1/me").status_code == 401
        response = copied.get("/booths", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def test_changing_the_password_ends_the_users_other_sessions(
    web_app: FastAPI, operator: TestClient
) -> None:
    with TestClient(web_app) as other_pc, TestClient(web_app) as fresh:
        assert log_in(other_pc, *OPERATOR).status_code == 303
        response = change_password(operator, OPERATOR[1], NEW_PASSWORD)
        assert response.status_code == 200
        assert "Kata sandi telah diganti" in response.text
        assert operator.get("/booths").status_code == 200  # the session that changed it stays
        assert other_pc.get("/booths", follow_redirects=False).status_code == 303
        assert log_in(fresh, *OPERATOR).status_code == 401
        assert log_in(fresh, "operator1", NEW_PASSWORD).status_code == 303


def test_the_password_change_needs_the_current_password_and_two_equal_new_ones(
    operator: TestClient, anonymous: TestClient
) -> None:
    response = change_password(operator, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 400
    assert "Kata sandi saat ini salah." in response.text
    response = change_password(operator, OPERATOR[1], NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert response.status_code == 400
    assert "Kedua kata sandi baru tidak sama." in response.text
    assert log_in(anonymous, *OPERATOR).status_code == 303  # unchanged


def test_password_rules_are_explained_in_indonesian_first(operator: TestClient) -> None:
    refusals = {
        "pendek": "Kata sandi harus 8 sampai 256 karakter.",
        "Operator1": "Kata sandi tidak boleh sama dengan nama pengguna.",
        "operator-1!": "Kata sandi tidak boleh sama dengan nama pengguna.",
        "Gunung Tabur 2026": "Kata sandi tidak boleh sama dengan nama kantor.",
        "kecamatan-gunungtabur": "Kata sandi tidak boleh sama dengan nama kantor.",
    }
    for password, message in refusals.items():
        response = change_password(operator, OPERATOR[1], password)
        assert response.status_code == 400, password
        assert message in response.text, password
    page = operator.get("/account/password").text
    operator.post("/language", data={"lang": "en", "csrf_token": csrf_from(page)})
    response = change_password(operator, OPERATOR[1], "Gunung Tabur 2026")
    assert "The password may not be the office's name." in response.text


def test_a_supervisor_cannot_give_a_new_user_the_offices_name_as_password(
    supervisor: TestClient,
) -> None:
    response = add_user_by_form(supervisor, "op3", "gunungtabur", "operator")
    assert response.status_code == 400
    assert "Kata sandi tidak boleh sama dengan nama kantor." in response.text
    assert 'data-user="op3"' not in response.text


def test_a_supervisor_ends_a_users_sessions(supervisor: TestClient, operator: TestClient) -> None:
    assert operator.get("/booths").status_code == 200
    token = csrf_from(supervisor.get("/users").text)
    response = supervisor.post(
        "/users/sessions", data={"username": "operator1", "csrf_token": token}
    )
    assert response.status_code == 200
    assert operator.get("/booths", follow_redirects=False).status_code == 303
    assert supervisor.get("/users").status_code == 200  # their own session is untouched


def test_a_disabled_users_old_cookie_stays_dead_after_reenabling(
    supervisor: TestClient, operator: TestClient
) -> None:
    token = csrf_from(supervisor.get("/users").text)
    for disabled in ("true", "false"):
        supervisor.post(
            "/users/state",
            data={"username": "operator1", "disabled": disabled, "csrf_token": token},
        )
    assert operator.get("/booths", follow_redirects=False).status_code == 303
    assert log_in(operator, *OPERATOR).status_code == 303


def test_one_pc_guessing_many_user_names_is_locked_out(anonymous: TestClient) -> None:
    for number in range(20):  # [web] max_failed_logins_per_address
        assert log_in(anonymous, f"tebak{number}", "salah-salah").status_code == 401
    response = log_in(anonymous, *SUPERVISOR)  # even a right password, from that address
    assert response.status_code == 401
    assert "Terlalu banyak kata sandi salah" in response.text


def test_logins_beyond_the_hashing_cap_are_told_to_retry_and_not_counted(
    web_office: Office,
) -> None:
    web = WebConfig(
        dashboard_refresh_seconds=0, max_concurrent_password_checks=1, max_waiting_password_checks=0
    )
    app = create_app(web_office.deps(web=web))
    gate: HashGate = app.state.hash_gate

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            token = csrf_from((await client.get("/login")).text)
            form = {"username": OPERATOR[0], "password": "salah-salah", "csrf_token": token}
            async with gate.slot():  # another login's hash is running
                answers = [await client.post("/login", data=form) for _ in range(10)]
            assert {answer.status_code for answer in answers} == {503}
            assert answers[0].headers["retry-after"]
            assert "Dasbor sedang sibuk" in answers[0].text
            right = {**form, "password": OPERATOR[1]}
            response = await client.post("/login", data=right, follow_redirects=False)
            assert response.status_code == 303  # the busy answers did not lock the user

    asyncio.run(scenario())

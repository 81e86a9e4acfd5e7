"""The dashboard as office staff use it: login, roles, CSRF, language, what the pages show."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from web_fixtures import OPERATOR, SUPERVISOR, Office, add_user_by_form, csrf_from, log_in

from edge_controller.mobile.stats import MOBILE_CHECK_IN, MOBILE_TICKET_CALLED, merge_mobile_event
from edge_controller.roster.store import record_enrollment
from edge_controller.web.app import create_app
from edge_controller.web.auth import authenticate, hash_password, user_add, verify_password
from ektp.messages import DeviceHealth, EventMessage

# --- login -------------------------------------------------------------------------


def test_every_dashboard_page_and_the_api_need_a_login(anonymous: TestClient) -> None:
    pages = ("/", "/booths", "/queue", "/coverage", "/schedule", "/not-recorded", "/roster")
    for path in (*pages, "/users"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=" + path)
    for path in ("/api/v1/booths", "/api/v1/coverage", "/api/v1/not-recorded", "/openapi.json"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert "nik" not in response.text.lower()


def test_the_tv_display_health_and_metrics_need_no_login(anonymous: TestClient) -> None:
    assert anonymous.get("/display").status_code == 200
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert "rekam_coverage_required" in anonymous.get("/metrics").text


def test_right_password_logs_in_and_returns_to_the_page_asked_for(anonymous: TestClient) -> None:
    response = log_in(
        anonymous, *SUPERVISOR, next_page="/coverage", login_page="/login?next=/coverage"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/coverage"
    assert anonymous.get("/api/v1/me").json()["role"] == "supervisor"


def test_wrong_password_is_refused_and_nothing_opens(anonymous: TestClient) -> None:
    response = log_in(anonymous, "camat", "not-the-password")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert anonymous.get("/", follow_redirects=False).status_code == 303
    assert log_in(anonymous, "nobody", "whatever-123").status_code == 401


def test_a_user_name_is_locked_after_repeated_wrong_passwords(anonymous: TestClient) -> None:
    for _ in range(5):
        assert log_in(anonymous, "operator1", "guess-guess").status_code == 401
    response = log_in(anonymous, *OPERATOR)  # even the right password, while locked
    assert response.status_code == 401
    assert "Terlalu banyak kata sandi salah" in response.text
    assert log_in(anonymous, *SUPERVISOR).status_code == 303  # other users are not locked


def test_a_login_never_redirects_to_another_site(anonymous: TestClient) -> None:
    response = log_in(anonymous, *SUPERVISOR, next_page="//evil.example/x")
    assert response.headers["location"] == "/"


def test_logging_out_ends_the_session(supervisor: TestClient) -> None:
    token = csrf_from(supervisor.get("/").text)
    assert (
        supervisor.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert supervisor.get("/", follow_redirects=False).status_code == 303


def test_a_disabled_user_is_out_at_once(
    supervisor: TestClient, web_app, web_office: Office
) -> None:
    with TestClient(web_app) as operator_client:
        assert log_in(operator_client, *OPERATOR).status_code == 303
        assert operator_client.get("/booths").status_code == 200
        token = csrf_from(supervisor.get("/users").text)
        supervisor.post(
            "/users/state", data={"username": "operator1", "disabled": "true", "csrf_token": token}
        )
        assert operator_client.get("/booths", follow_redirects=False).status_code == 303
        assert log_in(operator_client, *OPERATOR).status_code == 401


def test_passwords_are_stored_hashed_and_user_add_is_what_the_cli_calls(web_office: Office) -> None:
    user = user_add(
        web_office.database_path, "kasi.pelayanan", "kata-sandi-baru", "operator", "Kasi"
    )
    assert user.role == "operator"
    conn = web_office.db()
    try:
        stored = conn.execute(
            "SELECT password_hash FROM users WHERE username = 'kasi.pelayanan'"
        ).fetchone()[0]
        assert "kata-sandi-baru" not in stored
        assert stored.startswith("scrypt$")
        assert authenticate(conn, "kasi.pelayanan", "kata-sandi-baru") is not None
        assert authenticate(conn, "kasi.pelayanan", "kata-sandi-baruX") is None
    finally:
        conn.close()
    assert not verify_password("a", hash_password("b"))


# --- roles and CSRF ------------------------------------------------------------------


def test_operator_cannot_manage_users(operator: TestClient, supervisor: TestClient) -> None:
    assert operator.get("/booths").status_code == 200
    response = operator.get("/users")
    assert response.status_code == 403
    assert "tidak berhak" in response.text
    response = add_user_by_form(operator, "sneaky", "password-123", "supervisor", form_page="/")
    assert response.status_code == 403
    assert "sneaky" not in supervisor.get("/users").text
    assert "/users" not in operator.get("/").text.split("<main>")[0]  # no menu entry either


def test_supervisor_adds_an_operator_who_can_then_log_in(supervisor: TestClient, web_app) -> None:
    response = add_user_by_form(supervisor, "op2", "password-op2", "operator", display_name="Dua")
    assert response.status_code == 200
    assert 'data-user="op2"' in response.text
    with TestClient(web_app) as fresh:
        assert log_in(fresh, "op2", "password-op2").status_code == 303


def test_post_forms_without_the_sessions_csrf_token_are_refused(supervisor: TestClient) -> None:
    for token in (None, "forged-token-forged-token"):
        data = {"username": "intruder", "password": "password-123", "role": "supervisor"}
        if token:
            data["csrf_token"] = token
        assert supervisor.post("/users", data=data).status_code == 403
    assert "intruder" not in supervisor.get("/users").text
    assert supervisor.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert supervisor.get("/", follow_redirects=False).status_code == 200  # still logged in
    assert supervisor.post("/language", data={"lang": "en"}).status_code == 403


def test_the_login_form_itself_needs_the_csrf_token(anonymous: TestClient) -> None:
    anonymous.get("/login")
    response = anonymous.post(
        "/login", data={"username": "camat", "password": SUPERVISOR[1]}, follow_redirects=False
    )
    assert response.status_code == 403
    assert anonymous.get("/", follow_redirects=False).status_code == 303


# --- language ----------------------------------------------------------------------


def test_indonesian_first_and_english_by_the_switch(supervisor: TestClient) -> None:
    page = supervisor.get("/booths").text
    assert "<h1>Loket</h1>" in page
    assert 'lang="id"' in page
    response = supervisor.post(
        "/language",
        data={"lang": "en", "next": "/booths", "csrf_token": csrf_from(page)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/booths"
    page = supervisor.get("/booths").text
    assert "<h1>Booths</h1>" in page
    assert 'lang="en"' in page
    supervisor.post("/language", data={"lang": "xx", "csrf_token": csrf_from(page)})
    assert "<h1>Booths</h1>" in supervisor.get("/booths").text  # unknown languages are ignored


# --- what the pages show -------------------------------------------------------------


def test_booth_page_shows_state_devices_outbox_and_alerts(
    supervisor: TestClient, web_office: Office
) -> None:
    assert "booth-01" not in supervisor.get("/booths").text
    broken = DeviceHealth(state="unavailable", error_count=7, detail="no answer on UART")
    web_office.booth_online("booth-01", outbox_depth=4, fingerprint=broken)
    page = supervisor.get("/booths").text
    assert 'data-booth="booth-01" data-state="online"' in page
    assert "fingerprint: unavailable" in page
    assert '<td class="number outbox">4</td>' in page
    web_office.booth_offline("booth-01")
    assert 'data-booth="booth-01" data-state="offline"' in supervisor.get("/booths").text
    booths = supervisor.get("/api/v1/booths").json()
    assert booths[0]["state"] == "offline"
    assert booths[0]["devices"][0] == {
        "name": "fingerprint",
        "state": "unavailable",
        "error_count": 7,
        "detail": "no answer on UART",
    }


def test_queue_page_and_tv_display_show_called_numbers_per_booth(
    supervisor: TestClient, anonymous: TestClient, web_office: Office
) -> None:
    web_office.check_in(serial=1)
    web_office.check_in(serial=2)
    web_office.check_in(serial=3)
    web_office.call_next("booth-02")
    display = anonymous.get("/display").text
    assert 'http-equiv="refresh" content="5"' in display
    assert (
        '<div class="ticket" data-booth="booth-02"><div class="number">A-001</div>'
        '<div class="booth">Loket booth-02</div>' in display
    )
    assert "A-002" in display
    assert "A-003" in display
    conn = web_office.db()
    try:
        niks = [row[0] for row in conn.execute("SELECT nik FROM queue_tickets")]
    finally:
        conn.close()
    assert niks
    assert not any(nik in display for nik in niks)
    queue = supervisor.get("/api/v1/queue").json()
    assert queue["called"]["booth-02"]["number"] == "A-001"
    assert [t["number"] for t in queue["waiting"]] == ["A-002", "A-003"]
    assert 'data-called-booth="booth-02"' in supervisor.get("/queue").text


def test_coverage_and_not_recorded_list_follow_recordings(
    supervisor: TestClient, web_office: Office
) -> None:
    before = supervisor.get("/api/v1/coverage").json()
    sambakungan = next(line for line in before["kelurahan"] if line["kelurahan"] == "Sambakungan")
    assert sambakungan == {**sambakungan, "required": 60, "recorded": 0}
    missing = supervisor.get(
        "/api/v1/not-recorded", params={"kelurahan": "Sambakungan", "limit": 5}
    ).json()
    assert missing["total"] == 60
    nik = missing["residents"][0]["nik"]
    conn = web_office.db()
    try:
        record_enrollment(
            conn, nik, "packet-1", "booth-01", "Sambakungan", dt.datetime(2026, 3, 10, 9, 30)
        )
    finally:
        conn.close()
    page = supervisor.get("/coverage").text
    assert '<tr data-kelurahan="Sambakungan">' in page
    assert '<td class="number recorded">1</td>' in page
    assert '<g class="bar" data-kelurahan="Sambakungan">' in page  # the SVG chart
    after = supervisor.get(
        "/api/v1/not-recorded", params={"kelurahan": "Sambakungan", "limit": 100}
    ).json()
    assert after["total"] == 59
    assert nik not in {r["nik"] for r in after["residents"]}
    assert 'rekam_coverage_recorded{kelurahan="Sambakungan"} 1.0' in supervisor.get("/metrics").text


def test_schedule_page_plans_from_the_roster_and_prints(supervisor: TestClient) -> None:
    page = supervisor.get("/schedule", params={"start": "2026-03-11", "kits": 1}).text
    assert "Sambakungan" in page
    assert "Gunung Tabur" in page
    plan = supervisor.get("/api/v1/schedule", params={"start": "2026-03-11"}).json()
    assert plan["days"][0]["date"] == "2026-03-11"
    assert sum(day["invited_residents"] for day in plan["days"]) == 100
    printed = supervisor.get("/schedule/print", params={"start": "2026-03-11"}).text
    assert "Jadwal" in printed or "jadwal" in printed


def test_bad_query_parameters_are_answered_422(supervisor: TestClient) -> None:
    for path, params in (
        ("/api/v1/coverage", {"as_of": "yesterday"}),
        ("/api/v1/coverage", {"as_of": "9999-12-31"}),
        ("/api/v1/not-recorded", {"limit": 0}),
        ("/api/v1/not-recorded", {"rt": -1}),
        ("/api/v1/schedule", {"kits": 0}),
        ("/not-recorded", {"rw": "x"}),
        ("/coverage", {"kelurahan": "k" * 101}),
    ):
        assert supervisor.get(path, params=params).status_code == 422, (path, params)


def test_power_and_upstream_are_unknown_without_ups_or_forwarder(supervisor: TestClient) -> None:
    assert "Belum diukur" in supervisor.get("/power").text
    assert supervisor.get("/api/v1/power").json()["state"] == "unknown"
    assert supervisor.get("/api/v1/upstream").json()["pending_packets"] == 0


def test_metrics_count_refused_packets_and_refused_messages_per_booth(web_office: Office) -> None:
    deps = web_office.deps(
        rejections=lambda: {"booth-01": {"packet.bad_signature": 2}},
        message_rejections=lambda: {"booth-02": {"message.schema": 5}},
    )
    with TestClient(create_app(deps)) as client:
        text = client.get("/metrics").text
    assert 'rekam_packets_rejected_total{booth="booth-01",code="packet.bad_signature"} 2.0' in text
    assert 'rekam_messages_rejected_total{booth="booth-02",code="message.schema"} 5.0' in text


def test_mobile_recording_days_show_once_each_on_the_page_and_in_the_api(
    web_office: Office,
) -> None:
    at = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
    check_in = EventMessage(
        booth_id="booth-03",
        event_id=uuid.uuid4(),
        at=at,
        kind="check_in",
        name=MOBILE_CHECK_IN,
        data={"number": "M-001", "service": "new_recording", "kelurahan": "Tasuk"},
    )
    called = EventMessage(
        booth_id="booth-03",
        event_id=uuid.uuid4(),
        at=at + dt.timedelta(minutes=4),
        kind="ticket_called",
        name=MOBILE_TICKET_CALLED,
        data={"request_id": str(check_in.event_id)},
    )
    conn = web_office.db()
    try:
        for event in (check_in, called, check_in):  # a re-sent event is merged once
            merge_mobile_event(conn, event, at)
    finally:
        conn.close()
    with TestClient(create_app(web_office.deps())) as client:
        log_in(client, *SUPERVISOR)
        days = client.get("/api/v1/mobile").json()["days"]
        page = client.get("/mobile", headers={"Accept-Language": "id"}).text
    assert days == [
        {
            "day": "2026-11-18",
            "kelurahan": "Tasuk",
            "checked_in": 1,
            "served": 1,
            "mean_service_minutes": None,
        }
    ]
    assert "Perekaman keliling" in page
    assert "Tasuk" in page

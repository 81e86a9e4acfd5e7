"""The rehearsal's supervisor: approves the held records on the edge's dashboard.

The scripted resident is not in the office roster, so the edge holds the record for a
supervisor (``edge_controller/review``) before it goes to central. The rehearsal does
what a supervisor does: logs in on the dashboard over HTTPS (checked against the
office CA) and approves each held record. Run from the technician's namespace:

    python -m provisioning.lab.supervisor --url https://EDGE/ --ca CA --user NAME < password

Prints ``{"approved": N}``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import httpx

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
COMMENT = "Latihan: diperiksa dan disetujui"


def _csrf(page: httpx.Response) -> str:
    page.raise_for_status()
    found = CSRF_INPUT.search(page.text)
    if found is None:
        raise SystemExit(f"no CSRF token on {page.url}")
    return found.group(1)


def approve_held(url: str, ca: Path, user: str, password: str) -> int:
    """Log in as ``user`` and approve every held record; returns how many."""
    with httpx.Client(base_url=url, verify=str(ca), timeout=30) as client:
        token = _csrf(client.get("/login", follow_redirects=True))
        login = client.post(
            "/login", data={"username": user, "password": password, "csrf_token": token}
        )
        if login.status_code != 303:
            raise SystemExit(f"login as {user} refused ({login.status_code})")
        token = _csrf(client.get("/", follow_redirects=True))
        held = client.get("/api/v1/reviews")
        held.raise_for_status()
        approved = 0
        for item in held.json()["items"]:
            decided = client.post(
                f"/api/v1/reviews/{item['packet_id']}/decision",
                json={"decision": "approved", "comment": COMMENT},
                headers={"X-CSRF-Token": token},
            )
            decided.raise_for_status()
            approved += 1
        return approved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", type=Path, required=True)
    parser.add_argument("--user", required=True)
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")
    print(json.dumps({"approved": approve_held(args.url, args.ca, args.user, password)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

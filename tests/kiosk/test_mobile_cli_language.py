"""``rekam-kiosk mobile …`` tells the operator in Indonesian first, English with ``--lang en``:
the duty started, the village copies carried, the duty ended (the kiosk catalog)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from booth_fixtures import write_booth_config
from mobile_week_fixtures import carry_edge_roster, mobile_cli

from demo.roster import VillageCount, insert_residents, synthetic_roster
from edge_controller.ingest.db import connect


def test_mobile_commands_speak_the_operators_language(tmp_path: Path) -> None:
    setup = write_booth_config(tmp_path / "booth")
    edge_db = tmp_path / "edge.sqlite"
    conn = connect(edge_db)
    try:
        insert_residents(
            conn, synthetic_roster([VillageCount("Tasuk", 3, 4)], adult_on=dt.date.today(), seed=4)
        )
    finally:
        conn.close()
    carry_edge_roster(edge_db, setup.data_dir, received=dt.datetime.now(dt.UTC))

    mobile = functools.partial(mobile_cli, setup.config_path)
    assert mobile("start", "--villages", "Tasuk") == "Tugas keliling dimulai: Tasuk\n"
    indonesian, english = mobile("status"), mobile("--lang", "en", "status")
    assert re.match(r"Tasuk: \d+ penduduk, diterima 0\.0 jam yang lalu\n", indonesian)
    assert re.match(r"Tasuk: \d+ residents, received 0\.0 h ago\n", english)
    assert "Kejadian untuk kantor: 0" in indonesian
    assert "Events for the office: 0" in english
    assert mobile("--lang", "en", "end").startswith("Mobile duty ended after ")

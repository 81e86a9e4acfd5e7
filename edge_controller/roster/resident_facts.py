"""Who a resident is and where they live, as the office's roster states it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ektp.nik import Sex


@dataclass(frozen=True)
class ResidentFacts:
    """What a roster file's row (:class:`~edge_controller.roster.csv_rows.ResidentRow`) and
    a stored resident (:class:`~edge_controller.roster.store.Resident`) both state, in
    this order (their first fields)."""

    nik: str
    kk: str
    name: str
    sex: Sex
    birth_date: dt.date
    kelurahan: str
    rt: int
    rw: int

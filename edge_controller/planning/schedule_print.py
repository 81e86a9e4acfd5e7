"""Printable forms of the schedule: the table of days and the invitation letters per RT.

Plain Jinja2 templates in ``edge_controller/templates/``; headings come from the
``edge_controller`` gettext catalog (Indonesian unless another language is asked for),
dates are written the Indonesian way by Babel ("Kamis, 01 Maret 2012").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
from babel.dates import format_date

from edge_controller.planning.schedule import Invitation, SchedulePlan
from ektp.i18n import DEFAULT_LANGUAGE, N_, translations
from ektp.nik import Sex

DOMAIN = "edge_controller"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SEX_NAMES = {Sex.MALE: N_("Male"), Sex.FEMALE: N_("Female")}


def template_environment(language: str = DEFAULT_LANGUAGE) -> jinja2.Environment:
    """A Jinja2 environment with ``_()`` bound to the edge catalog in ``language``."""
    catalog = translations(DOMAIN, language)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["long_date"] = lambda day: format_date(day, "full", locale=language)
    environment.filters["short_date"] = lambda day: f"{day:%d-%m-%Y}"
    environment.filters["rt"] = lambda number: f"{number:03d}"
    environment.filters["sex_name"] = lambda sex: catalog.gettext(SEX_NAMES[Sex(sex)])
    return environment


def render_schedule_html(
    plan: SchedulePlan, *, language: str = DEFAULT_LANGUAGE, office: str = ""
) -> str:
    """The schedule table, one row per kelurahan day."""
    template = template_environment(language).get_template("schedule.html.j2")
    return template.render(plan=plan, kits=plan.config.kits, language=language, office=office)


def render_invitations_html(
    plan: SchedulePlan,
    *,
    language: str = DEFAULT_LANGUAGE,
    office: str = "",
    kelurahan: str | None = None,
    date: dt.date | None = None,
) -> str:
    """One letter per RT and day (a page each when printed), optionally for one village/day."""
    letters: list[Invitation] = [
        letter
        for letter in plan.invitations
        if (kelurahan is None or letter.kelurahan == kelurahan)
        and (date is None or letter.date == date)
    ]
    template = template_environment(language).get_template("invitations.html.j2")
    return template.render(invitations=letters, language=language, office=office)

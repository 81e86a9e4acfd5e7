"""``rekam-kiosk --config booth.toml mobile start --villages A,B | end | status``."""

from __future__ import annotations

import argparse
import datetime as dt

from ektp.i18n import N_, translate
from kiosk.config.booth import BoothConfig
from kiosk.mobile.duty import MSG_NOT_AWAY, MobileDuty, MobileDutyRefused, duty_banner
from kiosk.outbox.store import Outbox, SendableKind
from kiosk.uplink.roster_feed import RosterFeed

MSG_STARTED = N_("Mobile duty started: {villages}")
MSG_ENDED = N_("Mobile duty ended after {duration}")
MSG_VILLAGE_COPY = N_("{village}: {residents} residents, received {hours} h ago")
MSG_EVENTS_WAITING = N_("Events for the office: {events}")


def _say(message: str, lang: str, **params: object) -> None:
    print(translate(message, lang, domain="kiosk").format(**params))


def add_mobile_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mobile = commands.add_parser("mobile", help="Mobile duty away from the office.")
    actions = mobile.add_subparsers(dest="mobile_command", required=True)
    start = actions.add_parser("start", help="Leave for mobile duty (checks roster and disk).")
    start.add_argument("--villages", required=True, help="Comma-separated village names.")
    actions.add_parser("end", help="Back in the office: end the mobile duty.")
    actions.add_parser("status", help="Show the duty, the villages carried, what waits.")
    mobile.add_argument("--lang", default="id", choices=("id", "en"), help="Message language.")


def run_mobile_command(config: BoothConfig, args: argparse.Namespace) -> int:
    """Print the outcome in the operator's language; 1 when the booth refuses."""
    duty = MobileDuty(config.data_dir, config.mobile)
    now = dt.datetime.now(dt.UTC)
    roster = RosterFeed.in_data_dir(config.data_dir)
    try:
        if args.mobile_command == "start":
            villages = [v.strip() for v in args.villages.split(",") if v.strip()]
            state = duty.start(villages, roster, now)
            _say(MSG_STARTED, args.lang, villages=", ".join(state.villages))
        elif args.mobile_command == "end":
            state = duty.end(now)
            _say(MSG_ENDED, args.lang, duration=state.away_for(now))
        else:
            for name, copy in sorted(roster.villages().items()):
                hours = copy.age(now).total_seconds() / 3600
                residents, received = copy.residents, f"{hours:.1f}"
                _say(MSG_VILLAGE_COPY, args.lang, village=name, residents=residents, hours=received)
            current = duty.state
            if current is None:
                print(translate(MSG_NOT_AWAY, args.lang, domain="kiosk"))
            else:
                with Outbox(config.outbox_path) as outbox:
                    waiting = outbox.depth()
                    events = outbox.sendables.sendables_waiting(SendableKind.MOBILE_TICKET)
                print(duty_banner(current, now, waiting, args.lang))
                _say(MSG_EVENTS_WAITING, args.lang, events=events)
    except MobileDutyRefused as err:
        print(err.localized(args.lang))
        return 1
    return 0

"""``rekam-kiosk --config booth.toml mobile start --villages A,B | end | status``."""

from __future__ import annotations

import argparse
import datetime as dt

from ektp.i18n import translate
from kiosk.config.booth import BoothConfig
from kiosk.mobile.duty import MSG_NOT_AWAY, MobileDuty, MobileDutyRefused, duty_banner
from kiosk.outbox.store import Outbox, SendableKind
from kiosk.uplink.roster_feed import RosterFeed


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
            print(f"mobile duty started: {', '.join(state.villages)}")
        elif args.mobile_command == "end":
            state = duty.end(now)
            print(f"mobile duty ended after {state.away_for(now)}")
        else:
            for name, copy in sorted(roster.villages().items()):
                hours = copy.age(now).total_seconds() / 3600
                print(f"{name}: {copy.residents} residents, received {hours:.1f} h ago")
            current = duty.state
            if current is None:
                print(translate(MSG_NOT_AWAY, args.lang, domain="kiosk"))
            else:
                with Outbox(config.outbox_path) as outbox:
                    waiting = outbox.depth()
                    events = outbox.sendables.sendables_waiting(SendableKind.MOBILE_TICKET)
                print(duty_banner(current, now, waiting, args.lang))
                print(f"events for the office: {events}")
    except MobileDutyRefused as err:
        print(err.localized(args.lang))
        return 1
    return 0

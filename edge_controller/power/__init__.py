"""Office power: the UPS through NUT and the generator contact, the office's power state,
the shutdown sequence and the outage log. See :mod:`edge_controller.power.watcher`."""

from edge_controller.config.power import PowerConfig
from edge_controller.power.alerts import PowerAlert
from edge_controller.power.outages import (
    OutageEvent,
    OutageLog,
    PowerReport,
    daily_report,
    power_report,
    weekly_report,
)
from edge_controller.power.shutdown import BoothPresence, ShutdownReport, ShutdownSequencer
from edge_controller.power.state import (
    HysteresisRules,
    PowerChange,
    PowerSample,
    PowerStateMachine,
    classify,
)
from edge_controller.power.watcher import (
    PowerWatcher,
    build_power_watcher,
    mqtt_publisher,
)
from ektp.messages import POWER_REFUSAL_EVENT

__all__ = [
    "POWER_REFUSAL_EVENT",
    "BoothPresence",
    "HysteresisRules",
    "OutageEvent",
    "OutageLog",
    "PowerAlert",
    "PowerChange",
    "PowerConfig",
    "PowerReport",
    "PowerSample",
    "PowerStateMachine",
    "PowerWatcher",
    "ShutdownReport",
    "ShutdownSequencer",
    "build_power_watcher",
    "classify",
    "daily_report",
    "mqtt_publisher",
    "power_report",
    "weekly_report",
]

"""A test-only edge process whose ingest stops between verifying and committing.

``python -m tests.edge_controller.paused_edge --config FILE --marker PATH`` runs the
real edge service (:func:`~edge_controller.ingest.build.build_edge_service`, served as
``rekam-edge run`` serves it) with a ``before_commit`` hook injected into the ingest
pipeline: on the first batch holding a verified packet it writes ``PATH`` and blocks,
so the test can SIGKILL the process at exactly that point. Production has no such hook.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from edge_controller.cli import serve
from edge_controller.config.edge import load_edge_config
from edge_controller.ingest.build import build_edge_service
from edge_controller.ingest.checks import Checked
from edge_controller.ingest.pipeline import BeforeCommit

log = logging.getLogger("paused-edge")


def pause_before_commit(marker: Path) -> BeforeCommit:
    """A hook that says so in ``marker`` and never returns (the test kills the process)."""
    never = threading.Event()

    def hook(_checked: Sequence[Checked]) -> None:
        log.warning("test hook: ingest paused before commit")
        marker.write_text("paused\n", encoding="utf-8")
        never.wait()

    return hook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.edge_controller.paused_edge")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--marker", type=Path, required=True)
    args = parser.parse_args(argv)
    config = load_edge_config(args.config)
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return serve(build_edge_service(config, before_commit=pause_before_commit(args.marker)))


if __name__ == "__main__":
    sys.exit(main())

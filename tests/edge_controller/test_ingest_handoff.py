"""Messages from the network thread to the event loop: in order, and a burst still
leaves the loop turns for its other work (checking, committing, acking)."""

from __future__ import annotations

import asyncio
import threading
import time

from edge_controller.ingest.handoff import BUNCH, LoopInbox
from ektp.mqtt.message import ReceivedMessage


def message(serial: int) -> ReceivedMessage:
    return ReceivedMessage(f"booths/booth-01/enrollments/{serial}", b"x", 1, False)


def test_a_burst_is_routed_in_order_and_the_loop_runs_other_work_meanwhile() -> None:
    count = 3 * BUNCH + 5
    routed: list[str] = []
    other_work_saw: list[int] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        inbox = LoopInbox(lambda m, _at: routed.append(m.topic), time.monotonic)
        inbox.bind(loop)
        arrived = threading.Event()

        def network_thread() -> None:  # paho's: the whole burst at once
            for serial in range(count):
                inbox.put(message(serial))
            loop.call_soon_threadsafe(lambda: other_work_saw.append(len(routed)))
            arrived.set()

        threading.Thread(target=network_thread).start()
        assert arrived.wait(10)  # the loop busy meanwhile: the whole burst waits for it
        deadline = time.monotonic() + 10
        while len(routed) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    asyncio.run(main())

    assert routed == [message(serial).topic for serial in range(count)]
    assert other_work_saw, "the loop's other work never ran"
    assert other_work_saw[0] < count, "the loop routed the whole burst before anything else"

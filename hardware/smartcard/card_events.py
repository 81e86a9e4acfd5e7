"""A background watcher that turns reader state changes into "inserted"/"removed".

pyscard's ``CardMonitor`` is a process-wide singleton whose thread stops for
good once pcscd is unavailable, so each reader runs its own small watcher: one
PC/SC context, ``SCardGetStatusChange`` on the one reader, re-established after
pcscd comes back. Callbacks run on the watcher thread; an exception in one is
logged and does not stop the others.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from smartcard import scard

from hardware.smartcard.reader import CardEvent, CardObserver

log = logging.getLogger(__name__)
POLL_MS = 500
RETRY_SECONDS = 1.0


class CardEventWatcher:
    """Watches the first reader whose name contains ``reader_name_contains``."""

    def __init__(self, reader_name_contains: str) -> None:
        self._reader_name_contains = reader_name_contains
        self._observers: list[CardObserver] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, callback: CardObserver) -> None:
        with self._lock:
            self._observers.append(callback)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="smartcard-events", daemon=True
                )
                self._thread.start()

    def remove(self, callback: CardObserver) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._observers.remove(callback)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=POLL_MS / 1000 + 5.0)

    def _notify(self, event: CardEvent) -> None:
        with self._lock:
            observers = list(self._observers)
        for callback in observers:
            try:
                callback(event)
            except Exception:
                log.exception("A card %s observer failed", event)

    def _run(self) -> None:
        present = False
        while not self._stop.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                self._stop.wait(RETRY_SECONDS)
                continue
            try:
                present = self._watch(context, present)
            finally:
                scard.SCardReleaseContext(context)
            self._stop.wait(RETRY_SECONDS)

    def _find_reader(self, context: int) -> str | None:
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return next((r for r in readers if self._reader_name_contains in r), None)

    def _watch(self, context: int, present: bool) -> bool:
        """Report changes until an error needs a new context; return the last presence."""
        reader = self._find_reader(context)
        if reader is None:
            if present:
                self._notify("removed")
            return False
        known = scard.SCARD_STATE_UNAWARE
        last_count: int | None = None
        while not self._stop.is_set():
            hresult, states = scard.SCardGetStatusChange(context, POLL_MS, [(reader, known)])
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                return present
            _, event_state, _ = states[0]
            known = event_state & ~scard.SCARD_STATE_CHANGED
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                if present:
                    self._notify("removed")
                return False
            now_present = bool(event_state & scard.SCARD_STATE_PRESENT)
            count = event_state >> 16  # pcscd counts card events per reader
            if present and now_present and last_count is not None and count != last_count:
                self._notify("removed")  # swapped faster than we looked: report both
                self._notify("inserted")
            elif now_present != present:
                present = now_present
                self._notify("inserted" if present else "removed")
            last_count = count
        return present

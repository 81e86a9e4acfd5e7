"""The office's edge controller: broker and identities, ingest, booths, queue, dashboard.

One asyncio service (``rekam-edge``) next to a mosquitto broker it configures.
Imports ``ektp`` and the power part of ``hardware``; never ``kiosk``.
"""

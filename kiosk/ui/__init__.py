"""The booth's Kivy screens over the plain-Python flows (``kiosk.flow``).

``kiosk.ui.app.KioskApp`` takes every collaborator injected: the check-in and capture
flows, a :class:`kiosk.ui.status.BoothStatus` for the banners, and a camera preview.
Importing this package does not import Kivy; ``kiosk.ui.app`` does.
"""

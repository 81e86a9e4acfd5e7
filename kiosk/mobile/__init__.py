"""kiosk.mobile."""

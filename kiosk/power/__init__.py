"""kiosk.power."""

"""kiosk.config."""

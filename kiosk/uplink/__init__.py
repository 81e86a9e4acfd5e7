"""kiosk.uplink."""

"""kiosk.outbox."""

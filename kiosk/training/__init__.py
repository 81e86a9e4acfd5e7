"""kiosk.training."""

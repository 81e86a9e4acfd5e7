"""Reusable widgets of the booth: self-fitting text, number pad, hand diagram, signature pad,
banners and the busy overlay. Layout rules live in ``kiosk/ui/kv/widgets.kv``."""

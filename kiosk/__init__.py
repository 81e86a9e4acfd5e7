"""The booth: enrollment flow, photo quality, the durable outbox and the Kivy screens."""

"""The office demo: a whole recording office on one machine, on emulated hardware."""

"""Booth and office devices: one interface per device, a real backend and an emulated one.

Backends are chosen by configuration (``backend = "real" | "emulated"``), the way
gpiozero chooses a pin factory. Emulated backends speak the device's real wire
protocol so the real driver library runs against them. Imports nothing else of Rekam's.
"""

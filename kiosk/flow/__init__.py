"""The booth's flows as plain-Python state machines: resident check-in and operator capture.

Screens call these; tests drive them step by step without Kivy.
"""

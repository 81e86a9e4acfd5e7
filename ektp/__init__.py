"""The e-KTP domain and the wire contract shared by booths, the edge and central.

Imports nothing else of Rekam's.
"""

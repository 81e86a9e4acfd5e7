"""Rekam central: the reference receiver the edge forwards sealed packets to.

It is the contract the real national system must offer (see ``central/README.md``):
a tus 1.0 resumable upload endpoint over HTTPS with mutual TLS, per-packet
verification, durable storage and a signed receipt per packet id.
"""

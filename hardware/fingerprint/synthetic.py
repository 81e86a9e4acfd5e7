"""Synthetic fingers for the emulator: templates derived from a name, and how they match.

A finger is a vector of features drawn from a generator seeded by the finger's
identity, so the same identity always yields the same finger and two identities give
unrelated ones. Each impression adds noise that grows as the quality drops. A template
is 512 bytes like an R30x character file: a small header, the features as signed
bytes, zero padding. Two templates score by the cosine of their feature vectors,
rescaled to the sensor's range (0 for unrelated fingers, up to ``MAX_SCORE``).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

TEMPLATE_SIZE = 512
FEATURE_COUNT = 256
MAX_SCORE = 300
_MAGIC = b"RK\x01"
_HEADER_SIZE = len(_MAGIC) + 1  # magic, then quality
_QUANTUM = 32.0  # one feature unit in signed-byte steps
_UNRELATED_COSINE = 0.35  # cosines below this score 0 (unrelated fingers sit near 0)
_NOISE_AT_ZERO_QUALITY = 1.5


def identity_features(identity: str) -> list[float]:
    """The noise-free features of the finger named ``identity``."""
    seed = int.from_bytes(hashlib.sha256(identity.encode("utf-8")).digest()[:8], "big")
    generator = random.Random(seed)
    return [generator.gauss(0.0, 1.0) for _ in range(FEATURE_COUNT)]


@dataclass(frozen=True)
class Impression:
    """One image of a finger on the glass, as the emulator's image buffer holds it."""

    features: tuple[float, ...]
    quality: int

    @classmethod
    def of(cls, identity: str, quality: int, noise: random.Random) -> Impression:
        sigma = (100 - quality) / 100 * _NOISE_AT_ZERO_QUALITY
        features = tuple(f + noise.gauss(0.0, sigma) for f in identity_features(identity))
        return cls(features, quality)


def encode_template(features: tuple[float, ...] | list[float], quality: int) -> bytes:
    quantised = bytes(max(-127, min(127, round(value * _QUANTUM))) & 0xFF for value in features)
    body = _MAGIC + bytes([max(0, min(100, quality))]) + quantised
    return body + bytes(TEMPLATE_SIZE - len(body))


def decode_template(template: bytes) -> tuple[list[float], int] | None:
    """Features and quality of a template, or None when it is not one of ours."""
    if len(template) != TEMPLATE_SIZE or not template.startswith(_MAGIC):
        return None
    quality = template[len(_MAGIC)]
    raw = template[_HEADER_SIZE : _HEADER_SIZE + FEATURE_COUNT]
    return [(b - 256 if b > 127 else b) / _QUANTUM for b in raw], quality


def match_score(template_a: bytes, template_b: bytes) -> int:
    """How well two templates match: 0 for unrelated fingers or unreadable templates."""
    decoded_a, decoded_b = decode_template(template_a), decode_template(template_b)
    if decoded_a is None or decoded_b is None:
        return 0
    a, b = decoded_a[0], decoded_b[0]
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norms == 0:
        return 0
    cosine = sum(x * y for x, y in zip(a, b, strict=True)) / norms
    scaled = (cosine - _UNRELATED_COSINE) / (1 - _UNRELATED_COSINE)
    return max(0, min(MAX_SCORE, round(scaled * MAX_SCORE)))


def merge_templates(template_a: bytes, template_b: bytes) -> bytes | None:
    """The model made from two impressions: their averaged features."""
    decoded_a, decoded_b = decode_template(template_a), decode_template(template_b)
    if decoded_a is None or decoded_b is None:
        return None
    features = [(x + y) / 2 for x, y in zip(decoded_a[0], decoded_b[0], strict=True)]
    return encode_template(features, (decoded_a[1] + decoded_b[1]) // 2)

"""What the roster look-up keys cost: a booth's check-in, the edge, and someone enumerating NIKs.

``python -m bench.roster_keys [--quick]`` prints a table; ``run(quick)`` returns the rows
(``python -m bench --only roster`` runs them with the roster rows).

Timed sample: ``samples`` scrypt look-ups (:meth:`ektp.roster_keys.RosterSecret.resident_keys`,
the office's default cost) and ``samples × 10,000`` salted SHA-256 keys of the old digest
format (v1, :func:`sha256_key`), median per key. Everything else is extrapolated:

* **candidates per village**: an enumerator knows the office's region code (public), so a
  NIK is a birth date (100 years, ×2 for the +40 of women) and a serial; serials 0001–0010
  cover a kecamatan (about 1.4 residents share a birth date and sex per 100,000; ten is
  far above the most). 36,525 × 2 × 10 = 730,500 candidates. Each candidate costs one key:
  one key is compared with every entry of the digest at once (a dictionary look-up).
* ``roster_key_enumeration_cpu_hours`` — someone holding a booth's TLS certificate but not
  the office roster secret (the issue's attacker): they receive the digests, yet a key
  is scrypt(HMAC(secret, NIK)); without the 256-bit secret no candidate can be tested.
  The cheapest attack guesses the secret: on average 2^255 guesses, each at least one
  scrypt. Value: 2^255 × the measured scrypt time, in CPU-hours. Baseline: the v1 format
  (salt in the digest), all candidates × the measured SHA-256 time.
* ``roster_key_enumeration_cpu_hours_with_secret`` — someone who also holds the secret
  (a stolen booth's disk): all candidates × the measured scrypt time. The memory-hard KDF
  is what is left then; the row says how much that is (not ≥ 100 CPU-hours: the secret,
  not the KDF, is the wall; ``docs/THREAT_MODEL.md``).
* ``roster_lookup_ms`` — one check-in look-up here (one scrypt; the KK check is an HMAC).
  ``roster_lookup_ms_pi4_estimate`` — the same × :data:`PI4_SLOWDOWN`, against the 100 ms
  budget. How the ×10 is made: a Raspberry Pi 4 B (Cortex-A72 at 1.5 GHz, LPDDR4-3200)
  against one core of this machine (an AMD EPYC server core at ~3 GHz): ×2 from the
  clock, ×2–2.5 from per-clock throughput (public single-core scores are ×4–6 apart),
  and scrypt's 4 MiB working set, which overflows the Pi's 1 MiB L2 and is bound by its
  ~4 GB/s memory where this machine's caches hold most of it: we take ×10, pessimistic
  on purpose. It is an estimate, not a measurement on a Pi.
* ``roster_keys_office_first_publication_s`` — the edge making every resident's keys
  once per secret (kept afterwards): residents × the measured scrypt time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import statistics
import sys
import time
from typing import Any

from bench.report import make_row, print_table_main
from demo.roster import gunung_tabur_counts
from ektp.nik import Sex, build_nik
from ektp.roster_keys import RosterSecret

PI4_SLOWDOWN = 10.0
LOOKUP_BUDGET_MS = 100.0
CANDIDATES_PER_VILLAGE = 36_525 * 2 * 10
SECRET_GUESSES = 2.0**255
SHA_PER_SAMPLE = 10_000


_row = functools.partial(make_row, significant=4)


def sha256_key(salt: bytes, number: str) -> str:
    """The v1 digest key (salted SHA-256), as the old format had it: the baseline."""
    return hashlib.sha256(salt + number.encode("ascii")).hexdigest()


def _candidates(count: int) -> list[str]:
    """Candidate NIKs of Gunung Tabur (640306), as an enumerator makes them."""
    first = dt.date(1950, 1, 1)
    niks = []
    for i in range(count):
        sex = Sex.FEMALE if i % 2 else Sex.MALE
        niks.append(build_nik("640306", first + dt.timedelta(days=37 * i), sex, 1 + i % 10))
    return niks


def _median_seconds(samples: list[float]) -> float:
    return statistics.median(samples)


def time_scrypt(secret: RosterSecret, niks: list[str]) -> float:
    """Median seconds of one look-up key (one scrypt)."""
    times = []
    for nik in niks:
        began = time.perf_counter()
        secret.resident_keys(nik)
        times.append(time.perf_counter() - began)
    return _median_seconds(times)


def time_sha256(niks: list[str]) -> float:
    """Median seconds of one v1 key, timed over batches of :data:`SHA_PER_SAMPLE`."""
    salt = secrets.token_bytes(16)
    times = []
    for nik in niks:
        batch = [nik[:-1] + str(i % 10) for i in range(SHA_PER_SAMPLE)]
        began = time.perf_counter()
        for number in batch:
            sha256_key(salt, number)
        times.append((time.perf_counter() - began) / SHA_PER_SAMPLE)
    return _median_seconds(times)


def run(quick: bool) -> list[dict[str, Any]]:
    samples = 15 if quick else 60
    niks = _candidates(samples)
    secret = RosterSecret.generate()
    scrypt_s = time_scrypt(secret, niks)
    sha_s = time_sha256(niks[: max(5, samples // 5)])
    residents = sum(v.wajib_ktp for v in gunung_tabur_counts())
    old_hours = CANDIDATES_PER_VILLAGE * sha_s / 3600
    lookup_ms = scrypt_s * 1000
    cost = secret.cost
    label = f"scrypt N=2^{cost.log2_n} r={cost.r} p={cost.p}"
    return [
        _row(
            "roster_key_enumeration_cpu_hours",
            SECRET_GUESSES * scrypt_s / 3600,
            "CPU-h",
            "v1 salted SHA-256, 730,500 candidates",
            old_hours,
        ),
        _row(
            "roster_key_enumeration_cpu_hours_with_secret",
            CANDIDATES_PER_VILLAGE * scrypt_s / 3600,
            "CPU-h",
            "v1 salted SHA-256, 730,500 candidates",
            old_hours,
        ),
        _row(f"roster_lookup_ms ({label})", lookup_ms, "ms", "v1 SHA-256 key", sha_s * 1000),
        _row(
            f"roster_lookup_ms_pi4_estimate (×{PI4_SLOWDOWN:g})",
            lookup_ms * PI4_SLOWDOWN,
            "ms",
            "check-in budget",
            LOOKUP_BUDGET_MS,
        ),
        _row(
            f"roster_keys_office_first_publication_s ({residents} residents)",
            residents * scrypt_s,
            "s",
            "v1 SHA-256 keys",
            residents * sha_s,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    print_table_main(run, argv, prog="python -m bench.roster_keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark harness: data at scale (``seed_scale``), scenarios and their runner.

``make bench`` runs ``python -m bench``; see bench/README.md.
"""

# The password of every ``bench-*`` user of the scale data set (never a real deployment).
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105

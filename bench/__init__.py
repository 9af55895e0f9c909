"""The benchmark harness: data at scale (``seed_scale``), scenarios and their runner.

``make bench`` runs ``python -m bench``; see bench/README.md.
"""

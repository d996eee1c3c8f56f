"""Smoke runs of the benchmark scripts in bench/: each runs end to end on a tiny load with no thresholds, so
the harnesses cannot rot. Kept out of tests/unit (pure, fast) and tests/integration; part of the default run."""

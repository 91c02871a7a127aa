"""Dashboards: the results of a run where the pipeline makes them (SPEC §8)."""

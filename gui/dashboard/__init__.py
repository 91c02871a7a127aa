"""Dashboards: the results of a run where the pipeline makes them (reference §11)."""

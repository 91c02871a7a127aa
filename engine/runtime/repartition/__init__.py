"""Repartitioning: the topic that brings all records of a group key to one partition
(``topic``: its writer and reader), and the routes by which a run alone hands those records to
their aggregate in-process instead (``handoff``)."""

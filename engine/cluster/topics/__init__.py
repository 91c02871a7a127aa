"""The data itself (reference §9.12): reading a topic from a position with a filter, producing
records back, and resetting a consumer group's offsets with a preview. Qt-free, for the
command line (``topology-studio topic`` / ``offsets``) and the app's Topic Browser alike.

Modules: ``positions`` (earliest, latest, an offset or a time), ``formats`` (decoding by
format or detected, the schema registry's wire format through confluent-kafka's
deserializers; encoding for produce), ``reader`` (``TopicReader`` and one bounded
``TopicScan``: pages, progress, cancel, filter, masking), ``output`` (NDJSON and CSV),
``producer`` (NDJSON lines back to a topic), ``offsets`` (group offset resets). Masking
rules are the model's (``engine.model.masking``).
"""

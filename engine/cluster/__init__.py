"""Talking to a Kafka cluster outside a run: the local sandbox broker, the admin and
cluster client (topics, groups, connection tests), consumer lag as Burrow judges it,
the Kafka client's logger, the priority of background processes, and the data itself
(``topics``: scanning, producing, offset resets; reference §9.12).

Uses no other engine layer; ``engine.runtime`` and ``engine.code`` use it."""

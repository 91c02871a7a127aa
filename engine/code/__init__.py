"""Topologies as code: the Kafka-Streams-like builder API, export to a runnable Python
script, static import of such a script, Kafka Streams ``Topology#describe()`` text, and
the runner behind ``topology-studio run`` and exported scripts' ``main()``.

May use ``engine.runtime``, ``engine.cluster`` and ``engine.model``; never ``engine.cli``."""

"""Topologies as code: the Kafka-Streams-like builder API, export to a runnable Python
script, static import of such a script, Kafka Streams ``Topology#describe()`` text, the
runner behind ``topology-studio run`` and exported scripts' ``main()`` (with the environment
it reads, ``environment``), and the bundles of ``topology-studio deploy`` (``deploy``).

May use ``engine.runtime``, ``engine.cluster`` and ``engine.model``; never ``engine.cli``, nor
the scripts' facade ``topology_studio`` that sits on top of it."""

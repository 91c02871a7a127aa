"""Executing a topology: the compiler that composes operators into closures, one operator
per node type, windows, state stores, serialisation, the in-process run (no broker), the
Kafka run and its collaborators, the generators and the worker-process supervisor.

May use ``engine.model`` and ``engine.cluster``; never ``engine.code`` or ``engine.cli``."""

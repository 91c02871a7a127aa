"""The sandbox's schema registry: Confluent's Schema Registry REST API v1 (reference §7.6), its
schemas kept in the compacted ``_schemas`` topic of the broker beside it.

    server = SchemaRegistryServer(bootstrap, port=0).start()
    server.url   # http://127.0.0.1:PORT, for confluent-kafka's SchemaRegistryClient
    server.stop()

Modules: ``server`` (HTTP routes), ``registry`` (registrations, deletes, levels),
``state`` (subjects, versions and ids as the topic says), ``schema_log`` (the topic),
``formats`` (parsing and limits of AVRO, PROTOBUF and JSON schemas), ``protobuf_text``
and ``proto_parser`` (``.proto`` text and descriptors), ``compatibility`` (the rules
checked). Uses confluent-kafka, avro, protobuf and
jsonschema; no other engine layer but ``engine.cluster.kafka_log``.
"""

from engine.cluster.registry.server import RegistryServerError, SchemaRegistryServer

__all__ = ["RegistryServerError", "SchemaRegistryServer"]

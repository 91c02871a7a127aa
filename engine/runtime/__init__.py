"""Executing a topology. Loose here, the dataflow core: the compiler that composes operators
into closures (``compiler``, fusing stateless chains in ``fusion``), serialisation (``serde``),
state stores (``state``), windows, dashboards, the demo generators, the in-process run
(``local``) and the run context operators receive (``context.RunContext``). Then, by role,
from the bottom up:

- ``schemas/``   the schema-registry formats (avro, protobuf, json_schema): the codecs sources
                 and sinks get from the run context (``ctx.schemas``), in-process checks;
- ``operators/`` one module per node type, written against the run context (stateless ones
                 declare a step that ``operators.chain`` runs, alone or fused);
- ``kafka/``     the Kafka run (``kafka.run.KafkaRun``) and its collaborators;
- ``testing/``   test runs without a broker: sample records, traces, test cases, state views;
- ``watch/``     what watches a run: alert rules, webhooks, the fleet publisher;
- ``worker/``    the app's worker process, its instances and memory limit.

The order is pinned by an import-linter ``layers`` contract (pyproject.toml). May use
``engine.model`` and ``engine.cluster``; never ``engine.code`` or ``engine.cli``."""

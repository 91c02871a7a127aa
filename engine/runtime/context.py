"""The run context: every service a run gives its operators, declared once.

Each run builds one from its own collaborators and hands it to the compiler: the Kafka
run (``engine.runtime.kafka.run``: the record collector, the state manager, the open
files), the in-process run (``engine.runtime.local``: topics as lists) and the test runs
(``engine.runtime.testing.trace``, whose stores note what each record wrote). Operators
receive it as ``ctx`` in ``get_executor(node, ctx, children)`` and capture the members
they use once, when compiled, so the per-record path makes no extra call.

Every member is always there: a run without a service gives its neutral form (no
producer of its own: ``kafka_produce`` is None; no flush of stores: ``before_flush`` is
None; no topology to bound values with: ``topology`` is None), so no operator asks
whether a member exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from engine.runtime.dashboard import DashboardSet
from engine.runtime.schemas import SchemaFormats
from engine.runtime.serde import MESSAGE_MAX_BYTES

if TYPE_CHECKING:
    from engine.model.topology import Topology
    from engine.runtime.operators.base import KeyValueStore, NodeMetrics, Record
    from engine.runtime.repartition.handoff import Handoff

__all__ = ["RunContext"]


class RunContext:
    """The services of one run, as its operators see them.

    - ``application_id``: names the run's internal topics (``<app>-<node>-repartition``,
      ``<app>-<node>-changelog``).
    - ``metrics``: node id -> its counters (``NodeMetrics``; a fused chain puts its own).
    - ``produce(topic, key, value, headers=None, partition=None, timestamp=None)``: writes
      a record, waiting for room when the producer's queue is full.
    - ``kafka_produce``: the Kafka producer's own ``produce`` (positional arguments:
      topic, value, key, partition, None, None, timestamp, headers), or None where the run
      has no producer; ``engine.runtime.operators.base.sender`` picks between the two.
    - ``dead_letter(record, node_id, error)``: a record that failed at ``node_id``.
    - ``console(node_id, text)``: a console sink's line.
    - ``store(node_id, partition)``: the state of ``node_id`` for one input partition.
    - ``open_file(path)``: a file sink's file, open for appending text.
    - ``before_flush``: a list of callables the run calls before it flushes its stores
      (a tumbling aggregate writes its stream time there), or None where stores are not
      flushed: then the operator writes to its store at once.
    - ``dashboards``: the tables of dashboard sinks.
    - ``topology``: the topology being run, or None (sinks then measure every value).
    - ``max_message_bytes``: the producer's ``message.max.bytes``.
    - ``schemas``: the schema-registry formats (``engine.runtime.schemas.SchemaFormats``):
      sources' decoders and sinks' encoders of avro, protobuf and json_schema; in-process
      (no registry: values given decoded, sinks' schemas checked here) where the run has none.
    - ``handoff``: the routes by which repartitioned records reach their aggregate in-process
      (``engine.runtime.repartition.handoff.Handoff``), or None where they always go through the topic.
    """

    __slots__ = (
        "application_id",
        "before_flush",
        "console",
        "dashboards",
        "dead_letter",
        "handoff",
        "kafka_produce",
        "max_message_bytes",
        "metrics",
        "open_file",
        "produce",
        "schemas",
        "store",
        "topology",
    )

    def __init__(
        self,
        *,
        application_id: str,
        metrics: dict[str, NodeMetrics],
        produce: Callable[..., None],
        dead_letter: Callable[[Record, str, BaseException], None],
        console: Callable[[str, str], None],
        store: Callable[[str, int], KeyValueStore],
        open_file: Callable[[str], TextIO],
        kafka_produce: Callable[..., Any] | None = None,
        before_flush: list[Callable[[], None]] | None = None,
        dashboards: DashboardSet | None = None,
        topology: Topology | None = None,
        max_message_bytes: int = MESSAGE_MAX_BYTES,
        schemas: SchemaFormats | None = None,
        handoff: Handoff | None = None,
    ):
        self.application_id = application_id
        self.metrics = metrics
        self.produce = produce
        self.dead_letter = dead_letter
        self.console = console
        self.store = store
        self.open_file = open_file
        self.kafka_produce = kafka_produce
        self.before_flush = before_flush
        self.dashboards = dashboards if dashboards is not None else DashboardSet()
        self.topology = topology
        self.max_message_bytes = max_message_bytes
        self.schemas = schemas if schemas is not None else SchemaFormats()
        self.handoff = handoff

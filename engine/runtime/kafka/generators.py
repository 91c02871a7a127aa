"""The demo generators of a run and the producer they share (not the run's: their
records are input, written outside the run's transactions and commits)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from engine.model.schemas import is_schema_format
from engine.runtime.context import RunContext
from engine.runtime.generator import Generator
from engine.runtime.kafka import clients
from engine.runtime.schemas import SchemaFormats


class GeneratorPool:
    def __init__(self, base_config: dict, on_error: Callable):
        self.base_config = base_config
        self.on_error = on_error
        self.generators: list[Generator] = []
        self.producer: clients.Producer | None = None  # once a generator starts
        self.schemas: SchemaFormats | None = None  # the run context's (see sharing)

    def sharing(self, ctx: RunContext) -> RunContext:
        """``ctx``, the run's context, whose schema formats (``ctx.schemas``) the generators
        write with when their node has a schema format."""
        self.schemas = ctx.schemas
        return ctx

    def start(self, nodes: list) -> None:
        """Start a generator per node."""
        schemas = self.schemas
        if not nodes:
            return
        producer = self.producer = clients.Producer(
            {
                **self.base_config,
                "linger.ms": 20,
                "acks": "all",
                "partitioner": "murmur2_random",
                "error_cb": self.on_error,
            }
        )
        lock = threading.Lock()

        def produce(topic, key, value, ts):
            with lock:
                while True:
                    try:
                        producer.produce(
                            topic, value, key, -1, None, None, ts
                        )  # positional: cheaper
                        return
                    except BufferError:
                        producer.poll(0.05)

        def poll():
            with lock:
                producer.poll(0)

        for node in nodes:
            p = node.params
            gen = Generator(
                p["topic"],
                produce,
                profile=p.get("profile", "orders"),
                rate=p.get("rate", 50),
                seed=p.get("seed"),
                limit=p.get("limit"),
                poll=poll,
                encode_value=_value_encoder(p, schemas),
            )
            self.generators.append(gen)
            gen.start()

    def done(self) -> bool:
        return all(not g.is_alive() for g in self.generators)

    def stop(self) -> None:
        for gen in self.generators:
            gen.stop()

    def close(self, time_left: Callable[[], float]) -> None:
        """Waits for the generators to end, then for their records' acknowledgement for
        at most ``time_left()`` seconds."""
        for gen in self.generators:
            gen.join(timeout=2)
        if self.producer is not None:
            self.producer.flush(time_left())
        self.producer = None


def _value_encoder(params: dict, schemas: SchemaFormats | None) -> Callable | None:
    fmt = params.get("value_format", "json")
    if schemas is None or not is_schema_format(fmt):
        return None
    return schemas.encoder(fmt, params.get("value_schema") or "", params["topic"], "value")

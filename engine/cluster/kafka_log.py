"""Where the Kafka client library's own log lines go.

librdkafka logs every failed connection attempt; the run already reports the state
that matters ("disconnected", with a reason), so its lines go to the logger
``engine.kafka``, silent unless an application attaches a handler to it (the app's
log panel or ``logging.basicConfig`` when debugging).
"""

from __future__ import annotations

import logging

KAFKA_LOGGER = logging.getLogger("engine.kafka")
KAFKA_LOGGER.addHandler(logging.NullHandler())
KAFKA_LOGGER.propagate = False


def with_logger(config: dict) -> dict:
    """``config`` with the client's log lines sent to ``engine.kafka``."""
    return {"logger": KAFKA_LOGGER, **config}

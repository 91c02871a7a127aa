"""The exceptions a Kafka run raises to its caller."""

from engine.runtime.errors import RunFailedError

__all__ = ["BrokerUnreachableError", "RunFailedError"]


class BrokerUnreachableError(RuntimeError):
    """The brokers could not be reached when the run started."""

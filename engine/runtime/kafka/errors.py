"""The exceptions a Kafka run raises to its caller."""

from engine.runtime.errors import RunFailedError

__all__ = ["BrokerUnreachableError", "RegistryUnreachableError", "RunFailedError"]


class BrokerUnreachableError(RuntimeError):
    """The brokers could not be reached when the run started."""


class RegistryUnreachableError(BrokerUnreachableError):
    """The schema registry could not be reached when the run started (reference §7.6): said and
    handled as unreachable brokers are (exit 3)."""

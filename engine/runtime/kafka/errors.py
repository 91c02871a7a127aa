"""The exceptions a Kafka run raises to its caller."""


class BrokerUnreachableError(RuntimeError):
    """The brokers could not be reached when the run started."""


class RunFailedError(RuntimeError):
    """The run cannot go on (e.g. a record could not be delivered)."""

"""The exception any run raises when it cannot go on, whatever runs it (a Kafka run, a test
run): operators raise it without knowing which."""


class RunFailedError(RuntimeError):
    """The run cannot go on (e.g. a record could not be delivered, a file cannot be opened)."""

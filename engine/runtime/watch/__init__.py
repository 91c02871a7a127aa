"""Watching a run: the alert rules' evaluation (``alerts``) and the observer that feeds it
from a run (``alert_observer``), webhooks (``webhook``), and the publisher that writes a
run's state and metrics to the fleet topics (``publisher``).

Each is a ``RunObserver`` of the Kafka run or used by one; the run does not know them."""

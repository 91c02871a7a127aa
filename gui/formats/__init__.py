"""The topology in other formats: code actions (export, import, run as code), Kafka
Streams' ``describe()`` view, and image export of a scene."""

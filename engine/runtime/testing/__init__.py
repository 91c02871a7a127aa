"""Test runs without a broker, as Kafka Streams' TopologyTestDriver: sample input records
(``sample_records``), a run that follows each record through the graph (``trace``, with what
it recorded in ``lineage``), saved test cases and their expectations (``testcases``), and the
readable view of a node's state stores (``state_view``).

Uses the dataflow core (compiler, local run, serde, state); nothing of the Kafka run."""

"""Kafka Streams' ``describe()`` view: a read-only picture of a Java Kafka Streams
application, drawn from the text its ``Topology#describe()`` prints.

``DescribeDialog`` takes the text (pasted or loaded from a file) and the application
id; ``DescribeWidget`` shows it in a window of its own: sub-topologies as labelled
frames stacked top to bottom, sources, processors and sinks in the designer's node
look, topics as pills (repartition topics marked), state stores as cylinders under
their processors, global stores in their own frame. Nothing here touches the
editable topology model: it is a separate scene and nothing in it can be moved,
deleted or undone.

The application id names the consumer group to watch: ``DescribeWidget`` keeps it
with the input topics and emits ``monitorGroupRequested(group_id)`` when asked.
"""

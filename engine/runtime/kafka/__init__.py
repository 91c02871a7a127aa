"""The Kafka run: ``run.KafkaRun``, whose loop reads as a page, and its collaborators, one job
each, in the manner of Kafka Streams' StreamThread / TaskManager /
ProcessorStateManager / RecordCollector:

- ``lifecycle``   the run's status, reason and stop request (``RunState``), shared by all;
- ``config``      ``RunConfig`` and ``RunResult``; ``errors`` the run's exceptions;
- ``observers``   ``RunObserver`` and the list that tells them of the run's life;
- ``clients``     the librdkafka settings of the run's consumer, producers and readers, and
                  ``RunClients``, the run's producer and consumer, given to collaborators;
- ``topics``      reaching the cluster and creating the run's topics (``TopicManager``);
- ``collector``   producing, delivery errors, dead letters, re-sending after a topic went
                  missing (``RecordCollector``);
- ``state_manager`` stores per node and partition, their changelogs and checkpoints;
- ``restore``     rebuilding stores from their changelogs on assignment (``ChangelogReader``);
- ``committer``   at-least-once flush-then-commit, and transactions under exactly-once;
- ``assignment``  what happens when the group assigns, revokes or loses partitions
                  (and keeping acknowledged progress when a lost partition comes back);
- ``flow``        pausing reading while acknowledgements or a commit are awaited;
- ``idle``        ``--until-idle``: idle time only while connected, assigned and restored;
- ``slots``       instance slots, for a transactional id stable across restarts;
- ``connection``  noticing the brokers went away and came back;
- ``metrics``     snapshots, rates, lag and the final figures;
- ``generators``  the demo generators and their producer;
- ``samples``     the data preview's latest records per node; ``files`` the file sinks;
- ``ordering``    timestamp order across partitions for topologies with joins.

No collaborator imports ``run``; each is constructible and testable alone.
May use ``engine.model``, ``engine.cluster`` and the rest of ``engine.runtime``."""

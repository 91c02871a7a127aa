"""Test runs in the app (reference §13): sample records through the topology in-process, each
node's input and output side by side, a record followed through the graph, state browsing.
Qt-free helpers in ``rows``; views in the ``qt_`` modules; ``qt_test_run.install`` hooks
it all into the main window."""

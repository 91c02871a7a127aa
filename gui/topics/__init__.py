"""The data itself in the app (reference §9.12): the Topic Browser (``qt_browser``: a topic's
partitions, seek, search as you type, columns, a record whole, export, produce), the Reset
Offsets dialog (``qt_reset_offsets``), the cluster dock's topic administration
(``qt_topic_admin``) and ``install``, which wires them to the main window's Cluster dock.
Everything that touches the cluster runs off the GUI thread (``qt_scan``, BackgroundCall).
"""

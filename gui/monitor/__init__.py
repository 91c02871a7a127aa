"""Running and watching topologies: connection profiles, the run controller, live
charts, data preview, the run log and the cluster view. ``RunMonitor`` is the one
object the main window integrates."""

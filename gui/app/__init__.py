"""The app shell: the entry point (``application``), the main window and what it
owns outright: start-up options, crash recovery, settings, file actions, the error log,
the About dialog and the sandbox broker service."""

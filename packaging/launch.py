"""The packaged app's entry point (packaging/topology-studio.spec): the same command as the
``topology-studio`` console script, the app and the whole command line."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A run's worker is a spawned process, and in the packaged app the only interpreter is
    # this executable: started with --multiprocessing-fork (or as multiprocessing's resource
    # tracker) it must become that process, not open another window.
    multiprocessing.freeze_support()

    from gui.launcher import main

    sys.exit(main())

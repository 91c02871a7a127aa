"""``run_main`` under the import path exported scripts use; it lives in ``engine.code.runner``."""

from engine.code.runner import run_main

__all__ = ["run_main"]

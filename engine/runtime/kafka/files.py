"""Files the file sinks append to: opened once per path, flushed before each commit."""

from __future__ import annotations

import errno
import os


class OpenFiles:
    def __init__(self) -> None:
        self._handles: dict = {}

    def open(self, path: str):
        handle = self._handles.get(path)
        if handle is None:
            folder = os.path.dirname(os.path.abspath(path))
            try:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:  # a file where a folder of the path should be
                raise NotADirectoryError(
                    errno.ENOTDIR, f"a file is in the way of the folder {folder}"
                ) from None
            handle = self._handles[path] = open(path, "a", encoding="utf-8")  # noqa: SIM115
        return handle

    def flush(self) -> None:
        for handle in self._handles.values():
            handle.flush()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()

"""file_sink: appends records to a file as JSON lines: {"key", "value", "timestamp"}."""

from engine.runtime.errors import RunFailedError
from engine.runtime.operators.base import Record
from engine.runtime.serde import to_json_text


def get_executor(node, ctx, children):
    path = node.params["path"]
    try:
        handle = ctx.open_file(path)
    except OSError as exc:  # a folder in the way, no permission, a full disk: the run cannot start
        raise RunFailedError(f"{node.id}: cannot write {path}: {exc.strerror or exc}") from None
    write = handle.write
    metrics = ctx.metrics[node.id]

    def process(record: Record) -> None:
        metrics.in_ += 1
        write(
            f'{{"key":{to_json_text(record.key)},"value":{to_json_text(record.value)},'
            f'"timestamp":{record.timestamp}}}\n'
        )
        metrics.out += 1

    return process

"""The node catalogue: every node type, its ports, and its parameters.

This is the one place that knows which node types exist. Validation, the inspector,
the palette, the builder API and code export all read it. A new node type is one
entry here plus its operator in ``engine/operators``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.model.expressions import JOIN_NAMES
from engine.model.param_spec import ParamSpec
from engine.model.schemas import SCHEMA_FORMATS, SUBJECT_STRATEGIES

SOURCES, TRANSFORMS, AGGREGATES, JOINS, SINKS = (
    "Sources",
    "Transforms",
    "Aggregates",
    "Joins",
    "Sinks",
)
CATEGORIES = (SOURCES, TRANSFORMS, AGGREGATES, JOINS, SINKS)

AGGREGATION_FUNCTIONS = (
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "first",
    "last",
    "count_distinct",
    "reduce",
)
WINDOW_TYPES = ("none", "tumbling", "hopping", "session", "sliding")
DASHBOARD_VIEWS = ("kpi", "bars", "line", "table")


@dataclass(frozen=True)
class NodeType:
    name: str
    category: str
    title: str
    description: str
    inputs: tuple[str, ...] = ("in",)
    outputs: tuple[str, ...] = ("out",)
    params: tuple[ParamSpec, ...] = ()
    many_inputs: bool = False  # whether one input port takes several edges
    dynamic_outputs: Callable[[dict], tuple[str, ...]] | None = field(default=None, compare=False)
    stateful: bool = False

    def output_ports(self, params: dict) -> tuple[str, ...]:
        if self.dynamic_outputs is not None:
            return self.dynamic_outputs(params)
        return self.outputs

    def param(self, name: str) -> ParamSpec | None:
        for spec in self.params:
            if spec.name == name:
                return spec
        return None

    def defaults(self) -> dict:
        """Params a new node of this type starts with: required ones get a sensible seed."""
        return dict(NEW_NODE_PARAMS.get(self.name, {}))


def _branch_ports(params: dict) -> tuple[str, ...]:
    names = []
    branches = params.get("branches") if isinstance(params, dict) else None
    if not isinstance(branches, list):
        return ("else",)
    for branch in branches:
        if isinstance(branch, dict) and isinstance(branch.get("name"), str):
            names.append(branch["name"])
    return (*names, "else")


KEY_FORMATS = ("string", "json", "bytes", *SCHEMA_FORMATS)
VALUE_FORMATS = ("json", "string", "bytes", *SCHEMA_FORMATS)
_WITH_VALUE_SCHEMA = (("value_format", SCHEMA_FORMATS),)  # a schema param's applies_when
_WITH_KEY_SCHEMA = (("key_format", SCHEMA_FORMATS),)
_FORMAT_HELP = (
    "avro, protobuf and json_schema: the Confluent wire format, with the schema registry of "
    "settings.schema_registry (or run --schema-registry, $SCHEMA_REGISTRY_URL, the sandbox's)."
)

_TYPES = (
    NodeType(
        "kafka_source",
        SOURCES,
        "Kafka source",
        "Reads records from a Kafka topic.",
        inputs=(),
        params=(
            ParamSpec("topic", "topic", required=True, help="The topic to read."),
            ParamSpec(
                "key_format", "enum", default="string", choices=KEY_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "value_format", "enum", default="json", choices=VALUE_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "start",
                "enum",
                default="earliest",
                choices=("earliest", "latest"),
                help="Where a new consumer group starts reading.",
            ),
            ParamSpec(
                "timestamp",
                "timestamp",
                default="record",
                help="'record' for the record's own timestamp, or an expression giving ms.",
            ),
        ),
    ),
    NodeType(
        "table_source",
        SOURCES,
        "Table source",
        "Reads a topic as a table: the latest value per key; a null value deletes the key.",
        inputs=(),
        params=(
            ParamSpec("topic", "topic", required=True, help="The topic to read."),
            ParamSpec(
                "key_format", "enum", default="string", choices=KEY_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "value_format", "enum", default="json", choices=VALUE_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "start",
                "enum",
                default="earliest",
                choices=("earliest", "latest"),
                help="Where a new consumer group starts reading.",
            ),
            ParamSpec(
                "timestamp",
                "timestamp",
                default="record",
                help="'record' for the record's own timestamp, or an expression giving ms.",
            ),
        ),
        stateful=True,
    ),
    NodeType(
        "generator_source",
        SOURCES,
        "Demo generator",
        "Writes synthetic e-commerce orders or clicks to a topic and reads them back.",
        inputs=(),
        params=(
            ParamSpec("topic", "topic", required=True),
            ParamSpec("profile", "enum", default="orders", choices=("orders", "clicks")),
            ParamSpec("rate", "number", default=50, minimum=0, help="Records per second."),
            ParamSpec("seed", "int", default=None, help="Seed for repeatable data."),
            ParamSpec(
                "limit", "int", default=None, minimum=0, help="Stop after this many records."
            ),
            ParamSpec(
                "value_format",
                "enum",
                default="json",
                choices=("json", *SCHEMA_FORMATS),
                help="How events are written and read back. " + _FORMAT_HELP,
            ),
            ParamSpec(
                "value_schema",
                "schema",
                help="The schema events are written with (avro, protobuf, json_schema): its "
                "text, a file beside the topology, or subject:<name>[:<version>].",
                applies_when=_WITH_VALUE_SCHEMA,
            ),
        ),
    ),
    NodeType(
        "filter",
        TRANSFORMS,
        "Filter",
        "Keeps the records for which the expression is true.",
        params=(ParamSpec("expr", "expr", required=True, label="Keep when"),),
    ),
    NodeType(
        "map",
        TRANSFORMS,
        "Map",
        "Replaces each record's value with the expression's result.",
        params=(ParamSpec("expr", "expr", required=True, label="New value"),),
    ),
    NodeType(
        "set_fields",
        TRANSFORMS,
        "Set fields",
        "Adds or replaces fields of a JSON value.",
        params=(ParamSpec("fields", "fields", required=True),),
    ),
    NodeType(
        "flat_map",
        TRANSFORMS,
        "Flat map",
        "Emits one record per element of the expression's list.",
        params=(ParamSpec("expr", "expr", required=True, label="Elements"),),
    ),
    NodeType(
        "rekey",
        TRANSFORMS,
        "Re-key",
        "Replaces each record's key with the expression's result.",
        params=(ParamSpec("expr", "expr", required=True, label="New key"),),
    ),
    NodeType(
        "branch",
        TRANSFORMS,
        "Branch",
        "Routes each record to the first branch whose expression is true, else to 'else'.",
        params=(ParamSpec("branches", "branches", required=True),),
        dynamic_outputs=_branch_ports,
    ),
    NodeType(
        "merge",
        TRANSFORMS,
        "Merge",
        "Union of all its input streams.",
        many_inputs=True,
    ),
    NodeType(
        "to_table",
        TRANSFORMS,
        "To table",
        "Reads a stream as a table: the latest value per key; a null value deletes the key.",
        stateful=True,
    ),
    NodeType(
        "aggregate",
        AGGREGATES,
        "Aggregate",
        "Counts, sums and averages per key, optionally per time window.",
        params=(
            ParamSpec(
                "group_by",
                "expr",
                default=None,
                label="Group by",
                help="Expression for the group key; the record key when empty.",
            ),
            ParamSpec("window", "window", default=None),
            ParamSpec("aggregations", "aggregations", required=True),
            ParamSpec(
                "emit",
                "enum",
                default="update",
                choices=("update", "final"),
                help="update: on every change; final: once, when the window closes.",
            ),
        ),
        stateful=True,
    ),
    NodeType(
        "table_aggregate",
        AGGREGATES,
        "Table aggregate",
        "Regroups a table by a new key and aggregates it, retracting each row's old value "
        "before adding its new one.",
        params=(
            ParamSpec(
                "group_by",
                "expr",
                required=True,
                label="Group by",
                help="Expression for the group key, over the row's key and value.",
            ),
            ParamSpec(
                "aggregations",
                "aggregations",
                required=True,
                help="count, sum, avg, or reduce with expr (the adder) and subtract.",
            ),
        ),
        stateful=True,
    ),
    NodeType(
        "join",
        JOINS,
        "Join",
        "Enriches the left stream with the right side's latest value per key, "
        "or correlates two streams within a window.",
        inputs=("left", "right"),
        params=(
            ParamSpec(
                "mode",
                "enum",
                default="inner",
                choices=("inner", "left", "outer"),
                help="outer: stream-stream joins only; unmatched records of either side too.",
            ),
            ParamSpec(
                "window",
                "duration",
                default=None,
                help="Empty: the right side is a table. A duration: stream-stream join.",
            ),
            ParamSpec(
                "before",
                "duration",
                default=None,
                help="Stream-stream joins: how far a right record may be before the left "
                "one (the window when empty).",
            ),
            ParamSpec(
                "after",
                "duration",
                default=None,
                help="Stream-stream joins: how far a right record may be after the left "
                "one (the window when empty).",
            ),
            ParamSpec(
                "grace",
                "duration",
                default=None,
                help="Stream-stream joins: how long after its window a late record may "
                "still join (0 when empty).",
            ),
            ParamSpec("expr", "expr", required=True, names=JOIN_NAMES, label="Output value"),
        ),
        stateful=True,
    ),
    NodeType(
        "table_join",
        JOINS,
        "Table join",
        "Joins two tables on their key, emitting on changes of either side.",
        inputs=("left", "right"),
        params=(
            ParamSpec(
                "mode",
                "enum",
                default="inner",
                choices=("inner", "left", "outer"),
                help="inner: keys on both sides; left: every left row; outer: every row of "
                "either side, the missing side None.",
            ),
            ParamSpec("expr", "expr", required=True, names=JOIN_NAMES, label="Output value"),
        ),
        stateful=True,
    ),
    NodeType(
        "kafka_sink",
        SINKS,
        "Kafka sink",
        "Writes records to a Kafka topic.",
        outputs=(),
        params=(
            ParamSpec("topic", "topic", required=True),
            ParamSpec(
                "key_format", "enum", default="string", choices=KEY_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "value_format", "enum", default="json", choices=VALUE_FORMATS, help=_FORMAT_HELP
            ),
            ParamSpec(
                "value_schema",
                "schema",
                help="The schema values are written with (avro, protobuf, json_schema): its "
                "text, a file beside the topology (.avsc, .proto, .json), or "
                "subject:<name>[:<version>] for one already registered.",
                applies_when=_WITH_VALUE_SCHEMA,
            ),
            ParamSpec(
                "key_schema",
                "schema",
                help="The schema keys are written with, as value_schema.",
                applies_when=_WITH_KEY_SCHEMA,
            ),
            ParamSpec(
                "subject_strategy",
                "enum",
                default="topic",
                choices=SUBJECT_STRATEGIES,
                help="The subject a schema is registered under: topic (<topic>-value), "
                "record (the record's name), topic_record (<topic>-<record name>).",
                applies_when=_WITH_VALUE_SCHEMA + _WITH_KEY_SCHEMA,
            ),
        ),
    ),
    NodeType(
        "console_sink",
        SINKS,
        "Console",
        "Shows records in the log panel, or on stdout of run.",
        outputs=(),
        params=(
            ParamSpec(
                "limit", "int", default=None, minimum=0, help="Show at most this many records."
            ),
        ),
    ),
    NodeType(
        "file_sink",
        SINKS,
        "File sink",
        "Appends records to a file as JSON lines.",
        outputs=(),
        params=(
            ParamSpec("path", "path", required=True),
            ParamSpec("format", "enum", default="jsonl", choices=("jsonl",)),
        ),
    ),
    NodeType(
        "dashboard_sink",
        SINKS,
        "Dashboard",
        "Keeps the latest value per key (and window) and shows it live in the app's Dashboard.",
        outputs=(),
        params=(
            ParamSpec("title", "string", required=True, help="The panel's title."),
            ParamSpec(
                "view",
                "enum",
                default="table",
                choices=DASHBOARD_VIEWS,
                help="kpi: a big number; bars: one bar per key; line: one line per key "
                "over window time; table: every row.",
            ),
            ParamSpec(
                "fields",
                "field_list",
                default=None,
                help="Value fields to show; every numeric field when empty.",
            ),
            ParamSpec(
                "max_rows",
                "int",
                default=1000,
                minimum=1,
                help="Rows kept; past it the oldest windows, then the oldest updates, go.",
            ),
        ),
    ),
)

NODE_TYPES: dict[str, NodeType] = {t.name: t for t in _TYPES}

NEW_NODE_PARAMS: dict[str, dict] = {
    "kafka_source": {"topic": "input"},
    "table_source": {"topic": "input"},
    "generator_source": {"topic": "orders", "profile": "orders", "rate": 50},
    "filter": {"expr": "True"},
    "map": {"expr": "value"},
    "set_fields": {"fields": {"field": "value"}},
    "flat_map": {"expr": "[value]"},
    "rekey": {"expr": "key"},
    "branch": {"branches": [{"name": "yes", "expr": "True"}]},
    "aggregate": {"aggregations": [{"name": "count", "fn": "count"}]},
    "table_aggregate": {"group_by": "value", "aggregations": [{"name": "count", "fn": "count"}]},
    "join": {"expr": "{**left, **(right or {})}", "mode": "inner"},
    "table_join": {"expr": "{**(left or {}), **(right or {})}", "mode": "inner"},
    "kafka_sink": {"topic": "output"},
    "file_sink": {"path": "output.jsonl"},
    "dashboard_sink": {"title": "Dashboard", "view": "table"},
}

# Topology-level settings: name -> (kind, default, choices)
SETTINGS: dict[str, ParamSpec] = {
    s.name: s
    for s in (
        ParamSpec("processing_guarantee", "enum", default="at_least_once",
                  choices=("at_least_once", "exactly_once")),
        ParamSpec("dead_letter_topic", "topic", default=None,
                  help="Where undecodable records and failed expressions go; <name>.dlq when empty."),
        ParamSpec("state_store", "enum", default="memory", choices=("memory", "rocksdb"),
                  help="Where aggregate and join state is kept; rocksdb keeps it on disk."),
        ParamSpec("state_dir", "path", default=None,
                  help="Folder of the on-disk state store."),
        ParamSpec("commit_interval", "duration", default="1s",
                  help="How often offsets are committed (after the producer is flushed)."),
        ParamSpec("topic_partitions", "int", default=3, minimum=1,
                  help="Partitions of topics the run creates (sinks, internal topics)."),
        ParamSpec("publish_metrics", "bool", default=True,
                  help="Publish run state to <name>-metrics and the topology to <name>-topology, "
                       "so status and Attach can watch runs anywhere."),
        ParamSpec("masking", "masking", default=None,
                  help="Fields whose values are shown and exported as *** (rules of field and "
                       "topic globs); filters and search do not see them."),
        ParamSpec("alerts", "alerts", default=None,
                  help="Rules that tell when the pipeline falls behind or starts failing."),
        ParamSpec("alert_webhook", "url", default=None,
                  help="An http(s) address each alert firing or resolving is POSTed to as JSON."),
        ParamSpec("schema_registry", "schema_registry", default=None,
                  help='The schema registry of the avro, protobuf and json_schema formats: '
                       '{"url", "basic_auth_user_info"?, "auto_register"?, "ca_location"?}; a secret may '
                       'name an environment variable as ${NAME}.'),
        ParamSpec("worker_memory_limit", "int", default=4096, minimum=0,
                  help="MB of memory a run's process may use (0: no limit); past it the run "
                       "fails with a reason instead of exhausting the machine."),
    )
}  # fmt: skip


def node_type(name: str) -> NodeType | None:
    return NODE_TYPES.get(name)

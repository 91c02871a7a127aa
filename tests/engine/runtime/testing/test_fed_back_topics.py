"""In-process runs deliver to a source what the same topology writes to its topic, as Kafka
Streams' TopologyTestDriver does (reference §10): in LocalRun, test cases and traces, with
the sink's record as the source record's parent, and a bound on a topology that feeds
itself."""

from engine.code.builder import StreamsBuilder
from engine.runtime.local import MAX_ROUNDS, LocalRun
from engine.runtime.testing.testcases import parse_cases, run_case
from engine.runtime.testing.trace import InputRecord, run_trace


def relay():
    """orders → (amount doubled) → topic "doubled"; doubled → out."""
    b = StreamsBuilder("relay")
    b.stream("orders", name="orders").map("value * 2", name="double").to("doubled", name="mid")
    b.stream("doubled", name="again").to("out", name="out")
    return b.build()


def test_a_local_run_reads_back_what_its_sink_wrote():
    run = LocalRun(relay())
    run.send("orders", 4, key="a", timestamp=7)
    assert run.records("out") == [("a", 8)]
    assert run.topics["out"][0].timestamp() == (1, 7)


def test_a_case_and_a_trace_follow_the_record_through_the_topic():
    case = parse_cases(
        {
            "cases": [
                {
                    "name": "relay",
                    "inputs": {"orders": [{"key": "a", "value": 4}]},
                    "expect": {"out": [{"key": "a", "value": 8}]},
                }
            ]
        }
    )[0]
    assert run_case(relay(), case).passed
    trace = run_trace(relay(), {"orders": [InputRecord(4, key="a")]})
    by_node = {r.node: r for r in trace.records}
    assert by_node["again"].parents == (by_node["mid"].n,)
    assert by_node["out"].value == 8


def test_a_topology_feeding_itself_goes_round_a_bounded_number_of_times():
    b = StreamsBuilder("loop")
    b.stream("loop", name="src").map("value + 1", name="inc").to("loop", name="sink")
    run = LocalRun(b.build())
    run.send("loop", 0)
    assert run.values("loop") == list(range(MAX_ROUNDS + 2))
    assert run.undelivered == 1

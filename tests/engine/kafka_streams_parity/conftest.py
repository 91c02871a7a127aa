import pytest

from tests.engine.kafka_streams_parity.driver import STATE


@pytest.fixture(params=STATE)
def state(request):
    """Each port runs on memory stores, on RocksDB with a restart after every record, and
    on stores rebuilt from their changelog after every record."""
    return request.param

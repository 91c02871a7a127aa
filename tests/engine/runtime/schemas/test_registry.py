"""Where the registry is, and a registry that does not answer (reference §7.6)."""

import socket
from pathlib import Path

import pytest

from engine.runtime.errors import RunFailedError
from engine.runtime.schemas import RegistryConfigError, SchemaFormats, resolve_registry
from engine.runtime.schemas.codecs import RegistryUnavailable, decoder
from engine.runtime.schemas.registry import RegistryConfig, RegistryOutage
from engine.runtime.serde import SerdeError


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_resolution_order():
    env = {"SCHEMA_REGISTRY_URL": "http://env:8081"}
    settings = {"schema_registry": {"url": "http://file:8081"}}
    assert resolve_registry(settings, "http://cli:8081", env).url == "http://cli:8081"
    assert resolve_registry(settings, None, env).url == "http://file:8081"
    assert resolve_registry({}, None, env).url == "http://env:8081"
    assert resolve_registry({}, None, {}, sandbox_url="http://sb:1").url == "http://sb:1"
    assert resolve_registry({}, None, {}) is None


def test_secrets_from_the_environment():
    settings = {
        "schema_registry": {
            "url": "https://${SR_HOST}",
            "basic_auth_user_info": "${SR_KEY}:${SR_SECRET}",
            "auto_register": False,
        }
    }
    env = {"SR_HOST": "sr.example:443", "SR_KEY": "k", "SR_SECRET": "s3"}
    config = resolve_registry(settings, None, env)
    assert config == RegistryConfig("https://sr.example:443", "k:s3", auto_register=False)
    assert config.client_conf()["basic.auth.user.info"] == "k:s3"
    with pytest.raises(RegistryConfigError, match="the environment variable SR_SECRET is not set"):
        resolve_registry(settings, None, {"SR_HOST": "h", "SR_KEY": "k"})


def test_the_ca_certificate_of_an_https_registry(tmp_path):
    settings = {"schema_registry": {"url": "https://sr:8081", "ca_location": "~/ca.pem"}}
    config = resolve_registry(settings, None, {})
    assert config.client_conf()["ssl.ca.location"] == str(Path("~/ca.pem").expanduser())
    assert "ssl.ca.location" not in resolve_registry({}, "https://sr:8081", {}).client_conf()
    # confluent-kafka's client loads it: a file that is no certificate is refused there.
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    settings["schema_registry"]["ca_location"] = str(bad)
    with pytest.raises(Exception):  # noqa: B017 - ssl's own error
        resolve_registry(settings, None, {}).client()


def test_shown_url_hides_credentials():
    assert RegistryConfig("https://u:p@sr:8081/x").shown_url == "https://sr:8081/x"


def test_an_unreachable_registry_is_one_sentence():
    url = f"http://127.0.0.1:{closed_port()}"
    formats = SchemaFormats.for_registry(RegistryConfig(url))
    assert formats.unreachable() == f"the schema registry at {url} does not answer"
    assert SchemaFormats().unreachable() is None  # in-process: nothing to ask


def test_a_registry_that_stops_answering_mid_run_is_waited_for():
    url = f"http://127.0.0.1:{closed_port()}"
    client = RegistryConfig(url).client()
    decode = decoder("avro", client, "orders", "value")
    with pytest.raises(RegistryUnavailable):  # not a bad record: nothing is dead-lettered
        decode(b"\x00\x00\x00\x00\x01\x02")
    statuses, tries = [], []
    state = {"status": "running"}

    def report(status, reason):
        state["status"] = status
        statuses.append((status, reason))

    outage = RegistryOutage(url, report, lambda: False, lambda: state["status"])

    def flaky(arg):
        tries.append(arg)
        if len(tries) < 3:
            raise RegistryUnavailable("down")
        return "decoded"

    assert outage.retry(flaky, b"x", RegistryUnavailable("down")) == "decoded"
    assert statuses == [
        ("disconnected", f"the schema registry at {url} does not answer; retrying"),
        ("running", ""),
    ]


def test_a_stop_during_an_outage_fails_the_record_so_it_is_read_again():
    outage = RegistryOutage("http://sr", lambda *a: None, lambda: True, lambda: "running")

    def down(arg):
        raise RegistryUnavailable("down")

    with pytest.raises(RunFailedError, match="will be read again"):
        outage.retry(down, b"x", RegistryUnavailable("down"))


def test_without_an_outage_handler_the_record_fails_with_the_reason():
    url = f"http://127.0.0.1:{closed_port()}"
    formats = SchemaFormats.for_registry(RegistryConfig(url))
    decode = formats.decoder("avro", "orders", "value")
    with pytest.raises(SerdeError, match="does not answer"):
        decode(b"\x00\x00\x00\x00\x01\x02")

"""``.proto`` text and base64 descriptors read into FileDescriptorProtos and printed back."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2

from engine.cluster.registry import protobuf_text
from engine.cluster.registry.protobuf_text import ProtoSyntaxError

ORDER = """
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
option java_package = "com.example.shop";

/* An order, with every construct the parser reads. */
message Order {
  string id = 1;
  double amount = 2 [json_name = "amt", deprecated = true];
  optional int64 qty = 3;
  Status status = 4;
  repeated Line lines = 5;
  map<string, int32> tags = 6;
  google.protobuf.Timestamp at = 7;
  oneof payment {
    string card = 8;
    Line.Kind kind = 9;
  }
  reserved 20 to 25, 30;
  reserved "legacy";
  message Line {
    string sku = 1;
    enum Kind { A = 0; B = 1; }
    Kind kind = 2;
  }
  enum Status { NEW = 0; PAID = 1; }
}

service Orders {
  rpc Get (Order) returns (stream Order);
}
"""


def fields(fdp: descriptor_pb2.FileDescriptorProto, message: str) -> dict:
    [msg] = [m for m in fdp.message_type if m.name == message]
    return {f.name: f for f in msg.field}


def test_proto_text_becomes_a_descriptor_with_resolved_types():
    fdp = protobuf_text.parse(ORDER)
    F = descriptor_pb2.FieldDescriptorProto
    order = fields(fdp, "Order")
    assert fdp.package == "shop.v1" and fdp.syntax == "proto3"
    assert list(fdp.dependency) == ["google/protobuf/timestamp.proto"]
    assert order["status"].type == F.TYPE_ENUM
    assert order["status"].type_name == ".shop.v1.Order.Status"
    assert order["lines"].label == F.LABEL_REPEATED
    assert order["at"].type_name == ".google.protobuf.Timestamp"
    assert order["kind"].type_name == ".shop.v1.Order.Line.Kind"
    assert order["qty"].proto3_optional
    assert order["amount"].json_name == "amt"
    assert order["tags"].type_name == ".shop.v1.Order.TagsEntry"
    [msg] = fdp.message_type
    assert [o.name for o in msg.oneof_decl] == ["payment", "_qty"]
    assert [(r.start, r.end) for r in msg.reserved_range] == [(20, 26), (30, 31)]
    assert fdp.service[0].method[0].server_streaming


def test_printed_text_reads_back_to_the_same_descriptor():
    fdp = protobuf_text.parse(ORDER)
    again = protobuf_text.parse(protobuf_text.to_text(fdp))
    assert again == fdp


def test_a_base64_descriptor_is_read_as_confluent_kafka_sends_it():
    fdp = protobuf_text.parse(ORDER)
    encoded = base64.b64encode(fdp.SerializeToString()).decode()
    assert protobuf_text.is_base64(encoded) and not protobuf_text.is_base64(ORDER)
    assert protobuf_text.parse(encoded) == fdp
    assert protobuf_text.parse(protobuf_text.to_base64(fdp)) == fdp


def test_a_reference_resolves_imported_types():
    money = protobuf_text.parse('syntax = "proto3"; package m; message Money { int64 c = 1; }')
    money.name = "money.proto"
    text = 'syntax = "proto3"; import "money.proto"; message P { m.Money total = 1; }'
    fdp = protobuf_text.parse(text, [money])
    assert fields(fdp, "P")["total"].type_name == ".m.Money"
    with pytest.raises(ProtoSyntaxError, match="'m.Money' of field 'total' is not defined"):
        protobuf_text.parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('syntax = "proto3"; message A { string x = 1; int32 y = 1; }', "duplicate field number"),
        ("message A { string x = 1; }", "needs a label"),
        ('syntax = "proto3";\nmessage A {\n string x = 1\n}', "line 4: expected ';'"),
        ('syntax = "proto4";', "unknown syntax"),
        ('syntax = "proto3"; message A { required string x = 1; }', "not allowed in proto3"),
        ("message A { optional group G = 1 { } }", "groups"),
        ('syntax = "proto3"; message A { string x = 1; } $', "unexpected character"),
        ("AAAA", "not a base64 FileDescriptorProto"),
    ],
)
def test_invalid_text_is_refused_with_the_reason(text, reason):
    with pytest.raises(ProtoSyntaxError, match=reason):
        protobuf_text.parse(text)

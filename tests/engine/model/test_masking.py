"""settings.masking: its rules validated with sentences, and the masking of decoded records
(names and globs at any depth, dotted paths, headers, topics)."""

from __future__ import annotations

from engine.model.masking import MASK, Masker, MaskRule, check_masking, rules_from_settings
from engine.model.topology import Topology
from engine.model.validation import errors, validate


def test_a_field_name_is_masked_at_any_depth_and_in_lists():
    masker = Masker([MaskRule("email")], "orders")
    value = {"email": "a@b", "customer": {"email": "c@d", "name": "Ann"}, "items": [{"email": 1}]}
    masked = masker.mask(value)
    assert masked == {
        "email": MASK,
        "customer": {"email": MASK, "name": "Ann"},
        "items": [{"email": MASK}],
    }
    assert value["email"] == "a@b"  # the record itself is not changed


def test_a_glob_masks_every_matching_name_and_the_whole_subtree():
    masker = Masker([MaskRule("*token*"), MaskRule("card")], "t")
    masked = masker.mask({"api_token": "x", "tokens": [1, 2], "card": {"no": "4111", "cvc": 1}})
    assert masked == {"api_token": MASK, "tokens": MASK, "card": MASK}


def test_a_dotted_path_masks_only_that_path():
    masker = Masker([MaskRule("customer.email"), MaskRule("card.*")], "t")
    masked = masker.mask(
        {"email": "keep", "customer": {"email": "x", "id": 1}, "card": {"no": 1, "cvc": 2}}
    )
    assert masked == {
        "email": "keep",
        "customer": {"email": MASK, "id": 1},
        "card": {"no": MASK, "cvc": MASK},
    }


def test_rules_apply_to_their_topics_only():
    rules = [MaskRule("email", topic="orders*")]
    assert Masker(rules, "orders-eu").mask({"email": "x"}) == {"email": MASK}
    other = Masker(rules, "clicks")
    assert not other.active
    assert other.mask({"email": "x"}) == {"email": "x"}


def test_headers_are_masked_by_name_and_scalars_pass():
    masker = Masker([MaskRule("auth*")], "t")
    assert masker.mask_headers({"authorization": "Bearer x", "trace": "1"}) == {
        "authorization": MASK,
        "trace": "1",
    }
    assert masker.mask("plain text") == "plain text"


def test_a_record_nested_beyond_the_depth_limit_is_masked_below_it():
    deep: dict = {"email": "x"}
    for _ in range(200):
        deep = {"a": deep}
    masked = Masker([MaskRule("email")], "t").mask(deep)
    text = repr(masked)
    assert "'x'" not in text and MASK in text


def test_masking_rules_are_validated_with_sentences():
    bad = {
        "masking": [
            "email",
            {"field": ""},
            {"field": "a..b"},
            {"field": "x", "topic": 3},
            {"field": "x", "colour": "red"},
            {"field": "ok", "topic": "orders*"},
        ]
    }
    messages = [p.message for p in check_masking(bad)]
    assert messages == [
        'masking rule 1 must be an object such as {"field": "email"}',
        "masking rule 2 needs a field: a field name or a glob such as '*email*'",
        "masking rule 3 field 'a..b' has an empty step between dots",
        "masking rule 4 topic must be a topic name or a glob such as 'orders*'",
        "masking rule 5 has unknown key 'colour'; a rule has field and topic",
    ]
    assert rules_from_settings(bad) == [MaskRule("ok", "orders*")]
    assert [p.message for p in check_masking({"masking": "email"})] == [
        "setting 'masking' must be a list of rules"
    ]


def test_a_topology_with_masking_validates_and_a_bad_rule_is_an_error():
    good = Topology("app", {"masking": [{"field": "email"}]})
    assert not errors(validate(good))
    bad = Topology("app", {"masking": [{"topic": "x"}]})
    assert any("masking rule 1" in p.message for p in errors(validate(bad)))

"""The condition language: operators, three-valued logic, relations, and compile-time errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.engine.capabilities import CapabilityCatalog
from scanner.engine.conditions import ConditionError, compile_condition, substitute_params
from scanner.engine.context import EvalContext
from scanner.model import Identity, Inventory
from scanner.scan import load_catalogs

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def evaluate(condition: dict[str, Any], identity: Identity, inventory: Inventory | None = None) -> bool | None:
    inventory = inventory or Inventory(collected_at=AS_OF, identities=[identity])
    ctx = EvalContext(inventory, AS_OF, CapabilityCatalog(tags={"x": "x"}, rules=[]))
    return compile_condition(condition, "identity").predicate(identity, ctx)


def person(**fields: Any) -> Identity:
    return Identity(uid="u1", provider="aws", account="1", kind="user", name=fields.pop("name", "ci-deploy"), **fields)


class TestFieldOperators:
    def test_equals_and_in(self) -> None:
        assert evaluate({"field": "kind", "equals": "user"}, person()) is True
        assert evaluate({"field": "kind", "in": ["role", "user"]}, person()) is True
        assert evaluate({"field": "kind", "in": ["role"]}, person()) is False

    def test_comparisons_on_derived_age(self) -> None:
        old = person(created=AS_OF - timedelta(days=400))
        assert evaluate({"field": "age_days", "gt": 399}, old) is True
        assert evaluate({"field": "age_days", "lte": 399}, old) is False

    def test_an_empty_value_never_satisfies_a_comparison(self) -> None:
        assert evaluate({"field": "age_days", "gt": 1}, person(created=None)) is False
        assert evaluate({"field": "age_days", "lte": 1}, person(created=None)) is False

    def test_exists_distinguishes_empty_from_present(self) -> None:
        assert evaluate({"field": "owner", "exists": True}, person(owner="team")) is True
        assert evaluate({"field": "owner", "exists": True}, person(owner="")) is False
        assert evaluate({"field": "owner", "exists": False}, person(owner=None)) is True

    def test_matches_and_contains(self) -> None:
        assert evaluate({"field": "name", "matches": "^ci-"}, person()) is True
        assert evaluate({"field": "name", "contains": "deploy"}, person()) is True
        assert evaluate({"field": "tags.team", "equals": "payments"}, person(tags={"team": "payments"})) is True
        assert evaluate({"field": "attributes.trust", "exists": False}, person()) is True

    def test_a_field_the_source_could_not_collect_is_unknown(self) -> None:
        assert evaluate({"field": "owner", "exists": True}, person(unknown=["owner"])) is None
        assert evaluate({"field": "age_days", "gt": 3}, person(unknown=["created"])) is None


class TestKleeneLogic:
    unknown = {"field": "owner", "exists": True}
    true = {"field": "kind", "equals": "user"}
    false = {"field": "kind", "equals": "role"}

    def check(self, condition: dict[str, Any]) -> bool | None:
        return evaluate(condition, person(unknown=["owner"]))

    def test_all_is_false_as_soon_as_one_part_is_false(self) -> None:
        assert self.check({"all": [self.unknown, self.false]}) is False
        assert self.check({"all": [self.unknown, self.true]}) is None

    def test_any_is_true_as_soon_as_one_part_is_true(self) -> None:
        assert self.check({"any": [self.unknown, self.true]}) is True
        assert self.check({"any": [self.unknown, self.false]}) is None

    def test_not_keeps_unknown(self) -> None:
        assert self.check({"not": self.unknown}) is None
        assert self.check({"not": self.false}) is True


class TestRelations:
    def inventory(self) -> tuple[Identity, Inventory]:
        from .conftest import make_inventory

        inventory = make_inventory(
            {
                "identities": [{"uid": "u1"}],
                "credentials": [
                    {"uid": "k1", "identity_uid": "u1", "created": "-10d"},
                    {"uid": "k2", "identity_uid": "u1", "created": "-500d", "active": False},
                ],
            }
        )
        return inventory.identities[0], inventory

    def test_any_none_all_and_count(self) -> None:
        identity, inventory = self.inventory()
        active = {"field": "active", "equals": True}
        assert evaluate({"related": "credentials", "any": active}, identity, inventory) is True
        assert evaluate({"related": "credentials", "all": active}, identity, inventory) is False
        assert evaluate({"related": "credentials", "none": active}, identity, inventory) is False
        assert evaluate({"related": "credentials", "count": active, "equals": 1}, identity, inventory) is True
        assert evaluate({"related": "credentials", "count": True, "gte": 2}, identity, inventory) is True

    def test_a_relation_the_source_could_not_collect_is_unknown(self) -> None:
        identity, inventory = self.inventory()
        identity.unknown = ["credentials"]
        inventory.credentials.clear()
        active = {"field": "active", "equals": True}
        assert evaluate({"related": "credentials", "none": active}, identity, inventory) is None
        assert evaluate({"related": "credentials", "any": active}, identity, inventory) is None
        assert evaluate({"related": "credentials", "count": True, "lte": 1}, identity, inventory) is None

    def test_records_collected_in_part_decide_only_what_the_rest_cannot_change(self) -> None:
        identity, inventory = self.inventory()
        identity.unknown = ["credentials"]  # k1 (active) and k2 were read, others may exist
        active = {"field": "active", "equals": True}
        assert evaluate({"related": "credentials", "none": active}, identity, inventory) is False
        assert evaluate({"related": "credentials", "any": active}, identity, inventory) is True
        assert evaluate({"related": "credentials", "all": active}, identity, inventory) is False
        assert (
            evaluate({"related": "credentials", "all": {"field": "kind", "equals": "access_key"}}, identity, inventory)
            is None
        )
        assert evaluate({"related": "credentials", "count": True, "gte": 2}, identity, inventory) is True
        assert evaluate({"related": "credentials", "count": True, "lte": 1}, identity, inventory) is False
        assert evaluate({"related": "credentials", "count": True, "lte": 2}, identity, inventory) is None
        assert evaluate({"related": "credentials", "count": active, "equals": 1}, identity, inventory) is None

    def test_capabilities_are_unknown_when_grants_or_policy_documents_were_not_collected(self) -> None:
        from .conftest import make_inventory

        inventory = make_inventory(
            {
                "identities": [{"uid": "u1", "unknown": ["grants"]}, {"uid": "u2"}],
                "grants": [
                    {"identity_uid": "u2", "name": "ReadOnlyAccess", "unknown": ["actions"]},
                    {"identity_uid": "u2", "name": "keys", "actions": ["iam:CreateAccessKey"], "resources": ["*"]},
                ],
            }
        )
        catalog = load_catalogs([]).capabilities
        ctx = EvalContext(inventory, AS_OF, catalog)
        escalates = compile_condition({"field": "capabilities", "contains": "privilege_escalation"}, "identity")
        admin = compile_condition({"field": "capabilities", "contains": "admin"}, "identity")
        never_read, half_read = inventory.identities
        assert escalates.predicate(never_read, ctx) is None
        assert escalates.predicate(half_read, ctx) is True  # what was read already decides it
        assert admin.predicate(half_read, ctx) is None  # the unread policy may grant it


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "colour", "equals": "red"}, "unknown field 'colour'"),
        ({"field": "kind", "resembles": "user"}, "exactly one operator"),
        ({"field": "kind", "equals": "a", "in": ["a"]}, "exactly one operator"),
        ({"related": "friends", "any": {"field": "kind", "equals": "x"}}, "unknown relation 'friends'"),
        ({"related": "credentials", "count": True, "gte": "two"}, "must be an integer"),
        ({"field": "name", "matches": "("}, "invalid regular expression"),
        ({"all": []}, "non-empty list"),
        ({"either": []}, "unknown condition key"),
        ({"field": "age_days", "gt": "ten"}, "takes a number"),
    ],
)
def test_bad_conditions_are_rejected_with_their_path(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(ConditionError, match=re.escape(message)):
        compile_condition(condition, "identity", ("require",))


def test_params_substitute_whole_values_and_inside_strings() -> None:
    assert substitute_params({"lte": "{days}"}, {"days": 90}, ()) == {"lte": 90}
    assert substitute_params("older than {days} days", {"days": 90}, ()) == "older than 90 days"
    with pytest.raises(ConditionError, match="unknown parameter"):
        substitute_params("{nope}", {}, ("require",))


# ---------------------------------------------------------------------------- properties

FIELD_VALUES = {
    "owner": st.one_of(st.none(), st.sampled_from(["", "team-a", "team-b"])),
    "interactive": st.one_of(st.none(), st.booleans()),
    "name": st.sampled_from(["ci", "deploy-bot", "x"]),
}


def leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda v: {"field": "owner", "equals": v}, st.sampled_from(["team-a", "team-b"])),
        st.builds(lambda v: {"field": "owner", "exists": v}, st.booleans()),
        st.builds(lambda v: {"field": "interactive", "equals": v}, st.booleans()),
        st.builds(lambda v: {"field": "name", "in": v}, st.lists(st.sampled_from(["ci", "x", "y"]), max_size=2)),
        st.builds(lambda v: {"field": "name", "matches": v}, st.sampled_from(["^c", "bot$", "z"])),
    )


conditions = st.recursive(
    leaf(),
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    ),
    max_leaves=8,
)


def reference(condition: dict[str, Any], values: dict[str, Any], unknown: set[str]) -> bool | None:
    """A plain reading of the language's documented semantics, independent of the compiler."""
    if "all" in condition:
        results = [reference(c, values, unknown) for c in condition["all"]]
        return False if False in results else (None if None in results else True)
    if "any" in condition:
        results = [reference(c, values, unknown) for c in condition["any"]]
        return True if True in results else (None if None in results else False)
    if "not" in condition:
        result = reference(condition["not"], values, unknown)
        return None if result is None else not result
    name = condition["field"]
    if name in unknown:
        return None
    value = values[name]
    if "equals" in condition:
        return value == condition["equals"]
    if "in" in condition:
        return value in condition["in"]
    if "exists" in condition:
        return (value not in (None, "")) == condition["exists"]
    if "matches" in condition:
        return isinstance(value, str) and re.search(condition["matches"], value) is not None
    raise AssertionError(condition)


@settings(max_examples=300, deadline=None)
@given(
    condition=conditions,
    values=st.fixed_dictionaries(FIELD_VALUES),
    unknown=st.sets(st.sampled_from(["owner", "interactive"])),
)
def test_compiled_conditions_agree_with_the_reference_semantics(condition, values, unknown) -> None:
    identity = person(
        owner=values["owner"], interactive=values["interactive"], name=values["name"], unknown=sorted(unknown)
    )
    assert evaluate(condition, identity) == reference(condition, values, unknown)


@settings(max_examples=150, deadline=None)
@given(condition=conditions, values=st.fixed_dictionaries(FIELD_VALUES))
def test_double_negation_and_de_morgan_hold(condition, values) -> None:
    identity = person(owner=values["owner"], interactive=values["interactive"], name=values["name"], unknown=["owner"])
    plain = evaluate(condition, identity)
    assert evaluate({"not": {"not": condition}}, identity) == plain
    other = {"field": "interactive", "equals": True}
    left = evaluate({"not": {"all": [condition, other]}}, identity)
    right = evaluate({"any": [{"not": condition}, {"not": other}]}, identity)
    assert left == right


# ---------------------------------------------------------------------------- JSON's types

MIXED = [True, False, 1, 0, 1.0, 0.0, 2, "1", "true", None]


@pytest.mark.parametrize(
    ("condition", "value", "holds"),
    [
        ({"equals": True}, True, True),
        ({"equals": True}, False, False),
        ({"equals": True}, 1, None),
        ({"equals": True}, 1.0, None),
        ({"equals": True}, "true", False),
        ({"equals": True}, None, False),
        ({"equals": False}, 0, None),
        ({"equals": 1}, True, None),
        ({"equals": 1}, 1.0, True),
        ({"equals": 1}, "1", False),
        ({"equals": 0}, False, None),
        ({"in": [True]}, 1, None),
        ({"in": [True, 1]}, 1, True),
        ({"in": [0, "x"]}, False, None),
        ({"in": [0, "x"]}, 0.0, True),
        ({"in": [0, "x"]}, "y", False),
        ({"in": [1, True]}, True, True),
        ({"contains": 1}, [True], None),
        ({"contains": 1}, [2, 1], True),
        ({"contains": 1}, [2, "1"], False),
        ({"contains": True}, [1], None),
        ({"equals": [1, True]}, [1, True], True),
        ({"equals": [1, True]}, [True, 1], False),
        ({"equals": {"a": False}}, {"a": 0}, False),
    ],
)
def test_true_and_false_are_not_the_numbers_one_and_zero(condition: dict[str, Any], value: Any, holds: bool) -> None:
    """As in JSON (Python holds True == 1 == 1.0). A number where a boolean is compared, or the
    other way round, is unknown: before, an attribute of 1 passed ``equals: true``, so an admin
    role marked ``break_glass: 1`` left a critical control's scope; read as false, a trust entry
    marked ``external: 1`` would leave another's."""
    assert evaluate({"field": "attributes.n", **condition}, person(attributes={"n": value})) is holds


def json_equality(value: Any, expected: Any) -> bool | None:
    if (type(value) is bool) != (type(expected) is bool):
        other = value if type(expected) is bool else expected
        return None if type(other) in (int, float) else False
    return value == expected


def json_membership(value: Any, options: list[Any]) -> bool | None:
    answers = [json_equality(value, option) for option in options]
    return True if True in answers else (None if None in answers else False)


@settings(max_examples=300, deadline=None)
@given(
    value=st.sampled_from(MIXED),
    expected=st.sampled_from(MIXED),
    options=st.lists(st.sampled_from(MIXED), max_size=3),
    field=st.sampled_from(["attributes.n", "interactive"]),
)
def test_equality_and_membership_over_mixed_types_follow_json(value, expected, options, field) -> None:
    """Compiled straight off the record (``interactive``) or through an accessor (attributes)."""
    identity = person(interactive=value) if field == "interactive" else person(attributes={"n": value})
    assert evaluate({"field": field, "equals": expected}, identity) is json_equality(value, expected)
    assert evaluate({"field": field, "in": options}, identity) is json_membership(value, options)


def test_an_admin_role_marked_break_glass_by_a_number_is_unknown_not_out_of_scope(catalogs) -> None:
    from scanner.scan import ScanOptions, run_scan

    from .conftest import make_inventory

    def admin_role(uid: str, break_glass: Any) -> dict[str, Any]:
        return {"uid": uid, "kind": "role", "owner": "team", "attributes": {"break_glass": break_glass}}

    roles = [admin_role("r-true", True), admin_role("r-one", 1), admin_role("r-text", "yes")]
    admin = [{"identity_uid": role["uid"], "name": "Admin", "actions": ["*"]} for role in roles]
    inventory = make_inventory({"identities": roles, "grants": admin})
    result = run_scan(inventory, catalogs, ScanOptions())
    statuses = {f.resource.uid: f.status for f in result.findings if f.control_id == "NHI-PRIV-001"}
    assert statuses == {"r-one": "unknown", "r-text": "fail"}, "only a true break_glass takes an identity out of scope"


@pytest.mark.parametrize(
    ("op", "expected", "known", "answer"),
    [
        ("contains", 1, [2, 1], True),
        ("contains", 1, [True], None),  # not a 1, and what was not collected may hold one
        ("equals", [2, 3], ["x"], False),  # the whole holds an item the list does not
        ("equals", [2, 3], [True], None),  # a boolean where numbers are listed: not decided
        ("equals", [2, 3], [2], None),
    ],
)
def test_a_value_collected_in_part_is_judged_with_the_same_equality(op, expected, known, answer) -> None:
    from scanner.engine.conditions import _partial_test

    assert _partial_test(op, expected)(known, frozenset()) is answer


@pytest.mark.parametrize(("never", "answer"), [(frozenset({"admin"}), False), (frozenset(), None)])
def test_a_tag_the_missing_part_can_never_hold_is_not_contained(never, answer) -> None:
    """A GCP role nobody judged is never administration: the tags known decide ``contains admin``."""
    from scanner.engine.conditions import _partial_test

    assert _partial_test("contains", "admin")(frozenset({"data_read"}), never) is answer

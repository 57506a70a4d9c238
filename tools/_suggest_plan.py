"""Which source path feeds which canonical field, for `mapping suggest`: every profiled path is scored against
every field's rule by name, entity and value shape, and the best pairs are assigned greedily, each path once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tools import _transforms as tf
from tools._paths import Context, compile_path
from tools._suggest_shapes import (
    _Coll,
    _date_style,
    _distinct,
    _jmespath,
    _Leaf,
    _Node,
    _path,
    _phones,
    _transform,
)
from tools._suggest_vocab import (
    _FIRST_NAMES,
    _LAST_NAMES,
    _LISTS,
    _ORDER,
    _ORDER_LABELS,
    _PEOPLE,
    _RULES,
    _SCOPE_GROUP,
    _Hint,
    _hint,
    _key,
    _label_key,
    _match,
    _Rule,
    _tokens,
)
from tools.schema import OrderStatus

_THRESHOLD = 0.5


_SHAPE_ONLY = {"email": 0.6, "currency": 0.55, "tracking": 0.55}
"""Kinds whose values are distinctive enough to place a field with an unrecognised name."""

_COUNT_WORDS = {"qty", "quantity", "count", "num", "number", "items", "products", "units", "pieces", "pcs"}
"""Words that make a name holding small whole numbers a count (`items_total`: 3 items), not an amount."""
_QUALIFIERS = {"type", "id", "code", "count", "flag", "format"}
"""Last words that make a name containing a field's synonym about something else: `address_type` is not an address."""
_PART_WORDS = {"tax", "vat", "shipping", "freight", "postage", "handling", "discount", "coupon", "fee", "fees",
               "refund", "refunded", "credit", "gift", "certificate", "wrapping", "tip", "weight"}
"""Words naming a part of an order's amount (`total_tax`, `refunded_amount`) rather than what was paid."""


# ---------------------------------------------------------------------------------------------------------
# Scoring


def _adjust(rule: _Rule, hint: _Hint, scope_group: str | None) -> tuple[float, str]:
    """A bonus when the path sits under the field's own entity, a penalty under another one's, and why not."""
    if rule.group in _PEOPLE and hint.group == "device":
        return -1.0, f"it is {hint.where} (the buyer's connection, not an address)"
    if rule.group in _PEOPLE and hint.group in _PEOPLE:
        if hint.group == rule.group:
            return (0.2 if hint.near else 0.1), ""
        return -1.0, f"it is {hint.where} ({hint.group})"
    if rule.group is None and hint.group is not None and scope_group is None:
        # `customer_id` is not the order id, `logisticsStatus` not the order status.
        return -0.5, f"it is {hint.where} ({hint.group})"
    if rule.group is not None and hint.group == rule.group:
        return 0.1, ""
    return 0.0, ""


def _shape(kind: str, leaf: _Leaf) -> tuple[float, str]:
    """A bonus (or penalty) for how well the values fit a kind of field, with the reason in words."""
    if not leaf.values:
        return 0.0, "no values in the sample"
    f = leaf.frac
    if kind == "extra":
        if f("dict") >= 0.8:
            return 0.2, "values are objects"
        return (0.2, "values are JSON text") if f("json") >= 0.8 else (0.0, "")
    if kind == "street" and f("lines") >= 0.8:
        return 0.1, "values are lists of address lines: line1 is the first"
    if f("dict") + f("list") > 0:
        return -1.0, "values are objects or lists"
    if f("ip") >= 0.5:
        return -1.0, "values are IP addresses"
    if kind == "email":
        return (0.4, "values are email addresses") if f("email") >= 0.8 else (-0.8, "values are not emails")
    if kind == "phone":
        if f("phone") < 0.8:
            return -0.8, "values do not look like phone numbers"
        return 0.3, _phones(leaf)[1]
    if kind == "datetime":
        if f("date") < 0.8:
            return -0.8, "values are not dates the mapper reads"
        return 0.3, _date_style(leaf)
    if kind == "money":
        if f("money") < 0.9 or f("date") >= 0.5:
            return -0.8, "values are not amounts"
        if leaf.minor:
            return 0.3, "values are {amount, currency} money objects in minor units (cents)"
        if leaf.currency is not None:
            return 0.3, "values are {amount, currency} money objects with decimal amounts"
        if f("cents") >= 0.5:
            return 0.3, "values are amounts with cents"
        if f("count") >= 0.9 and _COUNT_WORDS & set(_tokens(leaf.keys[-1])):
            return -0.8, "values are small whole numbers under a count's name: a number of items, not an amount"
        return 0.2, "values are amounts"
    if kind == "int":
        return (0.2, "values are whole numbers") if f("int") >= 0.9 else (-0.8, "values are not whole numbers")
    if kind == "currency":
        if f("currency") < 0.8:
            return -0.8, "values are not currency codes"
        values = _distinct(leaf)
        what = "currency codes" if all(re.fullmatch(r"[A-Za-z]{3}", value) for value in values) else "currencies"
        return 0.4, f"values are {what} (" + ", ".join(values[:3]) + ")"
    if kind == "tracking":
        carriers = leaf.tagged("carrier:")
        if f("tracking") >= 0.5:
            return 0.4, "values are " + "/".join(sorted(carriers)) + " tracking numbers"
        if f("trackingish") >= 0.8:
            return 0.1, "values look like tracking numbers"
        return -0.5, "values do not look like tracking numbers"
    if kind in ("url", "image"):
        if kind == "image" and f("image") >= 0.5:
            return 0.3, "values are image links"
        return (0.2, "values are links") if f("url") >= 0.8 else (-0.6, "values are not links")
    if kind in ("status", "shipment_status"):
        if f("short") >= 0.9:
            return 0.1, f"{len(_distinct(leaf))} distinct label(s) in the sample"
        return -0.5, "values are too long for status labels"
    if kind == "id":
        if f("email") >= 0.5 or f("date") >= 0.5:
            return -0.6, "values are not ids"
        return (0.1, "") if f("idlike") >= 0.9 else (0.0, "")
    if kind in ("text", "person") and f("count") >= 0.9 and {"count", "qty", "quantity"} & set(_tokens(leaf.keys[-1])):
        return -0.8, "values are counts"
    if kind == "carrier" and f("carriername") >= 0.5:
        return 0.3, "values are carrier names"
    if f("email") >= 0.5 or (kind == "person" and (f("phone") >= 0.5 or f("url") >= 0.5 or f("date") >= 0.5)):
        return -0.6, "values do not fit"
    return 0.0, ""


@dataclass(frozen=True)
class _Fit:
    score: float
    name_score: float
    reason: str
    why_not: str = ""
    """What held a well-named path back (its values, or the entity it sits under)."""


def _name_tokens(leaf: _Leaf) -> list[str]:
    """The words of an amount's name; a money object's amount is named by the object (`total_money.amount` in
    cents, Amazon's `ItemPrice.Amount` in decimal text): `amount` alone says nothing about which amount it is."""
    if leaf.currency is None:
        return _tokens(leaf.keys[-1])
    tokens = _tokens(leaf.keys[-2])
    while len(tokens) > 1 and tokens[-1] in ("money", "amount", "set"):
        tokens.pop()
    return tokens


def _score(leaf: _Leaf, rule: _Rule, scope_group: str | None) -> _Fit | None:
    """How well `leaf` fits `rule`'s field, or None when its name says nothing about it."""
    if rule.kind == "person" and _key(leaf.keys[-1]) in _FIRST_NAMES | _LAST_NAMES:
        return None  # half a name; pairs are joined in _assign
    hint = _hint(leaf.keys)
    own = rule.group is not None and rule.group in (hint.group, scope_group)
    tokens = _name_tokens(leaf) if rule.kind == "money" else _tokens(leaf.keys[-1])
    name_score, how = _match(tokens, rule.names, frozenset() if own else rule.strict)
    if how.startswith("contains") and tokens and tokens[-1] in _QUALIFIERS:
        return None
    if rule.kind == "money" and name_score > 0 and "".join(tokens) not in rule.names and _PART_WORDS & set(tokens):
        name_score, how = name_score - 0.5, how + ", but names a part of the amount"
    shape, shape_why = _shape(rule.kind, leaf)
    if name_score <= 0:
        crossed = rule.group in _PEOPLE and hint.group in _PEOPLE and hint.group != rule.group
        if rule.kind in _SHAPE_ONLY and shape >= 0.3 and not crossed:
            return _Fit(_SHAPE_ONLY[rule.kind], 0.0, f"{shape_why} (the name is not one I know)")
        return None
    adjust, adjust_why = _adjust(rule, hint, scope_group)
    reason = f"name {how} ({rule.label} synonym)"
    if rule.kind == "money" and leaf.currency is not None:
        reason = f"'{leaf.keys[-2]}' is a money object: its name {how} ({rule.label} synonym)"
    if hint.where and adjust > 0 and rule.group in _PEOPLE:
        reason += f", {hint.where}"
    if shape_why:
        reason += f"; {shape_why}"
    return _Fit(name_score + adjust + shape, name_score, reason, adjust_why if adjust < 0 else shape_why)


# ---------------------------------------------------------------------------------------------------------
# Planning: which source path feeds which canonical field.


@dataclass
class _Pick:
    rule: _Rule
    leaves: tuple[_Leaf, ...]
    reason: str
    fallbacks: list[_Leaf] = field(default_factory=list)
    """Paths read where the first is missing (a sample mixing two shapes of record)."""
    path: str | None = None
    """A replacement path (a `_gmt` twin), else the leaf's own."""
    transform: Any = None
    jmespath: str | None = None
    """An expression read instead of any path (a field of the first element of a list that has it)."""


@dataclass
class _List:
    each: Any
    reason: str
    scope: _Scope
    flat: bool
    where: dict[str, Any] | None = None
    unique_by: str | None = None
    coll: _Coll | None = None
    alone: _Scope | None = None
    """The item fields of records without the list, until `_merge_alone` settles them."""


@dataclass
class _Scope:
    model: str
    node: _Node
    picks: dict[str, _Pick] = field(default_factory=dict)
    lists: dict[str, _List] = field(default_factory=dict)
    rows: set[int] | None = None
    """When set, only paths with values in these records alone fit its fields (records without the item list)."""

    def all_picks(self) -> Iterable[_Pick]:
        yield from self.picks.values()
        for plan in self.lists.values():
            yield from plan.scope.all_picks()


Target = tuple[_Scope, str, _Rule]


def _plan(model: str, node: _Node) -> _Scope:
    scope = _Scope(model, node)
    targets: list[Target] = [(scope, name, rule) for name, rule in _RULES[model].items()]
    chosen = _assign_lists(model, node)
    for list_field, (submodel, _) in _LISTS.get(model, {}).items():
        if list_field in chosen:
            coll, reason = chosen[list_field]
            assert coll.node is not None
            plan = scope.lists[list_field] = _List(coll.each, reason, _plan(submodel, coll.node), flat=False, coll=coll)
            if submodel == "shipment":
                _packages(plan)
            children = _child_rows(coll) if submodel == "item" else []
            if children:
                plan.where = {path: {"present": False} for path in children}
                plan.reason += ("; rows with a parent item (the options of a configurable or bundle product) are "
                                "skipped: the shopper ordered the parent")
            rest = set().union(*(leaf.rows for leaf in node.leaves.values())) - coll.rows
            if model == "order" and submodel == "item" and rest and isinstance(plan.each, str):
                # Records without the list may be one item themselves (Bytedesk's flattened orderInfo: orderTitle,
                # orderPrice): paths only they have compete for the item's fields.
                plan.alone = _Scope(submodel, node, rows=rest)
                targets += [(plan.alone, name, rule) for name, rule in _RULES[submodel].items()]
        elif model == "order":
            # No list of these in the record: the record's own fields may describe one item or one shipment.
            child = _Scope(submodel, node)
            scope.lists[list_field] = _List("$", "", child, flat=True)
            targets += [(child, name, rule) for name, rule in _RULES[submodel].items()]
    _assign(node, targets, _SCOPE_GROUP[model])
    items = scope.lists.get("items")
    if items is not None and items.alone is not None:
        _merge_alone(items, node)
    return scope


def _packages(plan: _List) -> None:
    """A list of shipments without tracking numbers whose elements each hold a list that has them (Magento shipment
    entities and their `tracks`): each inner element is one package, read as `shipments[].tracks[]`."""
    coll = plan.coll
    assert coll is not None and coll.node is not None
    if "tracking_number" in plan.scope.picks or coll.json or coll.jmespath:
        return
    rule = _RULES["shipment"]["tracking_number"]
    for inner in coll.node.colls.values():
        assert inner.node is not None
        if inner.json or inner.jmespath or _best(inner.node, rule, "shipment") < 0.8:
            continue
        plan.each = {"jmespath": f"{_jmespath(coll.keys)}[].{_jmespath(inner.keys)}[]"}
        plan.scope = _plan("shipment", inner.node)
        plan.reason += (f"; its elements have no tracking number, but each one's '{inner.keys[-1]}' list does: every "
                        "element of those is one package")
        return


def _merge_alone(plan: _List, node: _Node) -> None:
    """Records without the item list are one item themselves when paths only they have took two item fields or
    more: `each` falls back to the record (`$`), and each item field reads the record's path after the list's."""
    alone, plan.alone = plan.alone, None
    assert alone is not None and alone.rows is not None
    if len(alone.picks) < 2:
        return
    # A path of the list's elements that the record itself also has would read the record's value on it.
    inner = {leaf.path for pick in plan.scope.picks.values() for leaf in (*pick.leaves, *pick.fallbacks)}
    if any((leaf := node.leaves.get(path)) is not None and leaf.rows & alone.rows for path in inner):
        return
    for name, pick in alone.picks.items():
        own = plan.scope.picks.get(name)
        why = f"'{pick.leaves[0].path}' ({pick.reason.partition('; ')[0]}) on records without the list"
        if own is None:
            plan.scope.picks[name] = pick
            pick.reason = why
        elif len(own.leaves) == len(pick.leaves) == 1 and _transform(own.rule, own.leaves[0])[0] == _transform(
                pick.rule, pick.leaves[0])[0]:
            own.fallbacks.append(pick.leaves[0])
            own.reason += f"; else {why}"
    plan.each = [plan.each, "$"]
    plan.reason += "; records without it are one item themselves, from their own product fields"


def _assign_lists(model: str, node: _Node) -> dict[str, tuple[_Coll, str]]:
    options = []
    for coll in node.colls.values():
        assert coll.node is not None
        for list_field, (submodel, names) in _LISTS.get(model, {}).items():
            name_score, how = _match(_tokens(coll.keys[-1]), names)
            fields = [n for n, rule in _RULES[submodel].items() if _best(coll.node, rule, submodel) >= 0.8]
            if name_score < 0.5 and len(fields) < 3 and not (submodel == "shipment" and "tracking_number" in fields):
                continue  # a list of anything with a tracking number is a list of packages
            reason = f"name {how} ({list_field} synonym)" if name_score else "no list name I know"
            if fields:
                reason += f"; elements have {', '.join(fields[:4])}"
            if coll.jmespath:
                reason += f"; the value under the key '{coll.keys[-1]}' of the key/value list '{coll.keys[-2]}'"
            if coll.package:
                reason += "; its JSON text is an object with a tracking number: one package"
            elif coll.json:
                reason += "; the list is JSON text" if not coll.jmespath else " (JSON text in some or all records)"
            options.append((-(name_score + 0.2 * min(len(fields), 4)), coll.path, list_field, coll, reason))
    options.sort(key=lambda o: (o[0], o[1], o[2]))
    chosen: dict[str, tuple[_Coll, str]] = {}
    taken: set[str] = set()
    for _, path, list_field, coll, reason in options:
        if list_field not in chosen and path not in taken:
            chosen[list_field] = (coll, reason)
            taken.add(path)
    return chosen


_PARENT_KEYS = {"parentitemid", "parentitem", "parentlineitemid"}


def _child_rows(coll: _Coll) -> list[str]:
    """Paths that only some elements of an item list have and that name a parent item (Magento's configurable and
    bundle products: the parent row, then a child row per option at price 0)."""
    assert coll.node is not None
    counts = [(leaf.keys, leaf.path, len(leaf.rows)) for leaf in coll.node.leaves.values()]
    counts += [(sub.keys, sub.path, len(sub.elements)) for sub in coll.node.colls.values()]  # `parent_item: {...}`
    return [path for keys, path, count in counts
            if len(keys) == 1 and _key(keys[0]) in _PARENT_KEYS and 0 < count < len(coll.elements)]


def _best(node: _Node, rule: _Rule, model: str) -> float:
    scores = [fit.score for leaf in node.leaves.values() if (fit := _score(leaf, rule, _SCOPE_GROUP[model]))]
    return max(scores, default=0.0)


def _assign(node: _Node, targets: list[Target], scope_group: str | None) -> None:
    """Greedy: the best-scoring (field, path) pair first, each field and each path once; then paths that fill
    a chosen path's gaps (records that lack it) become its fallbacks."""
    options: list[tuple[float, int, int, int, Target, tuple[_Leaf, ...], str]] = []
    leaves = list(node.leaves.values())
    for t_index, target in enumerate(targets):
        scope, name, rule = target
        for l_index, leaf in enumerate(leaves):
            if scope.rows is not None and not (leaf.rows and leaf.rows <= scope.rows):
                continue
            fit = _score(leaf, rule, scope_group)
            if fit is None:
                continue
            if fit.score >= _THRESHOLD:
                options.append((-fit.score, t_index, len(leaf.keys), l_index, target, (leaf,), fit.reason))
            elif fit.name_score >= 0.8 and fit.why_not and not leaf.note:
                leaf.note = f"the name suggests {_field_name(scope, name)}, but {fit.why_not}"
        if rule.kind == "person":
            for first, last in _name_pairs(leaves):
                hint = _hint(first.keys)
                adjust, _ = _adjust(rule, hint, scope_group)
                if hint.group is None and scope_group is None and rule.group == "shipping":
                    adjust = -0.2  # a bare first/last name pair is the buyer's, not obviously the recipient's
                score = 0.95 + adjust
                if score >= _THRESHOLD:
                    why = "first and last name" + (f" {hint.where}" if hint.where else "") + ", joined"
                    options.append((-score, t_index, len(first.keys), -1, target, (first, last), why))
    # Equal scores: the shallower path (`total_money` before `net_amounts.total_money`), then the first seen.
    options.sort(key=lambda o: o[:4])
    used: set[str] = set()
    for _, _, _, _, (scope, name, rule), picked, reason in options:
        if name in scope.picks or any(leaf.path in used for leaf in picked):
            continue
        scope.picks[name] = _Pick(rule, picked, reason)
        used.update(leaf.path for leaf in picked)
    for _, _, _, _, (scope, name, _rule), picked, reason in options:
        pick = scope.picks.get(name)
        leaf = picked[0]
        if pick is None or len(picked) > 1 or leaf.path in used or len(pick.leaves) > 1 or len(pick.fallbacks) >= 2:
            continue
        covered = set().union(*(lf.rows for lf in (*pick.leaves, *pick.fallbacks)))
        if leaf.rows - covered and _transform(pick.rule, leaf)[0] == _transform(pick.rule, pick.leaves[0])[0]:
            pick.fallbacks.append(leaf)
            pick.reason += f"; else '{leaf.path}' ({reason.partition('; ')[0]})"
            used.add(leaf.path)
    for leaf in leaves:
        if leaf.path in used:
            leaf.note = ""
        elif not leaf.note and leaf.frac("json") >= 0.8:
            leaf.note = "values are JSON text: only `extra` or a list's `each` can decode it (transform: json)"


def _field_name(scope: _Scope, name: str) -> str:
    prefix = {"item": "items.", "shipment": "shipments.", "event": "events.", "shipment_item": "items."}
    return prefix.get(scope.model, "") + name


def _name_pairs(leaves: list[_Leaf]) -> list[tuple[_Leaf, _Leaf]]:
    by_parent: dict[tuple[str, ...], dict[str, _Leaf]] = {}
    for leaf in leaves:
        by_parent.setdefault(leaf.keys[:-1], {})[_key(leaf.keys[-1])] = leaf
    pairs = []
    for names in by_parent.values():
        first = next((names[k] for k in _FIRST_NAMES if k in names), None)
        last = next((names[k] for k in _LAST_NAMES if k in names), None)
        if first is not None and last is not None and first.values:
            pairs.append((first, last))
    return pairs


def _finish_order(scope: _Scope) -> str | None:
    """Tidy the order scope after assignment; returns the group_by path for one-row-per-item exports."""
    shipments = scope.lists.get("shipments")
    if shipments is not None and shipments.flat:
        number = shipments.scope.picks.get("tracking_number")
        if number is None:
            del scope.lists["shipments"]
        else:
            path = number.leaves[0].path
            shipments.where = {path: {"present": True}}
            shipments.reason = "the record's own tracking fields make one shipment when it has a number"
    group_by = None
    items = scope.lists.get("items")
    if items is not None and items.flat:
        if not items.scope.picks:
            del scope.lists["items"]
        else:
            order_id = scope.picks.get("id")
            ids = [str(v) for v in order_id.leaves[0].values] if order_id else []
            if order_id and len(set(ids)) < len(ids):
                group_by = order_id.leaves[0].path
                items.each = "@rows"
                items.reason = "one row per item: rows sharing an order number form one order"
                items.unique_by = next((f for f in ("product_id", "sku") if f in items.scope.picks), None)
            else:
                items.reason = "one item per record, from the record's own product fields"
    if "customer.email" not in scope.picks and "customer.phone" not in scope.picks:
        recipient = scope.picks.get("shipping_address.phone")
        if recipient is not None:
            # Not "each path once": without a buyer contact, the recipient's phone is how the shopper is found.
            scope.picks["customer.phone"] = _Pick(
                _ORDER["customer.phone"], recipient.leaves,
                "no buyer email or phone in the sample; the recipient's phone is the closest contact"
                + "; " + _phones(recipient.leaves[0])[1], list(recipient.fallbacks))
            _recipient_name(scope.picks)
    _from_lists(scope)
    _address_lines(scope)
    _status_labels(scope)
    _gmt_twins(scope, {leaf.path for pick in scope.all_picks() for leaf in (*pick.leaves, *pick.fallbacks)})
    return group_by


def _from_lists(scope: _Scope) -> None:
    """Square keeps the buyer's contact and address only on its fulfillments' recipients: when the order's own fields
    have no email or phone (or no address at all), they come from the first element of one of its lists (the
    shipments first, never the items) that has them, read with a JMESPath projection."""
    contact = "customer.email" not in scope.picks and "customer.phone" not in scope.picks
    address = not any(name.startswith("shipping_address.") for name in scope.picks)
    if not (contact or address):
        return
    names = [name for name in _ORDER if (address and name.startswith("shipping_address."))
             or (contact and name == "customer.email") or (contact and not address and name == "customer.phone")]
    shipments, items = scope.lists.get("shipments"), scope.lists.get("items")
    colls = sorted(scope.node.colls.values(), key=lambda c: shipments is None or c is not shipments.coll)
    for coll in colls:
        if (items is not None and coll is items.coll) or coll.json or coll.jmespath or coll.node is None:
            continue
        found = _Scope("order", coll.node)
        # The buyer's rules without their entity: under a list, the contact is the recipient's.
        targets: list[Target] = [(found, name, replace(_ORDER[name], group=None) if name.startswith("customer.")
                                  else _ORDER[name]) for name in names if name not in scope.picks]
        _assign(coll.node, targets, "shipment")
        recipient = found.picks.get("shipping_address.phone")
        if contact and recipient is not None and "customer.phone" not in found.picks:
            found.picks["customer.phone"] = _Pick(
                _ORDER["customer.phone"], recipient.leaves,
                f"the recipient's phone is the closest contact; {_phones(recipient.leaves[0])[1]}",
                list(recipient.fallbacks))
            _recipient_name(found.picks)
        for name, pick in found.picks.items():
            if name.startswith("shipping_address."):
                # One address, not a name from a pickup and a street from a shipment: no fallbacks to other objects.
                pick.fallbacks.clear()
                pick.reason = pick.reason.partition("; else ")[0]
            if len(pick.leaves) > 1:
                continue  # a first and last name pair: no expression joins them across elements
            base = f"{_jmespath(coll.keys)}[]"
            paths = [f"{base}.{_jmespath(leaf.keys)}" for leaf in (*pick.leaves, *pick.fallbacks)]
            pick.jmespath = (paths[0] if len(paths) == 1 else f"[{', '.join(paths)}][]") + " | [?@] | [0]"
            what = "email or phone" if name.startswith("customer.") else "shipping address"
            pick.reason += (f"; the first element of '{coll.keys[-1]}' that has it: the order itself has no {what}")
            scope.picks[name] = pick
        if found.picks:
            return  # one list: an address is never half a shipment's and half a payment's


def _recipient_name(picks: dict[str, _Pick]) -> None:
    """When the recipient's phone is the buyer's contact, the recipient's name is the buyer's too (the bytedesk and
    square presets read both from the recipient)."""
    name = picks.get("shipping_address.name")
    if name is not None and "customer.name" not in picks:
        picks["customer.name"] = _Pick(_ORDER["customer.name"], name.leaves,
                                       "no buyer name; the recipient's, whose phone is the contact",
                                       list(name.fallbacks))


def _address_lines(scope: _Scope) -> None:
    """Magento's `street` is a list of lines: line1 is its first, line2 its second."""
    line1 = scope.picks.get("shipping_address.line1")
    if line1 is None or line1.jmespath or len(line1.leaves) > 1 or line1.leaves[0].frac("lines") < 0.8:
        return
    leaf = line1.leaves[0]
    line1.path = f"{leaf.path}[0]"
    if "shipping_address.line2" not in scope.picks and any(isinstance(v, list) and len(v) > 1 for v in leaf.values):
        scope.picks["shipping_address.line2"] = _Pick(
            _ORDER["shipping_address.line2"], (leaf,), f"the second of the lines in '{leaf.keys[-1]}'",
            path=f"{leaf.path}[1]")


def _status_labels(scope: _Scope) -> None:
    """Bytedesk's newer orderInfo may send only `statusText` ("待发货"), no status code: the label field is the
    status's fallback (read twice, here and as status_text) when most of its labels are ones I know."""
    status, text = scope.picks.get("status"), scope.picks.get("status_text")
    if status is None or text is None or len(text.leaves) > 1 or text.fallbacks or status.jmespath:
        return
    leaf = text.leaves[0]
    covered = set().union(*(lf.rows for lf in (*status.leaves, *status.fallbacks)))
    canonical = {member.value for member in OrderStatus}
    labels = list(leaf.labels.values())
    known = [label for label in labels
             if _label_key(label) in _ORDER_LABELS or re.sub(r"[\s\-]+", "_", str(label).casefold()) in canonical]
    if leaf.rows - covered and labels and len(known) >= 0.8 * len(labels):
        status.fallbacks.append(leaf)
        status.reason += (f"; else '{leaf.path}', the status label, for records without a code "
                          f"({len(known)} of its {len(labels)} label(s) are ones I know)")


def _line_prices(scope: _Scope, records: list[dict[str, Any]]) -> None:
    """Amazon's ItemPrice is the amount of the whole line (unit price x quantity). When the sample's totals equal
    what its item amounts add up to as written, and not times their quantities, on orders with several units of an
    item (and never the other way round), the amount is a unit price only where one unit was ordered: a mapping
    cannot divide, and a line total read as a unit price is multiplied by the quantity again downstream."""
    items, total = scope.lists.get("items"), scope.picks.get("total")
    if items is None or items.coll is None or not isinstance(items.each, str) or total is None:
        return
    price, quantity = items.scope.picks.get("price"), items.scope.picks.get("quantity")
    if price is None or quantity is None:
        return
    picks = (total, price, quantity)
    if any(len(p.leaves) > 1 or p.fallbacks or p.jmespath or p.leaves[0].minor for p in picks):
        return
    get_total, get_price, get_quantity = (compile_path(p.path or p.leaves[0].path)[0] for p in picks)
    get_items, _ = compile_path(items.each)
    skipped = [compile_path(path)[0] for path in items.where or {}]  # child rows: {present: false}
    line = unit = 0
    for record in records:
        ctx = Context(record)
        elements = get_items(record, ctx)
        elements = [elements] if isinstance(elements, dict) else elements if isinstance(elements, list) else []
        elements = [e for e in elements if isinstance(e, dict) and not any(get(e, ctx) is not None for get in skipped)]
        try:
            amount = tf.to_decimal(get_total(record, ctx))
            pairs = [(tf.to_decimal(get_price(e, ctx)), tf.to_quantity(get_quantity(e, ctx))) for e in elements]
        except ValueError:
            continue
        known = [(p, q) for p, q in pairs if p is not None and q is not None]
        if amount is None or not pairs or len(known) < len(pairs) or max(q for _, q in known) < 2:
            continue  # one unit of each: a line total and a unit price are the same
        if sum(p * q for p, q in known) == amount:
            unit += 1
        elif sum(p for p, _ in known) == amount:
            line += 1
    if line and not unit:
        amount_path, count_path = _jmespath(price.leaves[0].keys), _jmespath(quantity.leaves[0].keys)
        price.jmespath = f"to_number({count_path}) == `1` && {amount_path} || `null`"
        price.reason += (f"; but {line} order(s) of the sample total these amounts as they are, not times the "
                         "quantity: they are line totals, a unit price only where one unit was ordered")


def _gmt_twins(scope: _Scope, used: set[str]) -> None:
    for pick in scope.picks.values():
        _gmt_twin(pick, scope.node, used)
    for plan in scope.lists.values():
        _gmt_twins(plan.scope, used)


def _gmt_twin(pick: _Pick, node: _Node, used: set[str]) -> None:
    """WooCommerce-style `date_created` is site-local without an offset; its `date_created_gmt` twin is UTC."""
    leaf = pick.leaves[0]
    if pick.rule.kind != "datetime" or len(pick.leaves) != 1 or pick.fallbacks or leaf.frac("naive") < 0.8:
        return
    twin = node.leaves.get(_path((*leaf.keys[:-1], leaf.keys[-1] + "_gmt")))
    if twin is None or twin.path in used or twin.frac("naive") < 0.8:
        return
    pick.path = twin.path
    pick.transform = {"datetime": {"timezone": "UTC"}}
    pick.reason += f"; its twin '{twin.keys[-1]}' is the same time in UTC, read instead"

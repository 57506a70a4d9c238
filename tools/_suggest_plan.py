"""Which source path feeds which canonical field, for `mapping suggest`: every profiled path is scored against
every field's rule by name, entity and value shape, and the best pairs are assigned greedily, each path once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools._suggest_shapes import _Coll, _date_style, _distinct, _Leaf, _Node, _path, _phones, _transform
from tools._suggest_vocab import (
    _FIRST_NAMES,
    _LAST_NAMES,
    _LISTS,
    _ORDER,
    _PEOPLE,
    _RULES,
    _SCOPE_GROUP,
    _Hint,
    _hint,
    _key,
    _match,
    _Rule,
    _tokens,
)

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
    """The words of an amount's name; a money object's amount is named by the object (`total_money.amount`)."""
    if not leaf.minor:
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
    if rule.kind == "money" and leaf.minor:
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


@dataclass
class _List:
    each: Any
    reason: str
    scope: _Scope
    flat: bool
    where: dict[str, Any] | None = None
    unique_by: str | None = None


@dataclass
class _Scope:
    model: str
    node: _Node
    picks: dict[str, _Pick] = field(default_factory=dict)
    lists: dict[str, _List] = field(default_factory=dict)

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
            each: Any = {"path": coll.path, "transform": "json"} if coll.json else coll.path
            scope.lists[list_field] = _List(each, reason, _plan(submodel, coll.node), flat=False)
            children = _child_rows(coll) if submodel == "item" else []
            if children:
                scope.lists[list_field].where = {path: {"present": False} for path in children}
                scope.lists[list_field].reason += ("; rows with a parent item (the options of a configurable or bundle"
                                                   " product) are skipped: the shopper ordered the parent")
        elif model == "order":
            # No list of these in the record: the record's own fields may describe one item or one shipment.
            child = _Scope(submodel, node)
            scope.lists[list_field] = _List("$", "", child, flat=True)
            targets += [(child, name, rule) for name, rule in _RULES[submodel].items()]
    _assign(node, targets, _SCOPE_GROUP[model])
    return scope


def _assign_lists(model: str, node: _Node) -> dict[str, tuple[_Coll, str]]:
    options = []
    for coll in node.colls.values():
        assert coll.node is not None
        for list_field, (submodel, names) in _LISTS.get(model, {}).items():
            name_score, how = _match(_tokens(coll.keys[-1]), names)
            fields = [n for n, rule in _RULES[submodel].items() if _best(coll.node, rule, submodel) >= 0.8]
            if name_score < 0.5 and len(fields) < 3:
                continue
            reason = f"name {how} ({list_field} synonym)" if name_score else "no list name I know"
            if fields:
                reason += f"; elements have {', '.join(fields[:4])}"
            if coll.json:
                reason += "; the list is JSON text"
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
    _gmt_twins(scope, {leaf.path for pick in scope.all_picks() for leaf in (*pick.leaves, *pick.fallbacks)})
    return group_by


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

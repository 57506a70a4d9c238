"""Conversions in generated mapping code: a mapping's named transforms, and the conversion of a value to the
kind of its canonical field."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from tools import _transforms as tf
from tools._mapping_codegen import Env, Gen
from tools._mapping_spec import did_you_mean
from tools._paths import Context
from tools.schema import OrderStatus, ShipmentStatus

_NO_ARG = object()


class ReportedUnknown:
    """A status a mapping writes as `{unknown: LABEL}`: `unknown`, reported by `mapping check` as LABEL."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"{{unknown: {self.label!r}}}"


def compile_transform(raw: Any, key: str, env: Env) -> Callable[[Any], Any] | None:
    if isinstance(raw, str):
        name, arg = raw, _NO_ARG
    elif isinstance(raw, dict) and len(raw) == 1:
        ((name, arg),) = raw.items()
    else:
        env.error(key, "a transform is a name or a one-key mapping {name: argument}")
        return None

    def args(allowed: set[str]) -> dict[str, Any]:
        if arg is _NO_ARG or arg is None:
            return {}
        if not isinstance(arg, dict):
            env.error(f"{key}.{name}", f"expected a mapping with {', '.join(sorted(allowed))}")
            return {}
        unknown = set(arg) - allowed
        if unknown:
            env.error(f"{key}.{name}.{sorted(unknown)[0]}", f"unknown option (expected {', '.join(sorted(allowed))})")
        return arg

    if name in ("datetime", "date"):
        if isinstance(arg, str):
            opts: dict[str, Any] = {"format": arg}
        else:
            opts = args({"format", "unit", "timezone"})
        zone = env.tz
        if opts.get("timezone"):
            try:
                zone = tf.zone(str(opts["timezone"]))
            except ValueError as exc:
                env.error(f"{key}.{name}.timezone", str(exc))
        unit = opts.get("unit")
        if unit not in (None, "s", "ms"):
            env.error(f"{key}.{name}.unit", "expected s or ms")
        fmt = opts.get("format")
        if fmt is not None:
            problem = _format_problem(fmt)
            if problem:
                env.error(f"{key}.{name}" + ("" if isinstance(arg, str) else ".format"), problem)
                return None
        return tf.to_datetime(zone, fmt, unit)
    if name == "minor_units":
        if isinstance(arg, int) and not isinstance(arg, bool):
            exponent = arg
        else:
            exponent = int(args({"exponent"}).get("exponent", tf.currency_exponent(env.currency)))
        return tf.minor_units(exponent)
    if name == "phone":
        if arg is _NO_ARG or arg is None:
            return tf.phone(env.region)
        if not isinstance(arg, str):
            env.error(f"{key}.{name}", "expected a region, such as US or CN")
            return None
        try:
            region = tf.region_code(arg)
        except ValueError as exc:
            env.error(f"{key}.{name}", str(exc))
            return None
        return tf.phone(region)
    if name == "strip_prefix":
        if not isinstance(arg, str):
            env.error(f"{key}.{name}", "expected the prefix to strip")
            return None
        prefix = arg
        return lambda v: v[len(prefix) :] if isinstance(v, str) and v.startswith(prefix) else v
    if name == "split":
        if arg is _NO_ARG or arg is None:
            sep = ","
        elif not isinstance(arg, str) or not arg:
            env.error(f"{key}.{name}", "expected the text that separates the parts, such as ',' or ' / '")
            return None
        else:
            sep = arg
        return lambda v: [part.strip() for part in v.split(sep) if part.strip()] if isinstance(v, str) else v
    simple: dict[str, Callable[[Any], Any]] = {
        "json": tf.decode_json,
        "try_json": tf.try_decode_json,
        "decimal": tf.to_decimal,
        "int": tf.to_int,
        "text": tf.to_text,
        "email": tf.email,
        "lower": lambda v: v.lower() if isinstance(v, str) else v,
        "upper": lambda v: v.upper() if isinstance(v, str) else v,
        "strip": lambda v: v.strip() if isinstance(v, str) else v,
        "first": lambda v: (v[0] if v else None) if isinstance(v, list) else v,
    }
    if name in simple:
        if arg is not _NO_ARG and arg is not None:
            env.error(f"{key}.{name}", "takes no argument")
        return simple[name]
    known = sorted([*simple, "datetime", "date", "minor_units", "phone", "strip_prefix", "split"])
    env.error(key, f"unknown transform {name!r}{did_you_mean(name, known)}")
    return None


_DIRECTIVE = re.compile(r"%(.)")


def _format_problem(fmt: Any) -> str | None:
    """Why `fmt` cannot be a strptime format, or None: it must be text with at least one directive that strptime
    knows ("%Y-%m-%d %H:%M", not "YYYY-MM-DD")."""
    if not isinstance(fmt, str):
        return f"expected a format as text, such as '%Y-%m-%d %H:%M:%S' (got {fmt!r})"
    if not _DIRECTIVE.search(fmt):
        return f"{fmt!r} has no % directive: write the format as strptime does, such as '%Y-%m-%d %H:%M:%S'"
    try:
        time.strptime("", fmt)
    except ValueError as exc:
        text = str(exc)
        if "does not match format" not in text:  # "'Q' is a bad directive in format '%Q'", "stray % in format"
            return f"{fmt!r} is not a strptime format ({text})"
    return None


def text_code(var: str) -> str:
    """`tf.to_text` of a variable, in place, with text and whole numbers (the usual cases) handled without a call."""
    return (f"if {var} is not None: {var} = ({var}.strip() or None) if {var}.__class__ is str "
            f"else str({var}) if {var}.__class__ is int else _to_text({var})")


def coercer(kind: str, key: str, env: Env) -> Callable[[Gen, str], None]:
    """Code converting, in place, a value of a canonical field of `kind` after the mapping's own transforms."""
    if kind == "text":
        return lambda g, v: g.line(text_code(v))
    if kind == "int":
        return lambda g, v: g.line(f"if {v} is not None and {v}.__class__ is not int: {v} = _to_int({v})")
    if kind == "quantity":
        # An int that is not negative (the usual case) is kept without a call.
        return lambda g, v: g.line(f"if {v} is not None and ({v}.__class__ is not int or {v} < 0): "
                                   f"{v} = _to_quantity({v})")
    if kind == "money":
        return lambda g, v: g.line(f"if {v} is not None: {v} = _to_decimal({v})")
    if kind in ("datetime", "phone", "email"):
        convert = {"datetime": lambda: tf.to_datetime(env.tz), "phone": lambda: tf.phone(env.region),
                   "email": lambda: tf.email}[kind]()
        return lambda g, v: g.line(f"if {v} is not None: {v} = {g.const(convert)}({v})")
    if kind == "currency":
        convert = tf.to_currency(env.currency)
        return lambda g, v: g.line(f"if {v} is not None: {v} = {g.const(convert)}({v})")
    if kind in ("order_status", "shipment_status"):
        enum: type[StrEnum] = OrderStatus if kind == "order_status" else ShipmentStatus
        values = {member.value for member in enum}

        def status(v: Any, ctx: Context) -> Any:
            if v.__class__ is str and v in values:  # already canonical: what the slow path below would return
                return v
            if v is None or v == "":
                return None
            if isinstance(v, enum):
                return v
            label = v.label if v.__class__ is ReportedUnknown else str(v).strip()
            guess = re.sub(r"[\s\-]+", "_", label.casefold())
            if guess in values:
                return guess
            if ctx.notes is not None:
                ctx.notes.append((key, label))
            return enum("unknown")

        return lambda g, v: g.line(f"if {v} is not None: {v} = {g.const(status)}({v}, ctx)")
    if kind == "extra":
        return lambda g, v: None
    raise AssertionError(kind)

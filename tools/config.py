"""Merchant configuration (YAML): who the merchant is, where orders come from, how they map, what the policy is.

`--config PATH` on every command, else `ORDER_ASSISTANT_CONFIG`, else the bundled demo merchant. Secrets are
never in the file: it names environment variables that hold them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools._transforms import currency_setting, region_code, zone
from tools._yaml import parse_mapping, read_text

if TYPE_CHECKING:
    from tools.mapping import Mapper
from tools.errors import OrderAssistantError

__all__ = [
    "AgentConfig",
    "ConfigError",
    "HttpSourceConfig",
    "MerchantConfig",
    "MerchantInfo",
    "ModelConfig",
    "PolicyConfig",
    "StoreSourceConfig",
    "demo_config",
    "load_config",
    "resolve_config",
]

CONFIG_ENV = "ORDER_ASSISTANT_CONFIG"
DEMO_DIR = Path(__file__).parent / "demo"


class ConfigError(OrderAssistantError):
    """The merchant config is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MerchantInfo(_Strict):
    name: str = "Demo Outfitters"
    timezone: str = "UTC"
    """IANA zone: naive merchant times are read in it; dates in answers are given in it."""
    default_region: str | None = None
    """ISO 3166 region for phone numbers written without a country code."""
    locale: str = "en"
    currency: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return region_code(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return currency_setting(value)


class BearerAuth(_Strict):
    type: Literal["bearer"]
    token_env: str
    """Environment variable holding the token."""


class HeaderAuth(_Strict):
    type: Literal["header"]
    name: str
    value_env: str


class BasicAuth(_Strict):
    type: Literal["basic"]
    username_env: str
    password_env: str


class QueryAuth(_Strict):
    type: Literal["query"]
    param: str
    value_env: str


class NoAuth(_Strict):
    type: Literal["none"] = "none"


Auth = Annotated[BearerAuth | HeaderAuth | BasicAuth | QueryAuth | NoAuth, Field(discriminator="type")]


class QueryParams(_Strict):
    """The endpoint's query-parameter names for each lookup key (null: the endpoint does not support it)."""

    email: str | None = "email"
    order_id: str | None = "order_id"
    phone: str | None = "phone"
    ref_id: str | None = "ref_id"
    phone_format: Literal["e164", "digits", "last7"] = "e164"
    """How a phone is sent: +14155550100, 14155550100 or 5550100 (the seed's last-7 rule)."""


class HttpSourceConfig(_Strict):
    type: Literal["http"]
    url: str
    params: QueryParams = Field(default_factory=QueryParams)
    auth: Auth = Field(default_factory=NoAuth)
    orders_path: str | None = None
    """Where the list of orders sits in the response; omitted: top level or envelope detection."""
    timeout_s: float = Field(5.0, gt=0, le=120)
    """Deadline for one lookup, retries included."""
    retries: int = Field(2, ge=0, le=10)
    max_response_bytes: int = Field(5_000_000, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value


class StoreSourceConfig(_Strict):
    type: Literal["store"]
    path: str = "orders.db"
    """SQLite file, relative to the config file."""


Source = Annotated[HttpSourceConfig | StoreSourceConfig, Field(discriminator="type")]


class PolicyConfig(_Strict):
    verification: Literal["strict", "order_number"] = "strict"
    """strict: details need a verified identity or a matching second factor; order_number: status on the ID alone."""
    max_failed_attempts: int = Field(5, ge=1, le=100)


class ModelConfig(_Strict):
    name: str | None = None
    """Chat model; none configured (and no OPENAI_API_KEY) means the offline responder answers."""
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = Field(15.0, gt=0)
    """Seconds without an answer (or, streaming, without the next piece of one) before a try is given up."""
    max_retries: int = Field(1, ge=0, le=10)
    """Tries after the first; then the offline responder answers. The defaults keep a shopper's worst wait
    near half a minute."""


class AgentConfig(_Strict):
    """Limits of the conversation loop."""

    max_steps: int = Field(6, ge=2, le=20)
    """Model round trips allowed in one turn (tool rounds, the answer and one regeneration)."""
    max_message_chars: int = Field(2000, ge=100, le=100_000)
    """Longer shopper messages get a polite refusal."""
    history_token_budget: int = Field(4000, ge=500, le=200_000)
    """Tokens of history sent to the model; older turns are dropped, their order facts kept."""
    stale_after_days: int = Field(5, ge=1, le=60)
    """No tracking event for this many days on an undelivered package: apologise and offer a human."""
    prefetch: bool = True
    """When a message gives lookup keys (an order number, reference ID, email, phone or postal code, joined with
    what earlier messages gave), or a signed-in shopper asks about "my orders", or the widget names the order, make
    that lookup before the model's first call, as the offline responder would, so the model answers in one round
    trip. False: the model decides every lookup itself."""


class MerchantConfig(_Strict):
    merchant: MerchantInfo = Field(default_factory=MerchantInfo)
    source: Source = Field(default_factory=lambda: StoreSourceConfig(type="store"))
    mapping: str = "generic"
    """Preset name or mapping file path (relative to the config file)."""
    policy: PolicyConfig = PolicyConfig()
    model: ModelConfig = ModelConfig()
    agent: AgentConfig = AgentConfig()
    base_dir: Path = Field(default=Path("."), exclude=True)
    """Directory relative paths in the file are resolved against (set by the loader)."""

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def mapping_ref(self) -> str | Path:
        """The mapping as `load_mapping` takes it: a preset name, or a resolved file path."""
        from tools.presets import preset_path

        return self.mapping if preset_path(self.mapping) is not None else self.resolve(self.mapping)

    def mapper(self) -> Mapper:
        """The compiled mapping; the merchant's timezone, currency and region override the mapping's defaults
        only where the config sets them (a bytedesk preset keeps Asia/Shanghai unless told otherwise)."""
        from tools.mapping import load_mapping

        return load_mapping(self.mapping_ref(), **self.mapping_overrides())

    def mapping_overrides(self) -> dict[str, str | None]:
        given = self.merchant.model_fields_set
        return {
            "timezone": self.merchant.timezone if "timezone" in given else None,
            "currency": self.merchant.currency if "currency" in given else None,
            "region": self.merchant.default_region if "default_region" in given else None,
        }


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    # A typo in a required key also reports the key as missing; the typo is the useful half.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    steps, parent = _key_path(error["loc"])
    loc = ".".join(steps)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(steps[-1], list(parent.model_fields) if parent else [], n=1)
        return f"{loc}: unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    if error["type"] == "missing":
        return f"{loc}: missing"
    if error["type"] == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{loc}.type: expected one of {ctx.get('expected_tags')}, got {ctx.get('tag')!r}"
    if error["type"] == "union_tag_not_found":
        return f"{loc}.type: missing"
    return f"{loc}: {error['msg'].removeprefix('Value error, ')}"


def _key_path(loc: tuple[int | str, ...]) -> tuple[list[str], type[BaseModel] | None]:
    """The keys as written in the file (pydantic puts a union's tag, `source.http.url`, in the location) and the
    model holding the last one."""
    steps: list[str] = []
    model: type[BaseModel] | None = MerchantConfig
    parent = model
    items = [p for p in loc if not str(p).startswith(("function-", "tagged-union"))]
    while items:
        step = items.pop(0)
        steps.append(str(step))
        parent = model
        info = model.model_fields.get(str(step)) if model is not None else None
        model = None
        if info is None:
            continue
        if info.discriminator and items:
            tag = items.pop(0)
            model = next((m for m in get_args(info.annotation) if tag in get_args(m.model_fields["type"].annotation)),
                         None)
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            model = info.annotation
    return steps, parent


def load_config(path: str | Path) -> MerchantConfig:
    """Read and validate a config file; ConfigError names the file and the key."""
    path = Path(path)
    data = parse_mapping(read_text(path, ConfigError, "config file"), str(path), ConfigError,
                         "a YAML mapping with merchant, source, mapping, policy, model")
    try:
        config = MerchantConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None
    return config.model_copy(update={"base_dir": path.resolve().parent})


def demo_config() -> MerchantConfig:
    """The bundled demo merchant: an embedded store of generated orders."""
    return load_config(DEMO_DIR / "merchant.yaml")


def resolve_config(path: str | Path | None = None) -> MerchantConfig:
    """`path`, else $ORDER_ASSISTANT_CONFIG, else the demo merchant."""
    chosen = path or os.environ.get(CONFIG_ENV)
    return load_config(chosen) if chosen else demo_config()


def secret(name: str) -> str:
    """The value of environment variable `name`; ConfigError telling how to set it when it is missing."""
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set (the config names it for a secret)")
    return value

"""Merchant configuration (YAML): who the merchant is, where orders come from, how they map, what the policy is.

`--config PATH` on every command, else `ORDER_ASSISTANT_CONFIG`, else the bundled demo merchant. Secrets are
never in the file: it names environment variables that hold them. Everything the file names is checked when it
loads (the URL, paths, the mapping, which must exist and compile), so a mistake is reported naming the file and
the key before a shopper's question reaches it.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from tools._paths import parse_path
from tools._transforms import currency_setting, region_code, zone
from tools._yaml import parse_mapping, read_text

if TYPE_CHECKING:
    from tools.mapping import Mapper
from tools.errors import MappingError, OrderAssistantError, kind_of

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

log = logging.getLogger(__name__)

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP header name (RFC 9110 token): no spaces, colons or line breaks."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
"""A host as httpx gives it (IDNA names as xn--, IPv6 without brackets)."""


class ConfigError(OrderAssistantError):
    """The merchant config is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MerchantInfo(_Strict):
    name: str = "Demo Outfitters"
    """A shop named by digits alone (`name: 1688`) is read as text."""
    timezone: str = "UTC"
    """IANA zone: naive merchant times are read in it; dates in answers are given in it."""
    default_region: str | None = None
    """ISO 3166 region for phone numbers written without a country code."""
    locale: str = "en"
    currency: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

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
    """The header carrying the secret (`X-Api-Key`); like Authorization, it is never sent to another origin."""
    value_env: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _header_name(value)


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
        import httpx

        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        try:
            parsed = httpx.URL(value)
            host = parsed.host  # an IDNA name is decoded here
        except (httpx.InvalidURL, ValueError) as exc:  # idna's errors are ValueErrors
            raise ValueError(f"not a valid URL ({exc})") from None
        if not host:
            raise ValueError(f"{value!r} has no host name (such as https://shop.example.com/api/orders)")
        if not _HOST.fullmatch(parsed.raw_host.decode("ascii", "replace")):
            raise ValueError(f"{host!r} is not a host name")
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise ValueError(f"port {parsed.port} is out of range (1-65535)")
        if parsed.userinfo:
            raise ValueError("credentials inside the URL are not allowed (they would be shown in logs): put them "
                             "in auth: {type: basic, username_env: ..., password_env: ...}")
        return value

    @field_validator("orders_path")
    @classmethod
    def _orders_path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)  # its ValueError names the position
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            _header_name(name)
            if _CONTROL.search(text) or not text.isascii():
                raise ValueError(f"the value of header {name!r} must be one line of ASCII text")
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


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an HTTP header name (letters, digits and - only, such as X-Api-Key)")
    return value


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
    _file: Path | None = PrivateAttr(None)
    _mapper: tuple[object, Mapper] | None = PrivateAttr(None)

    @property
    def file(self) -> Path | None:
        """The file the config was loaded from (None for one built in code)."""
        return self._file

    def where(self, key: str) -> str:
        """`FILE: key` (or the key alone for a config built in code), to begin an error message."""
        return f"{self._file}: {key}" if self._file is not None else key

    def resolve(self, path: str, key: str = "path") -> Path:
        """A path from the config, relative to the config file's folder; `~` is the user's home, `~name` the
        home of user `name` (ConfigError naming `key` when there is no such user)."""
        try:
            p = Path(path).expanduser()
        except RuntimeError:  # ~name of no user, or no home at all
            user = path.split("/", 1)[0]
            raise ConfigError(f"{self.where(key)}: {path!r} starts with {user}, but there is no home folder for "
                              f"{'that user' if user != '~' else 'the current user'}; write the full path") from None
        return p if p.is_absolute() else self.base_dir / p

    def mapping_ref(self) -> str | Path:
        """The mapping as `load_mapping` takes it: a preset name, or a resolved file path."""
        from tools.presets import preset_path

        return self.mapping if preset_path(self.mapping) is not None else self.resolve(self.mapping, "mapping")

    def mapper(self) -> Mapper:
        """The compiled mapping; the merchant's timezone, currency and region override the mapping's defaults
        only where the config sets them (a bytedesk preset keeps Asia/Shanghai unless told otherwise). Compiled
        once per mapping and overrides (the loader compiles it to check it)."""
        from tools.mapping import load_mapping

        ref, overrides = self.mapping_ref(), self.mapping_overrides()
        key = (ref, tuple(overrides.items()))
        if self._mapper is not None and self._mapper[0] == key:
            return self._mapper[1]
        mapper = load_mapping(ref, **overrides)
        self._mapper = (key, mapper)
        return mapper

    def mapping_overrides(self) -> dict[str, str | None]:
        given = self.merchant.model_fields_set
        return {
            "timezone": self.merchant.timezone if "timezone" in given else None,
            "currency": self.merchant.currency if "currency" in given else None,
            "region": self.merchant.default_region if "default_region" in given else None,
        }


_EXAMPLES = {
    "merchant": "name: Acme, timezone: America/Los_Angeles",
    "source": "type: store, path: orders.db",
    "source.params": "email: email, order_id: order_id",
    "source.auth": "type: bearer, token_env: MERCHANT_API_TOKEN",
    "source.headers": "X-Store: eu-1",
    "policy": "verification: strict",
    "model": "name: gpt-4o-mini",
    "agent": "max_steps: 6",
}
"""How each section is written, for the message when it is not a mapping."""


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    # A typo in a required key also reports the key as missing; the typo is the useful half.
    error = next((e for e in errors if e["type"] in ("extra_forbidden", "invalid_key")), errors[0])
    steps, parent = _key_path(error["loc"])
    loc = ".".join(steps)
    given = error.get("input")
    if error["type"] == "invalid_key":
        return f"{loc}: unknown key"
    if error["type"] in ("dict_type", "model_type", "model_attributes_type"):
        example = _EXAMPLES.get(loc, "key: value")
        if given is None:
            return f"{loc}: is empty; give its keys ({loc}: {{{example}}}) or remove the line for the defaults"
        return f"{loc}: expected keys and values ({loc}: {{{example}}}), got {kind_of(given)}"
    if error["type"] == "string_type":
        hint = " (put it in quotes)" if isinstance(given, int | float) and not isinstance(given, bool) else ""
        return f"{loc}: expected text, got {kind_of(given)}{hint}"
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
    """Read and validate a config file, its paths and its mapping; ConfigError names the file and the key."""
    path = Path(path)
    data = parse_mapping(read_text(path, ConfigError, "config file"), str(path), ConfigError,
                         "a YAML mapping with merchant, source, mapping, policy, model")
    try:
        config = MerchantConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None
    config = config.model_copy(update={"base_dir": path.resolve().parent})
    config._file = path
    if isinstance(config.source, StoreSourceConfig):
        config.resolve(config.source.path, "source.path")
    _check_mapping(config)
    return config


def _check_mapping(config: MerchantConfig) -> None:
    """ConfigError naming the file and `mapping` when the mapping is no preset, no file, or does not compile."""
    from tools.presets import preset_names, preset_path

    name = config.mapping
    if preset_path(name) is None:
        target = config.resolve(name, "mapping")
        if not target.is_file():
            names = preset_names()
            if "/" not in name and "\\" not in name and not name.endswith((".yaml", ".yml")):
                close = difflib.get_close_matches(name, names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                what = f"no preset {name!r} and no mapping file {target} ({hint}presets: {', '.join(names)})"
            elif target.is_dir():
                what = f"{target} is a folder, not a mapping file"
            else:
                what = f"no mapping file {target} (a path is relative to the config file's folder)"
            raise ConfigError(f"{config.where('mapping')}: {what}")
    try:
        config.mapper()
    except MappingError as exc:
        raise ConfigError(f"{config.where('mapping')}: {' '.join(str(exc).split())}") from None


def demo_config() -> MerchantConfig:
    """The bundled demo merchant: an embedded store of generated orders."""
    return load_config(DEMO_DIR / "merchant.yaml")


def resolve_config(path: str | Path | None = None) -> MerchantConfig:
    """`path`, else $ORDER_ASSISTANT_CONFIG, else the demo merchant."""
    chosen = path or os.environ.get(CONFIG_ENV)
    return load_config(chosen) if chosen else demo_config()


def secret(name: str, where: str | None = None, *, header: bool = False) -> str:
    """The value of environment variable `name`; ConfigError telling how to set it when it is missing.

    `where` ("merchant.yaml: source.auth.token_env") begins the messages. Whitespace and line breaks around the
    value (a token pasted from a file ending in CRLF) are removed with a warning naming the variable; a line break
    or other control character inside it, or (for a `header` value) a character outside ASCII, which an HTTP
    header cannot carry, is a ConfigError. The value itself is never in a message.
    """
    prefix = f"{where}: " if where else ""
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{prefix}environment variable {name} is not set (the config names it for a secret)")
    stripped = value.strip()
    if not stripped:
        raise ConfigError(f"{prefix}environment variable {name} holds only whitespace")
    if stripped != value:
        log.warning("%senvironment variable %s begins or ends with whitespace or a line break; it is used without "
                    "them (remove them from the variable to silence this warning)", prefix, name)
    if _CONTROL.search(stripped):
        raise ConfigError(f"{prefix}environment variable {name} has a line break or another control character "
                          "inside it; a secret must be one line")
    if header and not stripped.isascii():
        raise ConfigError(f"{prefix}environment variable {name} has a character outside ASCII (a quote or space "
                          "pasted with it?), which an HTTP header cannot carry")
    return stripped

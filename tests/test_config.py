"""Merchant config files: good ones load, bad ones fail with one line naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.config import CONFIG_ENV, ConfigError, HttpSourceConfig, load_config, resolve_config, secret

GOOD = """\
merchant:
  name: Acme Outdoor
  timezone: America/Los_Angeles
  default_region: us
  currency: USD
source:
  type: http
  url: https://shop.example.com/api/orders
  params: {phone: tel, ref_id: null, phone_format: last7}
  auth: {type: bearer, token_env: ACME_TOKEN}
  orders_path: data.orders
  timeout_s: 3
  retries: 1
  headers: {X-Store: eu-1}
mapping: generic
policy: {verification: order_number}
"""


def write(tmp_path: Path, text: str, name: str = "merchant.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    return message.removeprefix(f"{path}: ")


def test_a_good_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.merchant.name == "Acme Outdoor"
    assert config.merchant.default_region == "US"
    source = config.source
    assert isinstance(source, HttpSourceConfig)
    assert source.params.phone == "tel" and source.params.ref_id is None and source.params.email == "email"
    assert source.params.phone_format == "last7"
    assert source.auth.type == "bearer" and source.auth.token_env == "ACME_TOKEN"
    assert (source.timeout_s, source.retries, source.orders_path) == (3, 1, "data.orders")
    assert source.headers == {"X-Store": "eu-1"}
    assert config.policy.verification == "order_number"
    assert config.base_dir == tmp_path.resolve()


def test_a_currency_label_naming_one_currency_is_its_code(tmp_path: Path) -> None:
    for label, code in (("RMB", "CNY"), ("EURO", "EUR"), ("'€'", "EUR")):
        assert load_config(write(tmp_path, f"merchant: {{currency: {label}}}")).merchant.currency == code


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.source.type == "store"
    assert config.mapping == "generic"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source: {type: http, url: 'https://x.co/o', timout_s: 3}",
         "source.timout_s: unknown key (did you mean 'timeout_s'?)"),
        ("merchnt: {name: A}", "merchnt: unknown key (did you mean 'merchant'?)"),
        ("source: {type: http, url: 'https://x.co', auth: {type: bearer, tokn_env: T}}",
         "source.auth.tokn_env: unknown key (did you mean 'token_env'?)"),
        ("source: {type: http, url: 'https://x.co', params: {phne: tel}}",
         "source.params.phne: unknown key (did you mean 'phone'?)"),
        ("source: {type: store, pth: orders.db}", "source.pth: unknown key (did you mean 'path'?)"),
        ("merchant: {timezone: Mars/Olympus_Mons}", "merchant.timezone: unknown timezone 'Mars/Olympus_Mons'"),
        ("merchant: {default_region: USA}", "merchant.default_region: 'USA' is not an ISO 3166 region"),
        ("merchant: {default_region: XX}", "merchant.default_region: 'XX' is not an ISO 3166 region"),
        ("merchant: {currency: EUROPE}", "merchant.currency: 'EUROPE' is not an ISO 4217 currency code"),
        ("merchant: {currency: kr}", "merchant.currency: 'kr' can be SEK, NOK, DKK or ISK: write its ISO 4217 code"),
        ("merchant: {currency: EUX}", "merchant.currency: 'EUX' is not an ISO 4217 currency code"),
        ("source: {type: http, url: ftp://x.co/orders}", "source.url: expected an http:// or https:// URL"),
        ("source: {type: http}", "source.url: missing"),
        ("source: {url: 'https://x.co'}", "source.type: missing"),
        ("source: {type: ftp}", "source.type: expected one of 'http', 'store', got 'ftp'"),
        ("source: {type: http, url: 'https://x.co', auth: {type: oauth}}",
         "source.auth.type: expected one of 'bearer', 'header', 'basic', 'query', 'none', got 'oauth'"),
        ("source: {type: http, url: 'https://x.co', auth: {type: bearer}}", "source.auth.token_env: missing"),
        ("source: {type: http, url: 'https://x.co', params: {phone_format: national}}", "source.params.phone_format:"),
        ("source: {type: http, url: 'https://x.co', timeout_s: 0}", "source.timeout_s:"),
        ("policy: {verification: loose}", "policy.verification:"),
        ("[merchant, source]", "expected a YAML mapping"),
    ],
)
def test_bad_configs_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(tmp_path, text).startswith(expected)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "merchant:\n  name: Acme\nsource: {type: http, url: [unclosed\n")
    assert message.startswith("line 4, column 1: invalid YAML")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nowhere.yaml: no such config file"):
        load_config(tmp_path / "nowhere.yaml")


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "source: {type: store, path: data/orders.db}\nmapping: maps/acme.yaml\n", "conf/m.yaml")
    write(tmp_path, "order: {id: id}\n", "conf/maps/acme.yaml")
    monkeypatch.chdir(tmp_path)  # elsewhere than the config's folder
    config = load_config(Path("conf/m.yaml"))
    assert config.base_dir == path.parent.resolve()
    assert config.resolve("data/orders.db") == path.parent.resolve() / "data" / "orders.db"
    assert config.mapping_ref() == path.parent.resolve() / "maps" / "acme.yaml"
    assert config.resolve("/abs/orders.db") == Path("/abs/orders.db")


def test_a_preset_name_is_not_a_path(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "mapping: generic\n")).mapping_ref() == "generic"


def test_resolve_config_reads_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = write(tmp_path, "merchant: {name: From Env}\n", "env.yaml")
    given = write(tmp_path, "merchant: {name: Given}\n", "given.yaml")
    monkeypatch.setenv(CONFIG_ENV, str(from_env))
    assert resolve_config().merchant.name == "From Env"
    assert resolve_config(given).merchant.name == "Given"  # an explicit path wins


def test_resolve_config_reports_a_bad_environment_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml: no such config file"):
        resolve_config()


def test_secret_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", "t")
    assert secret("ACME_TOKEN") == "t"
    monkeypatch.delenv("ACME_TOKEN")
    with pytest.raises(ConfigError, match="environment variable ACME_TOKEN is not set"):
        secret("ACME_TOKEN")


def test_agent_limits_are_configurable_and_checked(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "agent: {history_token_budget: 2500, max_steps: 4}\n"))
    assert (config.agent.history_token_budget, config.agent.max_steps, config.agent.stale_after_days) == (2500, 4, 5)
    assert error_of(tmp_path, "agent: {history_token_budget: 10}\n").startswith("agent.history_token_budget:")
    assert error_of(tmp_path, "agent: {max_stepz: 3}\n").startswith("agent.max_stepz: unknown key")


# -- everything the file names is checked when it loads ----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://", "source.url: 'http://' has no host name"),
        ("https://", "source.url: 'https://' has no host name"),
        ("http:/shop.example.com/orders", "source.url: expected an http:// or https:// URL"),
        ("https://shop.example.com:80a/orders", "source.url: not a valid URL (Invalid port: '80a')"),
        ("http://[::1", "source.url: not a valid URL"),
        ("http://shop example.com/orders", "source.url: 'shop%20example.com' is not a host name"),
        ("https://shop.example.com:99999/orders", "source.url: port 99999 is out of range"),
        ("https://xn--/orders", "source.url: not a valid URL"),
        ("http://user:pass@shop.example.com/orders",
         "source.url: credentials inside the URL are not allowed (they would be shown in logs): put them in "
         "auth: {type: basic"),
        ("https://tok3n@shop.example.com/orders", "source.url: credentials inside the URL are not allowed"),
    ],
)
def test_a_bad_url_is_a_config_error_at_load(tmp_path: Path, url: str, expected: str) -> None:
    message = error_of(tmp_path, f"source: {{type: http, url: '{url}'}}\n")
    assert message.startswith(expected)
    assert "pass" not in message.replace("password", "")  # the credentials themselves are not repeated


@pytest.mark.parametrize("url", ["https://shop.example.com/api/orders?v=2", "HTTPS://Shop.Example.com/o",
                                 "http://127.0.0.1:8080/orders", "http://[::1]:8080/orders",
                                 "https://bücher.example/orders"])
def test_good_urls_load(tmp_path: Path, url: str) -> None:
    assert load_config(write(tmp_path, f"source: {{type: http, url: '{url}'}}\n")).source.url == url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source: {type: http, url: 'https://x.co', orders_path: 'data..orders'}",
         "source.orders_path: empty segment at position 6 of path 'data..orders'"),
        ("source: {type: http, url: 'https://x.co', auth: {type: header, name: 'X Api Key', value_env: T}}",
         "source.auth.name: 'X Api Key' is not an HTTP header name"),
        ("source: {type: http, url: 'https://x.co', auth: {type: header, name: 'X-Key:', value_env: T}}",
         "source.auth.name: 'X-Key:' is not an HTTP header name"),
        ("source: {type: http, url: 'https://x.co', headers: {'X Store': eu}}",
         "source.headers: 'X Store' is not an HTTP header name"),
        ("source: {type: http, url: 'https://x.co', headers: {X-Store: \"eu\\r\\nX-Evil: 1\"}}",
         "source.headers: the value of header 'X-Store' must be one line of ASCII text"),
        ("source: {type: http, url: 'https://x.co', headers: {X-Store: 'café'}}",
         "source.headers: the value of header 'X-Store' must be one line of ASCII text"),
    ],
)
def test_http_details_are_checked_at_load(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(tmp_path, text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("merchant:\nsource: {type: store}\n",
         "merchant: is empty; give its keys (merchant: {name: Acme, timezone: America/Los_Angeles}) or remove"),
        ("merchant: [a, b]\n", "merchant: expected keys and values (merchant: {name: Acme, timezone: "
         "America/Los_Angeles}), got a list"),
        ("source: store\n", "source: expected keys and values (source: {type: store, path: orders.db}), got the "
         "text 'store'"),
        ("source: [store]\n", "source: expected keys and values (source: {type: store, path: orders.db}), got a list"),
        ("mapping: 5\n", "mapping: expected text, got the number 5 (put it in quotes)"),
        ("mapping:\n", "mapping: expected text, got nothing"),
        ("merchant: {currency: 840}\n", "merchant.currency: expected text, got the number 840 (put it in quotes)"),
        ("source: {type: http, url: 'https://x.co', headers: {X-Shop: 5}}\n",
         "source.headers.X-Shop: expected text, got the number 5 (put it in quotes)"),
        ("1: 2\n", "1: unknown key"),
    ],
)
def test_wrong_kinds_of_value_are_told_in_the_files_words(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(expected)
    for internal in ("MerchantInfo", "NoneType", "dictionary", "instance of", "Input should"):
        assert internal not in message


def test_a_shop_name_of_digits_is_text(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "merchant: {name: 1688}\n")).merchant.name == "1688"
    assert error_of(tmp_path, "merchant: {name: [a]}\n").startswith("merchant.name: expected text, got a list")


@pytest.mark.parametrize(
    ("text", "key"),
    [("source: {type: store, path: ~no_such_user_qa/x.db}\n", "source.path"),
     ("mapping: ~no_such_user_qa/m.yaml\n", "mapping")],
)
def test_a_path_under_an_unknown_users_home_is_a_config_error(tmp_path: Path, text: str, key: str) -> None:
    assert error_of(tmp_path, text).startswith(
        f"{key}: '~no_such_user_qa/{'x.db' if key == 'source.path' else 'm.yaml'}' starts with ~no_such_user_qa, "
        "but there is no home folder for that user; write the full path")


def test_a_mapping_that_is_no_preset_and_no_file_is_a_config_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "source: {type: store, path: orders.db}\nmapping: shopifyy\n")
    assert message.startswith(f"mapping: no preset 'shopifyy' and no mapping file {tmp_path.resolve() / 'shopifyy'}")
    assert "did you mean 'shopify'?" in message and "presets: amazon," in message


def test_a_missing_mapping_file_is_a_config_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "mapping: ../maps/acme.yaml\n")
    assert message.startswith(f"mapping: no mapping file {tmp_path.resolve() / '../maps/acme.yaml'}")
    (tmp_path / "maps").mkdir()
    assert error_of(tmp_path, "mapping: maps\n").startswith("mapping: no preset 'maps' and no mapping file")
    assert error_of(tmp_path, "mapping: ./maps\n").endswith("maps is a folder, not a mapping file")


def test_a_mapping_file_that_does_not_compile_is_a_config_error_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, "order: {id: {jmespath: 'a..b'}}\n", "maps/acme.yaml")
    message = error_of(tmp_path, "mapping: maps/acme.yaml\n")
    assert message.startswith(f"mapping: {tmp_path.resolve() / 'maps' / 'acme.yaml'}: order.id")


def test_the_mapping_checked_at_load_is_the_one_sources_use(tmp_path: Path) -> None:
    write(tmp_path, "order: {id: order_no}\n", "maps/acme.yaml")
    config = load_config(write(tmp_path, "mapping: maps/acme.yaml\nmerchant: {timezone: Asia/Tokyo}\n"))
    assert config.mapper() is config.mapper()
    assert config.mapper().map_one({"order_no": "A1"}).id == "A1"
    other = config.model_copy(update={"merchant": config.merchant.model_copy(update={"timezone": "UTC"})})
    assert other.mapper() is not config.mapper()  # other overrides: compiled again, not the cached one


@pytest.mark.parametrize(
    ("auth", "key"),
    [("{type: bearer, token_env: QA_NOPE}", "token_env"), ("{type: header, name: X-Key, value_env: QA_NOPE}",
                                                          "value_env"),
     ("{type: basic, username_env: QA_NOPE, password_env: QA_NOPE}", "username_env"),
     ("{type: query, param: key, value_env: QA_NOPE}", "value_env")],
)
def test_a_missing_secret_variable_names_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: str, key: str
) -> None:
    from tools.sources import open_source

    monkeypatch.delenv("QA_NOPE", raising=False)
    path = write(tmp_path, f"source: {{type: http, url: 'https://x.co/o', auth: {auth}}}\n")
    with pytest.raises(ConfigError) as caught:
        open_source(load_config(path))
    assert str(caught.value) == (f"{path}: source.auth.{key}: environment variable QA_NOPE is not set (the config "
                                 "names it for a secret)")


def test_a_missing_store_folder_names_the_file_the_key_and_the_folder(tmp_path: Path) -> None:
    from tools.sources import open_source
    from tools.store import StoreError

    path = write(tmp_path, "source: {type: store, path: data/orders.db}\n")
    with pytest.raises(StoreError) as caught:
        open_source(load_config(path))
    folder = tmp_path.resolve() / "data"
    assert str(caught.value) == f"{path}: source.path: {folder / 'orders.db'}: the folder {folder} does not exist"

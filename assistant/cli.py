"""The `order-assistant` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tools.errors import OrderAssistantError

if TYPE_CHECKING:
    from assistant.agent import Agent

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SOURCE = 0, 1, 2, 3

LOOKUP_EXIT_CODES = """\
exit codes:
  0  an order was found and shown
  1  nothing shown: verification needed, no match, not found, locked after failed attempts, or bad arguments
  2  usage or config error (bad option, config file, mapping, missing secret variable, missing store)
  3  the order source failed: HTTP error (401, 403, 5xx ...), timeout, connection refused, unreadable reply
     or store; the reason is on stderr
"""


def _orders_json(orders: Sequence[object]) -> str:
    return json.dumps([o.model_dump(mode="json") for o in orders], ensure_ascii=False, indent=2)  # type: ignore[attr-defined]


def cmd_mapping_presets(args: argparse.Namespace) -> int:
    from tools.presets import presets

    items = presets()
    width = max(map(len, items))
    for name, description in items.items():
        print(f"{name:<{width}}  {description}")
    return EXIT_OK


def cmd_mapping_check(args: argparse.Namespace) -> int:
    from tools.check import check_sample
    from tools.files import read_payload
    from tools.mapping import load_mapping

    if args.preset:
        if len(args.files) != 1:
            raise _Usage("mapping check --preset NAME takes one SAMPLE file")
        mapping, sample = args.preset, args.files[0]
    else:
        if len(args.files) != 2:
            raise _Usage("mapping check takes MAPPING.yaml SAMPLE, or --preset NAME SAMPLE")
        mapping, sample = Path(args.files[0]), args.files[1]
    if args.preset:
        from tools.presets import preset_names, preset_path

        if preset_path(args.preset) is None:
            raise _Usage(f"no preset {args.preset!r} (presets: {', '.join(preset_names())})")
    mapper = load_mapping(mapping)
    payload = read_payload(sample)
    report = check_sample(mapper, payload)
    if args.json:
        print(_orders_json(report.orders))
        print("\n".join(report.lines()), file=sys.stderr)
    else:
        if report.orders:
            print(_orders_json(report.orders))
            print()
        print("\n".join(report.lines()))
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_mapping_suggest(args: argparse.Namespace) -> int:
    from tools.files import read_payload
    from tools.suggest import suggest_mapping

    output = Path(args.output) if args.output else None
    if output is not None:
        # Checked before the sample is read: a draft must never replace the sample, nor a mapping edited by hand.
        if _same_path(output, Path(args.sample)):
            raise _Usage(f"-o {output}: that is the sample; write the draft to another file")
        if output.exists() and not args.force:
            raise _Usage(f"-o {output}: the file exists; pass --force to replace it")
    payload = read_payload(args.sample)
    text = suggest_mapping(payload, source=str(args.sample))
    if output is not None:
        try:
            with output.open("w" if args.force else "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            raise _Usage(f"-o {output}: the file exists; pass --force to replace it") from None
        except OSError as exc:
            raise _Usage(f"{output}: cannot write ({exc.strerror})") from None
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_lookup(args: argparse.Namespace) -> int:
    from tools.config import resolve_config
    from tools.lookup import TOOLS, LookupContext, Session
    from tools.sources import open_source

    config = resolve_config(args.config)
    arguments = {
        k: v
        for k, v in {
            "order_id": args.order_id, "email": args.email, "phone": args.phone, "ref_id": args.ref_id,
            "postal_code": args.postal_code,
        }.items()
        if v is not None
    }
    if not any(k in arguments for k in ("order_id", "email", "phone", "ref_id")):
        raise _Usage("lookup needs at least one of --order-id, --email, --phone, --ref-id")
    session = Session(verified_email=args.verified_email, verified_phone=args.verified_phone)
    source = open_source(config)
    try:
        result = TOOLS["lookup_orders"].call(LookupContext(source, config.merchant, config.policy, session), arguments)
    finally:
        source.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    if result["result"] == "unavailable":
        return EXIT_SOURCE  # a broken setup is not "no such order" (see LOOKUP_EXIT_CODES)
    return EXIT_OK if result["result"] == "found" else EXIT_FAILED


def cmd_import(args: argparse.Namespace) -> int:
    from tools.importer import Interrupted, format_result, interrupts_raise

    try:
        # SIGTERM (a service stopped, a container shut down) ends an import as Ctrl-C does: rolled back, and said.
        with interrupts_raise():
            return _import(args)
    except Interrupted as exc:
        if exc.result is not None and exc.result.written:
            print(format_result(exc.result, as_json=args.json))
        print(f"order-assistant: {exc.message()}", file=sys.stderr)
        return exc.exit_code


def _import(args: argparse.Namespace) -> int:
    from tools.config import CONFIG_ENV, resolve_config
    from tools.importer import format_result, import_file
    from tools.mapping import load_mapping
    from tools.presets import preset_names, preset_path

    if args.preset and preset_path(args.preset) is None:
        raise _Usage(f"no preset {args.preset!r} (presets: {', '.join(preset_names())})")
    chosen = args.config or os.environ.get(CONFIG_ENV)
    config = resolve_config(chosen) if chosen else None
    overrides = config.mapping_overrides() if config is not None else {}
    if args.preset or args.mapping:
        ref: str | Path = args.preset if args.preset else Path(args.mapping)
    elif config is not None:
        ref = config.mapping_ref()  # the merchant's own mapping, as its HTTP source would use
    else:
        raise _Usage("give --preset NAME or --mapping FILE, or --config (or $ORDER_ASSISTANT_CONFIG) naming a mapping")
    if args.rejects:
        for other, what in ((args.mapping, "the mapping file"), (chosen, "the config file")):
            if other and _same_path(Path(args.rejects), Path(other)):
                raise _Usage(f"--rejects {args.rejects}: cannot write the rejected rows there: it is {what}")
    mapper = load_mapping(ref, **overrides)
    if args.store:
        store = Path(args.store)
    elif config is not None and config.source.type == "store":
        store = config.resolve(config.source.path)
    else:
        store = Path("orders.db")
    result = import_file(store, Path(args.file), mapper, skip_invalid=args.skip_invalid,
                         rejects_path=Path(args.rejects) if args.rejects else None, replace=args.replace)
    print(format_result(result, as_json=args.json))
    return int(result.exit_code)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b) if a.exists() and b.exists() else a.resolve() == b.resolve()
    except OSError:
        return False


def _agent_for(args: argparse.Namespace) -> Agent:
    from assistant.runtime import make_agent
    from tools.config import resolve_config

    return make_agent(resolve_config(args.config), model=args.model, base_url=args.base_url, offline=args.offline)


def _parse_order_info(raw: str | None) -> object:
    if raw is None:
        return None
    text = raw.strip()
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            return text  # the parser reports it, naming the position
    return text


def cmd_ask(args: argparse.Namespace) -> int:
    agent = _agent_for(args)
    try:
        conversation = agent.new_conversation(verified_email=args.verified_email, verified_phone=args.verified_phone,
                                              order_info=_parse_order_info(args.order_info))
        result = agent.respond(conversation, args.question)
    finally:
        agent.source.close()
    if args.json:
        print(json.dumps({
            "answer": result.answer,
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls],
            "model": result.model,
            "fallback": result.fallback,
            "usage": result.usage,
        }, ensure_ascii=False))
    else:
        print(result.answer)
    return EXIT_OK


class _TerminalSink:
    def __init__(self) -> None:
        self.started = False

    def delta(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def reset(self, text: str) -> None:
        sys.stdout.write("\n(corrected) " + text)
        sys.stdout.flush()


def cmd_chat(args: argparse.Namespace) -> int:
    agent = _agent_for(args)
    interactive = sys.stdin.isatty()
    try:
        conversation = agent.new_conversation(verified_email=args.verified_email, verified_phone=args.verified_phone,
                                              order_info=_parse_order_info(args.order_info))
        if interactive:
            who = f"model {agent.llm.model}" if agent.llm else "offline responder (no model configured)"
            print(f"{agent.config.merchant.name} order assistant, {who}. Ctrl-D to quit.")
        while True:
            try:
                line = input("you> ") if interactive else sys.stdin.readline()
            except EOFError:
                break
            if not interactive and line == "":
                break
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if interactive:
                sys.stdout.write("assistant> ")
                agent.respond(conversation, line, sink=_TerminalSink())
                sys.stdout.write("\n")
            else:
                result = agent.respond(conversation, line)
                print(result.answer)
            sys.stdout.flush()
    finally:
        agent.source.close()
    return EXIT_OK


class _Usage(Exception):
    """A mistake in the command line itself (exit 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="order-assistant", description="Answers 'where is my order?' from a merchant's order data."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="merchant config (default: $ORDER_ASSISTANT_CONFIG, else the bundled demo merchant)")

    mapping = commands.add_parser("mapping", help="list, check and draft mappings of merchant order data")
    mapping_commands = mapping.add_subparsers(dest="mapping_command", required=True, metavar="SUBCOMMAND")
    presets = mapping_commands.add_parser("presets", help="the shipped presets, with a line on each")
    presets.set_defaults(func=cmd_mapping_presets)
    check = mapping_commands.add_parser(
        "check",
        help="map a sample and report missing fields, unknown statuses and unused fields",
        usage="order-assistant mapping check (--preset NAME | MAPPING.yaml) SAMPLE [--json]",
    )
    check.add_argument("--preset", metavar="NAME", help="a shipped preset instead of a mapping file")
    check.add_argument("--json", action="store_true", help="stdout is only the JSON array of canonical orders")
    check.add_argument("files", nargs="+", metavar="FILE", help="[MAPPING.yaml] SAMPLE (.json, .jsonl, .csv or .xlsx)")
    check.set_defaults(func=cmd_mapping_check)
    suggest = mapping_commands.add_parser("suggest", help="draft a mapping file from a sample")
    suggest.add_argument("sample", metavar="SAMPLE", help="a JSON, JSONL, CSV or .xlsx sample of the merchant's orders")
    suggest.add_argument("-o", "--output", metavar="FILE",
                         help="write the draft here instead of stdout (never over the sample; over an existing file "
                         "only with --force)")
    suggest.add_argument("--force", action="store_true", help="let -o replace an existing file")
    suggest.set_defaults(func=cmd_mapping_suggest)

    lookup = commands.add_parser(
        "lookup", parents=[common], help="run the order-lookup tool under the policy; prints what the model would see",
        epilog=LOOKUP_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lookup.add_argument("--order-id", help="order number as the shopper would give it")
    lookup.add_argument("--email")
    lookup.add_argument("--phone")
    lookup.add_argument("--ref-id")
    lookup.add_argument("--postal-code", help="shipping postal code, a second factor with --order-id")
    lookup.add_argument("--verified-email", metavar="E", help="simulate a signed-in shopper with this email")
    lookup.add_argument("--verified-phone", metavar="P", help="simulate a signed-in shopper with this phone")
    lookup.add_argument("--json", action="store_true", help="compact JSON, exactly as the model receives it")
    lookup.set_defaults(func=cmd_lookup)

    imp = commands.add_parser(
        "import", parents=[common], help="import an order export (JSON, JSONL, CSV, .xlsx) into the embedded store",
        usage="order-assistant import FILE [--preset NAME | --mapping FILE] [--config PATH] [--store PATH] [--replace] "
        "[--skip-invalid] [--json]",
    )
    imp.add_argument("file", metavar="FILE")
    which = imp.add_mutually_exclusive_group()
    which.add_argument("--preset", metavar="NAME", help="a shipped mapping (default: the config's mapping)")
    which.add_argument("--mapping", metavar="FILE", help="a mapping file (default: the config's mapping)")
    imp.add_argument("--store", metavar="PATH",
                     help="SQLite store (default: the config's store path, else ./orders.db)")
    imp.add_argument("--skip-invalid", action="store_true", help="import the good rows, write the rejects to a file")
    imp.add_argument("--rejects", metavar="FILE", help="where --skip-invalid writes rejects (FILE.rejects.jsonl)")
    imp.add_argument("--replace", action="store_true",
                     help="an order already stored is replaced whole (default: its items merge by SKU, so a file "
                     "of new lines adds them, as Sobot's import does)")
    imp.add_argument("--json", action="store_true", help="print one JSON object of counts")
    imp.set_defaults(func=cmd_import)

    model_options = argparse.ArgumentParser(add_help=False)
    model_options.add_argument("--model", metavar="M", help="chat model (default: config, $OPENAI_MODEL; "
                               "with only $OPENAI_API_KEY set: gpt-4o-mini)")
    model_options.add_argument("--base-url", metavar="URL", help="OpenAI-compatible server (default $OPENAI_BASE_URL)")
    model_options.add_argument("--offline", action="store_true", help="use the offline responder even with a model")
    model_options.add_argument("--order-info", metavar="JSON", help="Bytedesk orderInfo of the order page (a hint)")
    model_options.add_argument("--verified-email", metavar="E", help="simulate a signed-in shopper with this email")
    model_options.add_argument("--verified-phone", metavar="P", help="simulate a signed-in shopper with this phone")

    ask = commands.add_parser("ask", parents=[common, model_options], help="answer one shopper question")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--json", action="store_true",
                     help='one JSON object: {"answer", "tool_calls", "model", "fallback", "usage"}')
    ask.set_defaults(func=cmd_ask)

    chat = commands.add_parser("chat", parents=[common, model_options],
                               help="a terminal chat (reads one message a line when stdin is not a terminal)")
    chat.set_defaults(func=cmd_chat)

    from evals.cli import add_eval_parser

    add_eval_parser(commands, [common])
    return parser


def _version() -> str:
    from assistant import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="order-assistant: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except _Usage as exc:
        parser.exit(EXIT_USAGE, f"order-assistant: error: {exc}\n")
    except OrderAssistantError as exc:
        print(f"order-assistant: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""Putting an agent together from a merchant config and command-line choices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx2

from assistant.agent import Agent
from assistant.llm import LLMClient, model_settings
from tools.config import MerchantConfig
from tools.sources import open_source

__all__ = ["make_agent"]


def make_agent(
    config: MerchantConfig, *, model: str | None = None, base_url: str | None = None, offline: bool = False,
    http_client: httpx2.Client | None = None, clock: Callable[[], datetime] | None = None,
) -> Agent:
    """An agent over the config's order source; with a model when one is configured, else offline."""
    chosen = model_settings(config.model, model=model, base_url=base_url, offline=offline)
    llm = LLMClient(chosen, http_client=http_client) if chosen is not None else None
    return Agent(config, open_source(config), llm, clock=clock)

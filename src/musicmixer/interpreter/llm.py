"""Provider choice, the one retry, and token/cost logging for step 4's LLM call.

Which provider runs is the settings' business (`llm_provider`); no key or no
endpoint means no LLM, and the offline planner plans instead. Each client
raises `RetryableLLMError` for 429/5xx and `LLMError` for anything else; this
module retries once on the former (SDK retries are off, so the count is ours).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from musicmixer.config import Settings

logger = logging.getLogger(__name__)

RETRY_DELAY_S = 0.5  # first retry waits this long unless the server says less
MAX_RETRY_DELAY_S = 2.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
# USD per million tokens (input, output), by model family; unknown models cost 0.
PRICES = {"opus": (15.0, 75.0), "sonnet": (3.0, 15.0), "haiku": (1.0, 5.0)}
CACHE_READ_FACTOR, CACHE_WRITE_FACTOR = 0.1, 1.25


class LLMError(Exception):
    """The LLM call failed; the interpreter falls back to the offline planner."""


class RetryableLLMError(LLMError):
    """429 or a 5xx: worth one more try."""

    def __init__(self, message: str, status: int, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class LLMReply:
    """The tool input the model produced, with what it cost."""

    plan: object  # the create_remix_plan input, unvalidated
    provider: str
    model: str
    usage: dict[str, float] = field(default_factory=dict)
    attempts: int = 1


def llm_configured(settings: Settings) -> bool:
    """An LLM is used only when the provider has what it needs to be called."""
    if settings.llm_provider == "anthropic":
        return bool(settings.llm_api_key)
    if settings.llm_provider == "openai":
        return bool(settings.llm_base_url)
    return False


def request_plan(system: str, messages: list[dict], tool: dict, settings: Settings) -> LLMReply:
    """Call the configured provider, retrying once on 429/5xx."""
    if settings.llm_provider == "anthropic":
        from .llm_anthropic import call_anthropic as call
    elif settings.llm_provider == "openai":
        from .llm_openai import call_openai as call
    else:
        raise LLMError(f"no LLM provider configured ({settings.llm_provider!r})")
    for attempt in (1, 2):
        started = time.monotonic()
        try:
            reply = call(system, messages, tool, settings)
        except RetryableLLMError as exc:
            if attempt == 2:
                raise
            delay = min(exc.retry_after if exc.retry_after is not None else RETRY_DELAY_S,
                        MAX_RETRY_DELAY_S)
            logger.warning("LLM returned %s; retrying once in %.1f s", exc.status, delay)
            time.sleep(max(delay, 0.0))
            continue
        reply.attempts = attempt
        reply.usage["seconds"] = round(time.monotonic() - started, 3)
        log_usage(reply)
        return reply
    raise LLMError("unreachable")  # pragma: no cover


def cost_usd(model: str, input_tokens: float, output_tokens: float,
             cache_read: float = 0.0, cache_write: float = 0.0) -> float:
    """Approximate list price of one call; 0 for models we have no price for."""
    price = next((p for family, p in PRICES.items() if family in model.lower()), None)
    if price is None:
        return 0.0
    per_in, per_out = price[0] / 1e6, price[1] / 1e6
    return round(input_tokens * per_in + output_tokens * per_out
                 + cache_read * per_in * CACHE_READ_FACTOR
                 + cache_write * per_in * CACHE_WRITE_FACTOR, 6)


def log_usage(reply: LLMReply) -> None:
    u = reply.usage
    logger.info(
        "LLM %s:%s in=%d out=%d cache_read=%d cache_write=%d cost=$%.4f attempts=%d %.2fs",
        reply.provider, reply.model, u.get("input_tokens", 0), u.get("output_tokens", 0),
        u.get("cache_read_input_tokens", 0), u.get("cache_creation_input_tokens", 0),
        u.get("cost_usd", 0.0), reply.attempts, u.get("seconds", 0.0),
    )


def parse_retry_after(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None

"""The one retry, and token/cost logging, around step 4's LLM call.

Which provider runs is the settings' business (`llm_provider`, looked up in
`providers.PROVIDERS`); no key or no endpoint means no LLM, and the offline
planner plans instead. Each provider raises `RetryableLLMError` for 429/5xx
and `LLMError` for anything else; this module retries once on the former (SDK
retries are off, so the count is ours).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import logging
import time

from musicmixer.config import Settings

from .llm_types import LLMError, LLMReply, RetryableLLMError
from .providers import provider_named

logger = logging.getLogger(__name__)

RETRY_DELAY_S = 0.5  # first retry waits this long unless the server says less
MAX_RETRY_DELAY_S = 2.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})


def llm_configured(settings: Settings) -> bool:
    """An LLM is used only when the provider has what it needs to be called."""
    provider = provider_named(settings.llm_provider)
    return provider is not None and provider.configured(settings)


def request_plan(system: str, messages: list[dict], tool: dict, settings: Settings) -> LLMReply:
    """Call the configured provider, retrying once on 429/5xx."""
    provider = provider_named(settings.llm_provider)
    if provider is None:
        raise LLMError(f"no LLM provider configured ({settings.llm_provider!r})")
    call = provider.call
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


def log_usage(reply: LLMReply) -> None:
    u = reply.usage
    logger.info(
        "LLM %s:%s in=%d out=%d cache_read=%d cache_write=%d cost=$%.4f attempts=%d %.2fs",
        reply.provider, reply.model, u.get("input_tokens", 0), u.get("output_tokens", 0),
        u.get("cache_read_input_tokens", 0), u.get("cache_creation_input_tokens", 0),
        u.get("cost_usd", 0.0), reply.attempts, u.get("seconds", 0.0),
    )


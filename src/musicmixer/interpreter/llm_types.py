"""What the LLM providers share: their errors, their reply, the `Provider`
entry each one declares, and the price and header helpers.

Providers import this module and nothing else of the interpreter's, so that
`llm` (the retry loop) and `providers` (the registry) can import them without
a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


# (system prompt, messages, tool, settings) -> the reply; raises LLMError.
ProviderCall = Callable[[str, list[dict], dict, Any], LLMReply]


@dataclass(frozen=True)
class Provider:
    """One LLM provider: its LLM_PROVIDER name, its call, and whether the
    settings give it what it needs to be called (no key or no endpoint means
    no LLM: the offline planner plans instead)."""

    name: str
    call: ProviderCall
    configured: Callable[[Any], bool]  # settings -> ready to call


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


def parse_retry_after(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None

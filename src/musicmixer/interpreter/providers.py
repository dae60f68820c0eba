"""The LLM provider registry: LLM_PROVIDER's choices and what each one calls.

Adding a provider is one module with a `PROVIDER` entry (a `Provider` from
`llm_types`) and one line in `PROVIDERS`; the settings' `llm_provider`
choices and the CLI's `--llm-provider` choices come from `provider_choices`.
"""

from __future__ import annotations

from . import llm_anthropic, llm_openai
from .llm_types import Provider

NO_PROVIDER = "none"  # the offline planner, no LLM
PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    llm_anthropic.PROVIDER,
    llm_openai.PROVIDER,
)}


def provider_choices() -> tuple[str, ...]:
    """LLM_PROVIDER's valid values: "none" and every registered provider."""
    return (NO_PROVIDER, *PROVIDERS)


def provider_named(name: str) -> Provider | None:
    """The provider for an `llm_provider` setting; None for "none"."""
    return PROVIDERS.get(name)

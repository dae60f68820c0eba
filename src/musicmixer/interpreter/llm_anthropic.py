"""Anthropic Messages API client (step 4): a forced `create_remix_plan` tool
call through the official SDK, the static system block cached, the SDK's own
retries off so `llm.request_plan` owns the single retry.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config validates provider names against the registry
    from musicmixer.config import Settings

from .llm_types import LLMError, LLMReply, Provider, RetryableLLMError, cost_usd, parse_retry_after

MAX_TOKENS = 4096


def call_anthropic(system: str, messages: list[dict], tool: dict, settings: Settings) -> LLMReply:
    import anthropic  # imported here: the offline path never pays for it

    client = anthropic.Anthropic(
        api_key=settings.llm_api_key,
        base_url=settings.llm_base_url or None,
        timeout=settings.llm_timeout_s,
        max_retries=0,
    )
    try:
        # plain dicts where the SDK declares TypedDicts: no overload matches them
        response = client.messages.create(  # type: ignore[call-overload]
            model=settings.llm_model,
            max_tokens=MAX_TOKENS,
            system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            tools=[tool],
            tool_choice={"type": "tool", "name": tool["name"]},
            messages=messages,
        )
    except anthropic.APITimeoutError as exc:
        raise LLMError(f"Anthropic API timed out after {settings.llm_timeout_s} s") from exc
    except anthropic.APIStatusError as exc:
        message = f"Anthropic API returned {exc.status_code}"
        if exc.status_code == 429 or exc.status_code >= 500:
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            raise RetryableLLMError(message, exc.status_code, retry_after) from exc
        raise LLMError(message) from exc
    except anthropic.APIError as exc:  # connection errors, undecodable bodies
        raise LLMError(f"Anthropic API call failed: {exc}") from exc
    finally:
        client.close()

    block = next((b for b in response.content
                  if getattr(b, "type", None) == "tool_use" and getattr(b, "name", None) == tool["name"]),
                 None)
    if block is None:
        raise LLMError("Anthropic response has no create_remix_plan tool call")
    return LLMReply(plan=block.input, provider="anthropic", model=settings.llm_model,
                    usage=_usage(response.usage, settings.llm_model))


def _usage(usage, model: str) -> dict[str, float]:
    if usage is None:
        return {}
    counts = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
        "cache_read_input_tokens": getattr(usage, "cache_read_input_tokens", None) or 0,
        "cache_creation_input_tokens": getattr(usage, "cache_creation_input_tokens", None) or 0,
    }
    counts["cost_usd"] = cost_usd(model, counts["input_tokens"], counts["output_tokens"],
                                  counts["cache_read_input_tokens"],
                                  counts["cache_creation_input_tokens"])
    return counts


PROVIDER = Provider("anthropic", call_anthropic, configured=lambda settings: bool(settings.llm_api_key))

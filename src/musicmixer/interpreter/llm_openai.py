"""OpenAI-compatible chat client (step 4) for Ollama, vLLM, llama.cpp server
and the like: one POST to `{llm_base_url}/chat/completions` with the plan
tool forced. httpx2 is the HTTP client the Anthropic SDK already brings.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config validates provider names against the registry
    from musicmixer.config import Settings

from .llm_types import LLMError, LLMReply, Provider, RetryableLLMError, cost_usd, parse_retry_after


def call_openai(system: str, messages: list[dict], tool: dict, settings: Settings) -> LLMReply:
    import httpx2  # imported here: the offline path never pays for it

    body = {
        "model": settings.llm_model,
        "messages": [{"role": "system", "content": system}] + to_openai_messages(messages),
        "tools": [{"type": "function", "function": {
            "name": tool["name"], "description": tool["description"],
            "parameters": tool["input_schema"]}}],
        "tool_choice": {"type": "function", "function": {"name": tool["name"]}},
        "temperature": 0.2,
    }
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    assert settings.llm_base_url, "the provider is configured only with a base URL"
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    try:
        response = httpx2.post(url, json=body, headers=headers, timeout=settings.llm_timeout_s)
    except httpx2.TimeoutException as exc:
        raise LLMError(f"LLM endpoint timed out after {settings.llm_timeout_s} s") from exc
    except httpx2.HTTPError as exc:
        raise LLMError(f"LLM endpoint unreachable: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableLLMError(f"LLM endpoint returned {response.status_code}",
                                response.status_code,
                                parse_retry_after(response.headers.get("retry-after")))
    if response.status_code >= 400:
        raise LLMError(f"LLM endpoint returned {response.status_code}: {response.text[:200]}")
    try:
        data = response.json()
        message = data["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError("LLM endpoint returned an unreadable chat completion") from exc
    plan = _tool_arguments(message, tool["name"])
    usage = data.get("usage") or {}
    counts = {"input_tokens": usage.get("prompt_tokens") or 0,
              "output_tokens": usage.get("completion_tokens") or 0}
    counts["cost_usd"] = cost_usd(settings.llm_model, counts["input_tokens"], counts["output_tokens"])
    return LLMReply(plan=plan, provider="openai", model=settings.llm_model, usage=counts)


def _tool_arguments(message: dict, name: str):
    """The tool call's arguments; some local servers put the JSON in `content`."""
    calls = [c for c in (message.get("tool_calls") or []) if isinstance(c, dict)]
    call = next((c for c in calls if (c.get("function") or {}).get("name") == name), None)
    if call is not None:
        arguments = call["function"].get("arguments")
        if isinstance(arguments, dict):
            return arguments
        try:
            return json.loads(arguments)
        except (TypeError, ValueError) as exc:
            raise LLMError("the tool call's arguments are not valid JSON") from exc
    content = message.get("content") or ""
    match = re.search(r"\{.*\}", content, re.DOTALL) if isinstance(content, str) else None
    if match:
        try:
            return json.loads(match.group())
        except ValueError:
            pass
    raise LLMError("LLM reply has no create_remix_plan tool call")


def to_openai_messages(messages: list[dict]) -> list[dict]:
    """Anthropic-shaped few-shot + user messages -> chat-completions messages."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            out.append({"role": m["role"], "content": content})
            continue
        for block in content:
            kind = block.get("type")
            if kind == "tool_use":
                out.append({"role": "assistant", "content": None, "tool_calls": [{
                    "id": block["id"], "type": "function",
                    "function": {"name": block["name"], "arguments": json.dumps(block["input"])}}]})
            elif kind == "tool_result":
                out.append({"role": "tool", "tool_call_id": block["tool_use_id"],
                            "content": str(block.get("content", ""))})
            elif kind == "text":
                out.append({"role": m["role"], "content": block["text"]})
    return out


PROVIDER = Provider("openai", call_openai, configured=lambda settings: bool(settings.llm_base_url))

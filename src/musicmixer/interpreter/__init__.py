"""Step 4: turn two analysed songs and a sentence into a validated `RemixPlan`.

`interpret` asks the configured LLM (forced `create_remix_plan` tool call,
schema per stem mode) and validates what comes back; with no LLM configured,
or on any LLM failure, the offline planner reads the prompt instead.
"""

from __future__ import annotations

import logging

from ..config import Settings
from .few_shot import _build_few_shot_messages
from .llm import LLMError, llm_configured, request_plan
from .offline_planner import plan_offline
from .plan import PlanSection, RemixPlan, TimeRange
from .prompts import _build_system_prompt, build_user_message
from .schema import tool_schema_for
from .validate import _validate_remix_plan

logger = logging.getLogger(__name__)

__all__ = ["PlanSection", "RemixPlan", "TimeRange", "interpret", "build_llm_request"]


def build_llm_request(analysis_a, analysis_b, prompt: str | None,
                      settings: Settings) -> tuple[str, list[dict], dict]:
    """(system prompt, messages, tool) for the configured stem mode. The
    request rides in the same user turn as the last example's tool_result,
    so the roles alternate as the Messages API expects."""
    messages = _build_few_shot_messages(settings)
    request = {"type": "text", "text": build_user_message(analysis_a, analysis_b, prompt, settings)}
    if messages and messages[-1]["role"] == "user" and isinstance(messages[-1]["content"], list):
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + [request]}
    else:
        messages.append({"role": "user", "content": [request]})
    return _build_system_prompt(settings), messages, tool_schema_for(settings)


def interpret(analysis_a, analysis_b, prompt: str | None, *, settings: Settings) -> RemixPlan:
    """The plan for a remix; never raises on LLM trouble (it falls back)."""
    if not llm_configured(settings):
        return plan_offline(analysis_a, analysis_b, prompt, settings)
    system, messages, tool = build_llm_request(analysis_a, analysis_b, prompt, settings)
    try:
        reply = request_plan(system, messages, tool, settings)
    except LLMError as exc:
        logger.warning("LLM planning failed (%s); using the offline planner", exc)
        return plan_offline(analysis_a, analysis_b, prompt, settings,
                            reason=f"The LLM could not be used ({exc}); the offline planner made this plan.")
    plan = _validate_remix_plan(reply.plan, settings, analysis_a, analysis_b, prompt=prompt or "",
                                planner=f"{reply.provider}:{reply.model}")
    if plan.planner != "offline":
        plan.llm_usage = dict(reply.usage, attempts=reply.attempts)
    return plan

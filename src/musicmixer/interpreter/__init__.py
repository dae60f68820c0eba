"""Step 4: turn two analysed songs and a sentence into a validated `RemixPlan`.

`interpret` asks the configured LLM (forced `create_remix_plan` tool call,
schema per stem mode) and repairs what comes back. The fallback policy lives
here and only here: with no LLM configured, on any LLM failure, or when the
LLM's plan cannot be repaired, the offline planner reads the prompt instead.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import logging

from musicmixer.config import Settings
from musicmixer.stems import stem_mode_for_settings

from .few_shot import few_shot_messages
from .llm import LLMError, llm_configured, request_plan
from .offline_planner import plan_offline
from .plan import PlanSection, RemixPlan, TimeRange
from .prompts import build_user_message, system_prompt
from .schema import tool_schema
from .validate import repair_plan

logger = logging.getLogger(__name__)

__all__ = ["PlanSection", "RemixPlan", "TimeRange", "interpret", "build_llm_request",
           "plan_from_llm_output"]


def build_llm_request(analysis_a, analysis_b, prompt: str | None, settings: Settings) -> tuple[str, list[dict], dict]:
    """(system prompt, messages, tool) for the configured stem mode. The
    request rides in the same user turn as the last example's tool_result,
    so the roles alternate as the Messages API expects."""
    mode = stem_mode_for_settings(settings)
    messages = few_shot_messages(mode)
    request = {"type": "text", "text": build_user_message(analysis_a, analysis_b, prompt, mode)}
    if messages and messages[-1]["role"] == "user" and isinstance(messages[-1]["content"], list):
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + [request]}
    else:
        messages.append({"role": "user", "content": [request]})
    return system_prompt(mode), messages, tool_schema(mode)


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
    plan = plan_from_llm_output(reply.plan, analysis_a, analysis_b, prompt or "", settings,
                                planner=f"{reply.provider}:{reply.model}")
    if plan.planner != "offline":
        plan.llm_usage = dict(reply.usage, attempts=reply.attempts)
    return plan


def plan_from_llm_output(raw, analysis_a, analysis_b, prompt: str, settings: Settings, *,
                         planner: str = "llm") -> RemixPlan:
    """The LLM's plan repaired for the configured stem mode, or the offline
    planner's when it cannot be repaired. Never raises on `raw`."""
    try:
        return repair_plan(raw, stem_mode_for_settings(settings), analysis_a, analysis_b,
                           planner=planner)
    except Exception as exc:
        logger.warning("LLM plan could not be repaired (%s); using the offline planner", exc)
        return plan_offline(
            analysis_a, analysis_b, prompt, settings,
            reason=f"The LLM's plan could not be used ({_short(exc)}); the offline planner made this one.",
        )


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__

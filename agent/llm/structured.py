"""Tool calling that works even with a 135M-parameter model.

Why: a small model asked with ``tool_choice="auto"`` almost never emits a tool call
(measured 0/5 with SmolLM2-135M), while ``tool_choice="required"`` makes vLLM constrain
decoding to the tools' JSON schemas (5/5 well-formed). So small models run in "required"
mode, where a final ``respond`` tool is always offered so "answer the user" is itself a
valid action; capable models run in "auto" mode. :func:`structured_call` gets one JSON
object matching a schema through the shared structured-output call
(``tools.explain.explainer.structured_json_call``) and validates it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from agent.settings import Settings
from tools.errors import WhyRecError

ToolMode = Literal["auto", "required"]

#: Below this many parameters (billions) a model only calls tools reliably when forced.
SMALL_MODEL_PARAMS_B = 3.0
RESPOND_TOOL_NAME = "respond"
RESPOND_MAX_CHARS = 600
RESPOND_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": RESPOND_TOOL_NAME,
        "description": "Send the final reply to the user. Call this once you have what you need "
        "(e.g. after searching), or right away for greetings and questions you can answer.",
        "parameters": {
            "type": "object",
            # maxLength: under guided decoding a small model must close the string instead of
            # rambling until max_tokens cuts the call off (an invalid call).
            "properties": {"message": {"type": "string", "maxLength": RESPOND_MAX_CHARS,
                                       "description": "The reply shown to the user."}},
            "required": ["message"],
            "additionalProperties": False,
        },
    },
}


class LLMOutputError(WhyRecError, ValueError):
    """The model's reply did not match the requested schema (even after a retry)."""


_SIZE_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([mb])(?![a-z])", re.IGNORECASE)


def params_billions(model_info: dict | None) -> float | None:
    """Parameter count in billions, from our prep stamp or the model's name; None if unknown.

    ``model_info`` is a /v1/models entry (``id``, ``root``) or ``{"n_params": int}``.
    """
    if not model_info:
        return None
    if model_info.get("n_params"):
        return float(model_info["n_params"]) / 1e9
    root = model_info.get("root")
    if root:
        stamp = Path(str(root)) / "whyrec_model_prep.json"
        try:
            return float(json.loads(stamp.read_text())["n_params"]) / 1e9
        except (OSError, ValueError, KeyError, TypeError):
            pass
    for text in (model_info.get("id"), root):
        if not text:
            continue
        matches = _SIZE_RE.findall(Path(str(text)).name)
        if matches:
            value, unit = matches[-1]
            return float(value) / (1000.0 if unit.lower() == "m" else 1.0)
    return None


def resolve_tool_mode(settings: Settings, model_info: dict | None = None) -> ToolMode:
    """``settings.llm_tool_mode`` if set, else "required" for models under ~3B params (or unknown)."""
    if settings.llm_tool_mode:
        return settings.llm_tool_mode
    size = params_billions(model_info or {"id": settings.llm_model})
    if size is None or size < SMALL_MODEL_PARAMS_B:
        return "required"
    return "auto"


def bind_agent_tools(
    chat_model: BaseChatModel, tools: Sequence[Any], *, mode: ToolMode, include_respond: bool = True,
    single_call: bool | None = None,
) -> Runnable:
    """Bind ``tools`` (LangChain tools, pydantic models or OpenAI dicts) with strict schemas.

    "required": the model must call a tool each step; ``respond`` ends the turn.
    "auto": the model may answer in plain text; ``respond`` is still offered for uniformity.
    ``single_call`` (default: on in "required" mode): send ``parallel_tool_calls=false``, which makes vLLM's "required" grammar an
    array of at most one call: the model's reply ends after its first call instead of decoding
    more calls nobody executes (every token is ~25 ms on the CPU server). It also asks our chat
    template (``chat_template_kwargs``) to show earlier calls in that grammar's exact form, so
    few-shot examples teach the bytes the model must write (see the template's header; other
    templates ignore the variable).
    """
    if mode not in ("auto", "required"):
        raise ValueError(f"tool mode must be 'auto' or 'required', got {mode!r}")
    names = [_tool_name(t) for t in tools]
    bound = list(tools)
    if include_respond and RESPOND_TOOL_NAME not in names:
        bound.append(RESPOND_TOOL)
    if not bound:
        raise ValueError("bind_agent_tools needs at least one tool (or include_respond=True)")
    if single_call is None:
        # a small model forced to call tools, with no limit on the array, measured: it kept appending
        # calls until max_tokens cut the reply off (no call at all)
        single_call = mode == "required"
    extra: dict[str, Any] = {}
    if single_call:
        extra = {"parallel_tool_calls": False,
                 "extra_body": {"chat_template_kwargs": {"tool_call_format": "json_array"}}}
    return chat_model.bind_tools([strict_tool(t) for t in bound], tool_choice=mode, strict=True, **extra)


def strict_tool(tool: Any) -> dict:
    """OpenAI tool dict with ``"strict": true`` (LangChain passes ready-made dicts through unmarked)."""
    import copy

    from langchain_core.utils.function_calling import convert_to_openai_tool

    formatted = copy.deepcopy(convert_to_openai_tool(tool, strict=True))
    formatted["function"]["strict"] = True
    params = formatted["function"].setdefault("parameters", {"type": "object", "properties": {}})
    if params.get("type") == "object":
        params.setdefault("additionalProperties", False)
    bound_free_strings(params)
    return formatted


#: grammar-level cap on free-text tool arguments: xgrammar in this vLLM build fails the request
#: (HTTP 500) for a bounded repetition over ~128; 120 characters is a long query or title
MAX_STRING_CHARS = 120


def bound_free_strings(schema: Any) -> None:
    """Give every free-text string a length-bounded single-line ``pattern`` (in place).

    Why: this vLLM build's xgrammar backend ignores ``maxLength`` but enforces a pattern's
    bounded repetition; without it a 135M model at temperature 0 can repeat a fragment inside
    a string ("to_me_to_me_...") until max_tokens cuts the call off and no call comes back.
    The grammar cap is at most ``MAX_STRING_CHARS`` (our own validation still applies the
    schema's maxLength). Strings with an enum, a const, a format or a pattern are left alone.
    """
    if isinstance(schema, dict):
        if schema.get("type") == "string" and not ({"enum", "const", "pattern", "format"} & schema.keys()):
            lo = int(schema.get("minLength", 0))
            hi = min(int(schema.get("maxLength", MAX_STRING_CHARS)), MAX_STRING_CHARS)
            schema["pattern"] = f"^[^\\n\\r]{{{lo},{max(lo, hi)}}}$"
            # xgrammar rejects a pattern next to length keywords (HTTP 400); the pattern says both
            schema.pop("minLength", None)
            schema.pop("maxLength", None)
        for value in schema.values():
            bound_free_strings(value)
    elif isinstance(schema, list):
        for value in schema:
            bound_free_strings(value)


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        return tool.get("function", tool).get("name", "")
    return getattr(tool, "name", None) or getattr(tool, "__name__", "")


def tool_parameters(tool: Any) -> dict:
    """The JSON schema of a tool's arguments (for :func:`validate_tool_call`)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(tool)["function"].get("parameters", {"type": "object", "properties": {}})


def validate_json(value: Any, schema: dict | type) -> Any:
    """Validate ``value`` against a JSON schema dict or a pydantic model class; returns it (or the model dump)."""
    if isinstance(schema, type):
        from pydantic import BaseModel, ValidationError

        if issubclass(schema, BaseModel):
            try:
                return schema.model_validate(value).model_dump()
            except ValidationError as exc:
                raise LLMOutputError(f"reply does not match {schema.__name__}: {exc}") from exc
        raise ValueError(f"schema must be a JSON schema dict or a pydantic model, got {schema!r}")
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise LLMOutputError(f"reply does not match the schema: {exc.message}") from exc
    return value


def structured_call(
    chat_model: BaseChatModel,
    messages: Sequence[Any],
    schema: dict | type,
    *,
    name: str = "reply",
    retries: int = 1,
) -> dict:
    """One JSON object matching ``schema`` (a JSON-schema dict or a pydantic model), validated.

    The request itself is the one structured-output call of the code base,
    ``tools.explain.explainer.structured_json_call`` (vLLM ``response_format=json_schema``, guided
    decoding); this adds the schema check and retries. Guided decoding makes the output
    well-formed, but it can still be cut off by ``max_tokens``, so an invalid reply is retried
    ``retries`` times before :class:`LLMOutputError`. Connection failures surface as
    ``LLMUnavailableError`` (from the chat model).
    """
    from tools.explain.explainer import StructuredOutputError, structured_json_call

    json_schema = schema.model_json_schema() if isinstance(schema, type) else schema  # type: ignore[attr-defined]
    last_error: Exception | None = None
    for _ in range(retries + 1):
        try:
            value, _raw = structured_json_call(chat_model, list(messages), json_schema, name)
            return validate_json(value, schema)
        except (StructuredOutputError, LLMOutputError) as exc:  # cut off, not JSON, or the wrong shape
            last_error = exc
    raise LLMOutputError(
        f"the model did not return valid JSON for schema {name!r} after {retries + 1} tries: {last_error}; "
        "raise WHYREC_LLM_MAX_TOKENS or simplify the schema"
    )


def validate_tool_call(call: dict, tools_by_name: dict[str, dict]) -> str | None:
    """Why a tool call (LangChain ``{"name", "args"}``) is invalid, or None when it is valid."""
    name = call.get("name")
    if name not in tools_by_name:
        return f"unknown tool {name!r}"
    args = call.get("args")
    if not isinstance(args, dict):
        return "arguments are not a JSON object"
    try:
        validate_json(args, tools_by_name[name])
    except LLMOutputError as exc:
        return str(exc)
    return None

"""The Chat tab: end users talk to the agent, see cards with checked explanations, give feedback.

Why the split between ``ChatHandlers`` (plain Python) and ``build_chat_tab`` (Gradio
layout): everything a user can trigger -- a streamed turn, a 👍, a new session -- is a
method that tests call directly with a fake agent; the layout only wires components to
those methods.

Sessions: the id comes from ``agent.new_session()`` on the first message and lives in a
``gr.State``. Gradio keeps State values on the server, so the browser never sees the id
and one browser session can only ever read and give feedback on its own turns (the
store additionally checks that a rec_id belongs to the session that sends feedback).
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from agent.types import FEEDBACK_KINDS, ChatAgent
from tools.errors import (
    AccessDeniedError,
    InputError,
    LLMUnavailableError,
    NotFoundError,
    RateLimitedError,
)
from ui.app_style import banner_html, card_html

log = logging.getLogger("whyrec.ui")

EXAMPLE_PROMPTS = [
    "I loved Toy Story and Up, what should I watch next?",
    "Something scary from the 80s",
    "A feel-good comedy for a family movie night",
    "I liked The Matrix but not Inception. Any sci-fi for me?",
    "Why did you recommend that?",
]

DEFAULT_DEGRADED = (
    "WhyRec is in limited mode: the language model is not reachable, so replies are shorter "
    "and explanations come from templates. Recommendations still come from our models."
)

FEEDBACK_LABELS = {
    "like": "👍 Thanks, we'll show you more like this.",
    "dislike": "👎 Got it, we'll show you less like this.",
    "watched": "👁 Noted as watched; we won't suggest it again.",
    "accept": "✓ Great choice, noted.",
}

#: Chat outputs, in order: history, cards, banner, textbox value, session id.
ChatOutputs = tuple[list[dict[str, Any]], list[dict[str, Any]], str, str, str | None]


def friendly_error(exc: BaseException) -> str:
    """One line a user can act on; never a traceback. Unexpected errors get a reference code
    that is also logged with the traceback, so support can find it."""
    if isinstance(exc, RateLimitedError | InputError | AccessDeniedError):
        return f"⚠️ {exc}"
    if isinstance(exc, NotFoundError):
        return "⚠️ This chat session is no longer available. Press “New chat” to start again."
    if isinstance(exc, LLMUnavailableError):
        return "⚠️ The assistant is not reachable right now. Please try again in a moment."
    ref = secrets.token_hex(4)
    log.error("chat error ref=%s: %s", ref, exc, exc_info=exc)
    return (
        "⚠️ Sorry, something went wrong on our side and this reply could not be finished. "
        f"Please try again; if it keeps happening, tell support the reference {ref}."
    )


def _args_text(arguments: Any) -> str:
    try:
        text = json.dumps(arguments, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(arguments)
    return text if len(text) <= 600 else text[:600] + "…"


class _TurnView:
    """The chat history and cards of one turn as the events of ``stream_turn`` arrive."""

    def __init__(self, history: list[dict[str, Any]], cards: list[dict[str, Any]], banner: str) -> None:
        self.history = history
        self.cards = cards
        self.banner = banner
        self.reply_idx: int | None = None
        self.tool_msgs: list[int] = []
        self.new_cards = False

    def tool_start(self, data: dict[str, Any]) -> None:
        tool = str(data.get("tool", "tool"))
        self.tool_msgs.append(len(self.history))
        self.history.append({
            "role": "assistant",
            "content": f"Arguments: `{_args_text(data.get('arguments', {}))}`",
            "metadata": {"title": f"🔧 {tool}", "status": "pending", "id": f"tool-{len(self.history)}"},
        })

    def tool_end(self, data: dict[str, Any]) -> None:
        tool = str(data.get("tool", "tool"))
        pending = [i for i in self.tool_msgs
                   if self.history[i]["metadata"].get("status") == "pending"
                   and self.history[i]["metadata"]["title"].endswith(f" {tool}")]
        if pending:
            idx = pending[0]
        else:  # a tool_end without a tool_start (e.g. only the final trace was sent)
            self.tool_start(data)
            idx = self.tool_msgs[-1]
        ok = bool(data.get("ok", True))
        lines = [f"Arguments: `{_args_text(data.get('arguments', {}))}`"]
        if data.get("result_summary"):
            lines.append(f"Result: {data['result_summary']}")
        if not ok and data.get("error"):
            lines.append(f"Error: {data['error']}")
        meta = self.history[idx]["metadata"]
        meta.update(status="done", duration=round(float(data.get("duration_ms", 0.0)) / 1000.0, 3))
        meta["title"] = f"🔧 {tool}" if ok else f"❌ {tool} (failed)"
        self.history[idx]["content"] = "\n\n".join(lines)

    def text(self, chunk: str) -> None:
        if self.reply_idx is None:
            self.reply_idx = len(self.history)
            self.history.append({"role": "assistant", "content": ""})
        self.history[self.reply_idx]["content"] += chunk

    def recommendation(self, card: dict[str, Any]) -> None:
        if not self.new_cards:
            self.cards, self.new_cards = [], True
        self.cards = [c for c in self.cards if c.get("rec_id") != card.get("rec_id")] + [dict(card)]
        self.cards.sort(key=lambda c: (c.get("rank") is None, c.get("rank") or 0))

    def explanation(self, data: dict[str, Any]) -> None:
        fields = ("explanation", "explanation_path", "check_passed", "evidence_lines")
        self.cards = [
            {**c, **{k: data[k] for k in fields if k in data}} if c.get("rec_id") == data.get("rec_id") else c
            for c in self.cards
        ]

    def status(self, data: dict[str, Any]) -> None:
        self.banner = banner_html(str(data.get("message") or DEFAULT_DEGRADED)) if data.get("degraded") else ""

    def final(self, result: dict[str, Any]) -> None:
        if not self.tool_msgs:
            for rec in result.get("tool_trace") or ():
                self.tool_end(dict(rec))
        if self.reply_idx is None and result.get("reply"):
            self.text(str(result["reply"]))
        recs = list(result.get("recommendations") or ())
        if recs:  # the final result is authoritative (it has every explanation)
            self.new_cards = False
            for card in recs:
                self.recommendation(dict(card))
        if result.get("degraded") and not self.banner:
            self.status({"degraded": True, "message": DEFAULT_DEGRADED})

    def close_pending(self) -> None:
        for i in self.tool_msgs:
            if self.history[i]["metadata"].get("status") == "pending":
                self.history[i]["metadata"]["status"] = "done"


class ChatHandlers:
    """Everything the Chat tab does, as plain methods over an injected ``ChatAgent``."""

    def __init__(self, agent: ChatAgent, max_message_chars: int) -> None:
        self.agent = agent
        self.max_message_chars = int(max_message_chars)

    def submit(
        self,
        message: str | None,
        history: list[dict[str, Any]] | None,
        cards: list[dict[str, Any]] | None,
        session_id: str | None,
    ) -> Iterator[ChatOutputs]:
        """Stream one turn: yields (history, cards, banner, textbox value, session id) snapshots."""
        history = list(history or [])
        cards = list(cards or [])
        text = (message or "").strip()
        if not text:
            yield history, cards, "", "", session_id
            return
        if len(text) > self.max_message_chars:
            history.append({
                "role": "assistant",
                "content": (
                    f"⚠️ Your message is {len(text):,} characters long; the limit is "
                    f"{self.max_message_chars:,}. Please shorten it and send it again."
                ),
            })
            yield history, cards, "", message or "", session_id
            return
        view = _TurnView(history, cards, "")
        view.history.append({"role": "user", "content": text})
        yield self._snapshot(view, session_id)
        try:
            if session_id is None:
                session_id = self.agent.new_session()
            for event in self.agent.stream_turn(session_id, text):
                handler: Callable[[dict[str, Any]], None] | None = {
                    "tool_start": view.tool_start,
                    "tool_end": view.tool_end,
                    "text_delta": lambda d: view.text(str(d.get("text", ""))),
                    "recommendation": view.recommendation,
                    "explanation": view.explanation,
                    "status": view.status,
                    "final": view.final,
                }.get(event.kind)
                if handler is None:
                    log.debug("ignoring unknown event kind %r", event.kind)
                    continue
                handler(dict(event.data))
                yield self._snapshot(view, session_id)
        except Exception as exc:  # the user sees one friendly line, the log has the details
            view.close_pending()
            view.history.append({"role": "assistant", "content": friendly_error(exc)})
        view.close_pending()
        yield self._snapshot(view, session_id)

    @staticmethod
    def _snapshot(view: _TurnView, session_id: str | None) -> ChatOutputs:
        # copies: Gradio diffs successive outputs, and tests inspect intermediate states
        return copy.deepcopy(view.history), copy.deepcopy(view.cards), view.banner, "", session_id

    def feedback(self, session_id: str | None, rec_id: str, kind: str) -> str:
        """Record 👍/👎/watched for a card of this session; returns the line shown under the card."""
        if kind not in FEEDBACK_KINDS:
            return f"⚠️ Unknown feedback {kind!r}."
        if not session_id:
            return "⚠️ This card belongs to an earlier chat; start a new request to give feedback."
        try:
            self.agent.record_feedback(session_id, rec_id, kind)  # type: ignore[arg-type]
        except Exception as exc:
            return friendly_error(exc)
        return FEEDBACK_LABELS[kind]

    @staticmethod
    def new_chat() -> ChatOutputs:
        """Clear the screen; the next message starts a fresh session."""
        return [], [], "", "", None


def build_chat_tab(gr: Any, handlers: ChatHandlers) -> None:
    """Lay out the Chat tab inside the current ``gr.Tab`` context."""
    session_state = gr.State(None)
    history_state = gr.State([])
    cards_state = gr.State([])
    banner = gr.HTML("", elem_id="wr-banner")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chatbot = gr.Chatbot(
                value=[],
                label="WhyRec",
                height=540,
                elem_id="wr-chatbot",
                feedback_options=None,
                buttons=["copy", "copy_all"],
                placeholder="**Tell me what you like** (or dislike), and I'll suggest movies and say why.",
            )
            msg = gr.Textbox(
                placeholder="e.g. I loved Toy Story and Up, what should I watch next?",
                show_label=False,
                lines=1,
                max_lines=5,
                submit_btn="Send",
                elem_id="wr-input",
                autofocus=True,
            )
            gr.Examples(examples=[[p] for p in EXAMPLE_PROMPTS], inputs=[msg], label="Try asking")
            new_btn = gr.Button("🆕 New chat", variant="secondary", size="sm", elem_id="wr-new-chat")
        with gr.Column(scale=2, min_width=320, elem_id="wr-cards"):

            @gr.render(inputs=[cards_state], triggers=[cards_state.change])
            def _cards(cards: list[dict[str, Any]]) -> None:
                if not cards:
                    gr.Markdown("*Recommendations appear here, each with the reason it was chosen.*")
                    return
                gr.HTML('<div class="wr-cards-title">Recommendations</div>')
                for card in cards:
                    _card_block(gr, handlers, card, session_state)

    # the cards again, as data, for API clients (gradio_client) -- State values are not returned
    cards_json = gr.JSON(value=[], visible=False, label="recommendations")

    def chat(message: str, history: list, cards: list, session_id: str | None) -> Iterator[tuple]:
        """Send one message; streams the chat (history with tool-trace messages) and the cards."""
        for hist, new_cards, banner_value, box, sid in handlers.submit(message, history, cards, session_id):
            yield hist, hist, new_cards, new_cards, banner_value, box, sid

    def new_chat() -> tuple:
        hist, new_cards, banner_value, box, sid = handlers.new_chat()
        return hist, hist, new_cards, new_cards, banner_value, box, sid

    outputs = [chatbot, history_state, cards_state, cards_json, banner, msg, session_state]
    msg.submit(chat, inputs=[msg, history_state, cards_state, session_state], outputs=outputs,
               api_name="chat", concurrency_limit=8)
    new_btn.click(new_chat, outputs=outputs, api_visibility="private")
    chatbot.clear(new_chat, outputs=outputs, api_visibility="private")  # the chat's trash icon = new chat


def _card_block(gr: Any, handlers: ChatHandlers, card: dict[str, Any], session_state: Any) -> None:
    rec_id = str(card.get("rec_id", ""))
    with gr.Group(elem_classes="wr-card-group"):
        gr.HTML(card_html(card), elem_classes="wr-card-html")
        with gr.Row(elem_classes="wr-card-actions"):
            buttons = [
                (gr.Button("👍", size="sm", min_width=40, elem_classes="wr-fb-like"), "like"),
                (gr.Button("👎", size="sm", min_width=40, elem_classes="wr-fb-dislike"), "dislike"),
                (gr.Button("👁 Watched it", size="sm", min_width=90, elem_classes="wr-fb-watched"), "watched"),
            ]
        status = gr.Markdown("", elem_classes="wr-fb-status")
    for button, kind in buttons:
        button.click(_feedback_fn(handlers, rec_id, kind), inputs=[session_state], outputs=[status],
                     api_visibility="private")


def _feedback_fn(handlers: ChatHandlers, rec_id: str, kind: str) -> Callable[[str | None], str]:
    def on_feedback(session_id: str | None) -> str:
        return handlers.feedback(session_id, rec_id, kind)

    return on_feedback

"""Films named by their place on the last slate: "more like the second one", "I loved the first one".

Why: after a slate, a movie lover points at a card rather than typing its title ("the third one
looks great", "not the last one, seen it"); before this, "more like the second one" read as
chit-chat and "I liked the first one" changed nothing. The place resolves to the card's film
through the slate the user was shown (``last_slate``, newest slate's titles in order), and the
film takes the polarity of its clause exactly as a typed title would (``polarity``: taste verbs,
negators, "more like"). A place without a verdict ("tell me about the first one") is no
preference; "why the second one?" is the why-question's business (``message_act.why_target_in``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.turn.polarity import polarity
from agent.turn.state_update import TitleRef
from tools.resolve.titles import TitleResolver

#: a card's place in words (also read by the why-question: agent/turn/message_act.py)
PLACES = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
          "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "tenth": 10}
CARD_REF = re.compile(r"\bthe (first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last) (one|film|movie|pick|"
                      r"suggestion)\b|(?:\bnumber |#|\bno\. ?|\boption |\bpick )([1-9])\b", re.I)


def place_rank(word: str | None, number: str | None, slate_size: int) -> int:
    """The 1-based place a matched word ("second", "last") or number ("#2") names; 0 when none."""
    word = (word or "").lower()
    return slate_size if word == "last" else PLACES.get(word) or int(number or 0)


def card_refs(text: str, masked: str, last_slate: Sequence[str], resolver: TitleResolver,
              clause_of: Callable[[int], tuple[int, int]]) -> list[tuple[str, TitleRef]]:
    """[(polarity, ref)] for every slate place the message gives a verdict on, in order."""
    if not last_slate:
        return []
    out: list[tuple[str, TitleRef]] = []
    for m in CARD_REF.finditer(text):
        rank = place_rank(m.group(1), m.group(3), len(last_slate))
        if not 1 <= rank <= len(last_slate):
            continue
        res = resolver.resolve(last_slate[rank - 1])
        if res.item is None:
            continue
        pol = polarity(masked, clause_of(m.start()), m.start(), m.end(), "mentioned")
        if pol in ("liked", "disliked", "seen", "more_like"):
            out.append((pol, TitleRef(res.item.item_id, m.group(0), res.item.title)))
    return out

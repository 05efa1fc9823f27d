"""Deterministic parser: one user message -> one :class:`StateUpdate`.

Why rules and not only the LLM: state tracking must work when the LLM is down and must not
hinge on a 135M model; the LLM filler (``understand_llm``) may add to this result but
every field it adds is validated. The rules are general, not per-phrase:

1. title spans come from the catalog index (``TitleResolver.scan``) but are accepted only
   when they look like titles: quoted, followed by a year, title-cased (not a lone
   everyday word opening a sentence), right after a strong cue ("loved X", "seen X",
   "something like X"), or -- in lower case -- in a title slot with evidence about the film
   (``title_slots``: "loved alien and the thing", "avatar was sooo boring"); so "get out
   tonight", "up for", "i like it" or "the thing is" are never titles; typos in a slot
   resolve when sure and become a "did you mean ...?" question when not;
2. the text is cut into clauses (sentence marks, but/though/however/except, and "and"/","
   when a new clause starts), and every title, genre and person takes the polarity of the
   nearest cue before it in its clause, flipped by a negator ("don't like", "haven't
   seen"), or a negator alone ("no horror", "not directed by"), or a verdict after it
   ("Avatar was boring"); "liked it" in the next clause carries back to the titles before;
3. the act comes from the whole message (why-questions, slate rejection, "instead",
   comparatives, greetings), with prompt-leak / other-data checks first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.turn.state_update import StateUpdate, TitleRef, UnresolvedTitle
from agent.turn.title_slots import (
    UNKNOWN_RUN,
    make_acceptor,
    near_misses,
    typo_plausible,
    unknown_titles,
    unresolved_title,
)
from agent.turn.title_slots import VERDICT_NEG as _VERDICT_NEG
from agent.turn.title_slots import VERDICT_POS as _VERDICT_POS
from tools.people_index import PeopleIndex
from tools.title_resolver import SpanMatch, TitleResolver, normalise

# -- lexicons ---------------------------------------------------------------------------------------
#: user words -> catalog genres (tools/movie_genres.CLEAN_GENRES); moods are separate (MOOD_WORDS).
GENRE_WORDS: dict[str, tuple[str, ...]] = {w: tuple(g.split("+")) for ws, g in (
    ("horror horrors slasher slashers zombie zombies scary scarier creepy spooky frightening terrifying", "horror"),
    ("comedy comedies funny funnier hilarious", "comedy"), ("romcom romcoms rom-com rom-coms", "romance+comedy"),
    ("romance romances romantic", "romance"), ("action action-packed", "action"),
    ("animated animation cartoon cartoons anime pixar", "animation"),
    ("sci-fi scifi sci_fi science_fiction", "science fiction"), ("thriller thrillers suspense suspenseful", "thriller"),
    ("documentary documentaries docs", "documentary"), ("superhero superheroes marvel", "superhero"),
    ("war", "war"), ("western westerns", "western"), ("musical musicals", "musical"), ("crime gangster heist", "crime"),
    ("mystery mysteries whodunit whodunnit detective", "mystery"), ("fantasy", "fantasy"),
    ("drama dramas", "drama"), ("adventure adventures", "adventure"), ("family", "family"),
    ("biopic biopics biography", "biography"), ("historical history", "history"), ("sports sport", "sports"),
    ("martial_arts kung_fu", "martial arts"), ("spy spies espionage", "spy"), ("disaster", "disaster"),
    ("teen", "teen"), ("christmas holiday", "holiday"),
) for w in ws.replace("_", " ").split(" ") if w} | {"science fiction": ("science fiction",), "sci fi": ("science fiction",),
                                                    "martial arts": ("martial arts",), "kung fu": ("martial arts",)}
MOOD_WORDS: dict[str, str] = {w: m for ws, m in (
    ("dark darker gritty bleak", "dark"), ("feel-good feelgood uplifting heartwarming cheerful happy", "feel-good"),
    ("funny funnier hilarious laugh", "funny"), ("scary scarier creepy spooky terrifying frightening", "scary"),
    ("mind-bending mindbending trippy twisty cerebral", "mind-bending"), ("sad sadder tearjerker depressing", "sad"),
    ("light lighter lighthearted light-hearted", "light"),
) for w in ws.split()} | {"feel good": "feel-good", "mind bending": "mind-bending", "light hearted": "light"}


def _words_re(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                      + r")(?![\w-])", re.I)


_GENRE_RE, _MOOD_RE = _words_re(list(GENRE_WORDS)), _words_re(list(MOOD_WORDS))
#: genre and mood words are never one-word titles ("horror", "funny")
_RESERVED = frozenset(GENRE_WORDS) | frozenset(MOOD_WORDS)
_ACCEPT_RX = (r"\b(i'?ll|i will|we'?ll|we will|going to|gonna|i might|i may|i think i'?ll) (definitely |probably |"
              r"have to )?(check out|check|watch|try|look (for|into|up)|add|see|give)\b")
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((k, re.compile(p, re.I)) for k, p in (
    ("ask", r"\b(have|did|ever|had) you (ever )?(seen|saw|watched|see|watch)\b|\bwhat about\b|\bhow about\b|"
            r"\bheard of\b|\b(is|was) (it|that|this) (like|similar to)\b|" + _ACCEPT_RX),
    ("like_anchor", r"(?<!['’])\b(?!(i|we|you|they|he|she|really|also|all|still|do|did|does|don'?t|didn'?t|doesn'?t|would|"
                    r"i'?d|we'?d|kinda|totally|both|just|definitely|honestly|truly|actually|not|to|will|and|so|but)\b)"
                    r"[a-z][a-z'-]* (like|similar to)(?= )|\bin the (vein|style) of\b|\bsimilar to\b|\balong the lines of\b"),
    ("pos", r"\b(lov(e|ed|es|ing)|lik(e|ed|es|ing)|enjoy(ed|s|ing)?|ador(e|ed|es)|favou?rites?|fave?|fan of|into|dig|"
            r"great|awesome|amazing|amazed|fantastic|brilliant|excellent|good|fun|masterpiece|best|prefer|laughed|sweet|"
            r"encant[oóa]|gust[oóa]|gustan|ador[ée]|aim[ée]|j'aime|liebe|mag|mochte)\b"),
    ("neg", r"\b(hat(e|ed|es|ing)|dislik(e|ed|es)|can'?t stand|cannot stand|sick of|tired of|boring|awful|terrible|"
            r"worst|overrated|avoid|skip|odi[oeé]|d[ée]teste|hasse)\b"),
    ("seen", r"\b(seen|saw|watched|rewatched|seeing him in|seeing her in|visto|vu)\b"),
    ("req", r"\b(want|wanted|looking for|in the mood for|recommend|suggest|show me|give me|find me|something|anything|"
            r"quiero|busco)\b"),
    ("negator", r"\b(not|no|never|don'?t|didn'?t|doesn'?t|haven'?t|hasn'?t|wasn'?t|isn'?t|won'?t|without|except|"
                r"other than|besides|nothing|none|neither|nor|no more|anything but|rather not)\b|n't\b"),
))
_CARRY = re.compile(r"\b(lov|lik|enjoy|hat|dislik)(e|ed|es)\s+(it|them|that( one)?|those|both|this( one)?)\b"
                    r"|\b(it|that|they|both|its|it's|that's)\s*(was|were|is|are)?\s+(so |really |pretty |very )?"
                    r"(great|good|awesome|amazing|terrible|awful|boring|bad)\b", re.I)

_CLAUSE_SPLIT = re.compile(
    r"[.!?;]+(?=\s|$)|\s(?=(but|though|although|however|except|whereas)\b)|"
    r"(,|\band\b|\bor\b)\s*(?=(i|i'm|i've|i'd|we|my|he|she|they|it|that|this|those|hated|loved|liked|disliked|"
    r"enjoyed|can'?t|don'?t|didn'?t|not|no|never|also|something|anything|maybe|please|nothing|without)\b)", re.I)
_ANYTHING_BUT = re.compile(r"\b(anything|everything|nothing|all)\s+but\b", re.I)

# -- acts ----------------------------------------------------------------------------------------------
_PROMPT_LEAK = re.compile(
    r"(system prompt|your (instructions|prompt|rules)|ignore (all |the |your |previous |prior )*(instructions|rules)|"
    r"developer mode|jailbreak|reveal .*prompt|print .*prompt|repeat .*(instructions|prompt)|"
    r"you are now|act as (an? )?(unrestricted|dan)|disregard .*instructions)", re.I)
_OTHER_DATA = re.compile(
    r"(other (users?|people|customers)'?s?|another user|someone else'?s|all users|every user|user id|"
    r"session id|sessions? of|their (history|data|chats?)|support password|admin password|password|"
    r"database|sql|drop table|delete (all|the) (data|rows|records)|write to the (store|database))", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
             "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "tenth": 10}
_ORDINAL_RE = re.compile(r"\b(" + "|".join(_ORDINALS) + r"|last)\b(?! (time|year|night|week))|(?:#|\bnumber |\bno\. ?|"
                         r"\boption |\bpick )(\d{1,2})\b", re.I)
_WHY = re.compile(r"\bwhy\b(?! not\b)|\bhow come\b|\bwhat made you\b|\breason (for|behind)\b|\bexplain\b", re.I)
_REJECT = re.compile(
    r"\b(none of (those|these|them|that)|not (these|those|them|that one|any of (those|these|them))|still no|"
    r"(seen|saw|watched) (them all|all of (those|these|them)|(all )?(those|these) (already|before))|"
    r"(don'?t|do not) (like|want) any( of (those|these|them))?|neither of (those|these|them)|"
    r"(something|anything|show me|give me) else|(any|some|got|give me|show me) other (options|suggestions|ones|movies)|"
    r"any others|different (ones|options)|"
    r"already (seen|watched|saw) (them|those|these|all)|no(,)? (thanks|thank you)|try again|"
    r"not (really )?feeling (any of )?(those|these|them|it)|(those|these) (don'?t|do not) (appeal|work|interest))\b", re.I)
_MORE = re.compile(r"^\W*(and |some |a few |show me |give me )?(more|others?|another( one)?)( please| of (those|these|them))?"
                   r"\W*$", re.I)
_BARE_NO = re.compile(r"^\W*(no+|nope|nah|not really)\W*$", re.I)
_REPLACE = re.compile(r"\binstead\b|^\s*actually\b[,. ]+(something|make it|let'?s|i('d| would)? (want|prefer|rather)|"
                      r"how about|what about|can we|give me|show me|i'?m in the mood)|\bscratch that\b|\bforget (that|it|those|the)\b|"
                      r"\bchange of plans?\b|\bnever ?mind\b|\bon second thought", re.I)
_REFINE = re.compile(r"\b(scarier|funnier|darker|lighter|sadder|shorter|longer|less|more like (that|this|it|those)|"
                     r"(older|newer|more recent)(?=\s*(ones?\b|please\b|stuff\b|than\b|[.,!?]|$))|"
                     r"(was|were|is|are|it'?s|that'?s) too \w+|too (much|many)\b|"
                     r"more (?!like\b|of\b|movies?\b|films?\b|suggestions?\b|options?\b|ideas?\b|than\b|and\b|about\b|time\b|"
                     r"recommendations?\b|info\b)\w+|"
                     r"even more|not as \w+|make it|same but)\b", re.I)
_CHIT = re.compile(
    r"^\W*(hi+|hello|hey|howdy|yo|good (morning|evening|afternoon|night)|thanks?|thank you|thx|bye|goodbye|"
    r"see you|ok(ay)?|cool|great|awesome|nice|perfect|sure|yes|yeah|yep|lol|haha\w*|"
    r"(i'?m|doing) (good|great|fine|well)|how are you|sounds (good|great|interesting|fun)|"
    r"i('ll| will) (check|look|watch|give)|that('s| is| sounds) (good|great|interesting|awesome|cool)|"
    r"(i )?(have|haven'?t|'ve|never) (not )?(seen|heard of|watched) (that|it|this|those|them))\b", re.I)
_CHIT_ANY = re.compile(
    r"\b((seen|heard of|heard|watched) (that|it|this|those|them|either|both)|(it|that|this) (looks|sounds|seems) \w+|"
    r"(is it|are they|was it) (any )?good|what('s| is) (it|that) about|who('s| is) in (it|that)|"
    r"^\W*(it|that|this)('s| is| was) (a |really |so |very )*(good|great|nice|fun|awesome|cool|funny)\b|"
    r"^\W*(i|we) (really )?(loved|liked|enjoyed|hated|love|like) (it|that|that one|them|those)\W*$)", re.I)
_DESCRIBES = re.compile(r"\b(that movie|this movie|that one|it'?s|that'?s|(?:it|that|this|they)(?=\s*(?:was|is|were|are)\b))"
                        r"\s*(was|is|were|are)?\s+"
                        r"((so|really|very|pretty|also|still|just|a|an|good|and)\s+)*(\w+)", re.I)
_OPEN = re.compile(r"\b(open to|up for|down for) (anything|any|whatever|suggestions?|ideas?)\b", re.I)
_MOVIE_WORDS = re.compile(
    r"\b(movies?|films?|flicks?|watch|watched|recommend\w*|suggest\w*|show me|something|seen|cinema|genre|"
    r"actors?|actress|director|starring|directed|liked|loved|another|older|newer|recent|classic|anything|give me|"
    r"pel[ií]culas?|peli|cin[ée]ma)\b", re.I)
_ERA = (("older", re.compile(r"\b(older|classics?|old[- ]school|vintage|old movies?|golden age)\b", re.I)),
        ("newer", re.compile(r"\b(newer|more recent|recent|latest|modern|new releases?|newest)\b", re.I)))
_DECADE = re.compile(r"\b(?:(early|mid|late)[- ])?(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b|"
                     r"\b(?:(early|mid|late)[- ])?(fifties|sixties|seventies|eighties|nineties)\b", re.I)
_DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_YEAR_RANGES = (
    ("between", re.compile(r"\b(?:between|from)\s+((?:19|20)\d\d)\s*(?:and|to|-|–)\s*((?:19|20)\d\d)\b", re.I)),
    ("min", re.compile(r"\b(?:after|since|newer than|post|later than)\s+((?:19|20)\d\d)\b|"
                       r"\b((?:19|20)\d\d)\s*(?:or later|or newer|onwards?|and (?:later|up|newer)|\+)", re.I)),
    ("max", re.compile(r"\b(?:before|older than|pre|prior to|until|up to|earlier than)\s+((?:19|20)\d\d)\b|"
                       r"\b((?:19|20)\d\d)\s*(?:or (?:earlier|older|before))", re.I)),
    ("exact", re.compile(r"\b(?:from|in|of)\s+((?:19|20)\d\d)\b(?!\s*(?:and|to|-|or|onwards?))", re.I)),
)
_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
#: "too scary", "too much action": the user wants less of the genre named next
_TOO = re.compile(r"\btoo\s+(much\s+)?$", re.I)
_AUDIENCE = (
    ("young_children", re.compile(r"\b(toddlers?|preschool\w*|little ones|(young|small|little) (kids|children|ones)|"
                                  r"([1-9]|one|two|three|four|five|six|seven|eight|nine)[- ]?(year|yr)s?[- ]old|"
                                  r"[1-9] ?(yo|y/o)\b|ages? [1-8]\b)", re.I)),
    ("family", re.compile(r"\b((with|for) (the|my|our) (kids|children|family|son|daughter)|family (movie )?night|"
                          r"whole family|kid[- ]friendly|all ages|(my|our) kids|1[0-5][- ]?(year|yr)s?[- ]old|(a|for) kids)\b", re.I)),
    ("date_night", re.compile(r"\b(date night|a date|on a date|(with|for) my (girlfriend|boyfriend|wife|husband|partner|"
                              r"date)|romantic evening)\b", re.I)),
    ("adults", re.compile(r"\b(adults? only|grown[- ]ups|no kids|for adults|mature)\b", re.I)),
)
_OFF_TOPIC_HINT = re.compile(r"\b(weather|recipe|cook|solve|equation|capital of|stock|bitcoin|homework|code|python|"
                             r"poem|news|translate|math|calculate|president)\b|\d\s*[-+*/x=]\s*\d", re.I)


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Blank title/person spans (same length) so cue and genre words inside them do not count."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = "_" * (e - s)
    return "".join(chars)


def _clauses(text: str, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clause boundaries as (start, end) spans; never inside a title span or after "anything but"."""
    cuts = [0]
    for m in _CLAUSE_SPLIT.finditer(text):
        pos = m.end()
        if any(s <= m.start() < e or s == pos for s, e in protected):
            continue
        if (m.group(1) or "").lower() == "but" and _ANYTHING_BUT.search(text[max(0, m.start() - 12): m.end() + 4]):
            continue
        cuts.append(pos)
    cuts = sorted(set(cuts)) + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _events(masked: str, start: int, end: int) -> list[tuple[int, int, str]]:
    out = []
    for kind, rx in _CUES:
        for m in rx.finditer(masked, start, end):
            out.append((m.start(), m.end(), kind))
    # "seen" inside "have you seen" is a question, not the user's own viewing
    asks = [(s, e) for s, e, k in out if k == "ask"]
    out = [ev for ev in out if not (ev[2] in ("seen", "req", "like_anchor", "pos") and any(s <= ev[0] < e for s, e in asks))]
    anchors = [(s, e) for s, e, k in out if k == "like_anchor"]
    out = [ev for ev in out if not (ev[2] in ("pos", "req") and any(s <= ev[0] and ev[1] <= e for s, e in anchors))]
    return sorted(out)


def _polarity(masked: str, clause: tuple[int, int], pos: int, end: int, default: str) -> str:
    """liked | disliked | seen | more_like | mentioned for the target at [pos, end) (rule 2)."""
    all_events = _events(masked, clause[0], clause[1])
    events = [ev for ev in all_events if ev[1] <= pos]
    after = masked[end:clause[1]]
    if _VERDICT_POS.match(after):
        return "liked"
    if _VERDICT_NEG.match(after):
        return "disliked"
    cue = next((ev for ev in reversed(events) if ev[2] != "negator"), None)
    neg = next((ev for ev in reversed(events) if ev[2] == "negator"), None)
    if neg is not None and (cue is None or neg[0] >= cue[0]) and "," not in masked[neg[1]:pos]:
        return "disliked"
    pol = _cue_polarity(events, cue, masked, default)
    if pol in ("seen", "mentioned") and (cue is None or cue[2] not in ("ask",)):
        # "I saw X and was amazed", "X was another film I really liked": a verdict later in the clause
        later = [ev for ev in all_events if ev[0] >= end]
        nxt = next((ev for ev in later if ev[2] in ("pos", "neg")), None)
        if nxt is not None:
            return _cue_polarity(later[: later.index(nxt) + 1], nxt, masked, pol)
    return pol


def _cue_polarity(events: list[tuple[int, int, str]], cue: tuple[int, int, str] | None, masked: str,
                  default: str) -> str:
    if cue is None:
        return default
    neg = next((ev for ev in reversed(events) if ev[2] == "negator" and ev[1] <= cue[0]), None)
    gap = masked[neg[1]:cue[0]] if neg is not None else ""
    flipped = neg is not None and len(gap.split()) <= 3 and "," not in gap
    kind = cue[2]
    if kind == "like_anchor":
        return "disliked" if flipped else "more_like"
    if kind == "pos":
        return "disliked" if flipped else "liked"
    if kind == "neg":
        return "mentioned" if flipped else "disliked"
    if kind == "seen":
        return "mentioned" if flipped else "seen"
    if kind == "req":
        return "disliked" if flipped else default
    return "mentioned"


def _years(masked: str) -> tuple[int | None, int | None]:
    lo: int | None = None
    hi: int | None = None
    for m in _DECADE.finditer(masked):
        if m.group(6):
            base, part = _DECADE_WORDS[m.group(6).lower()], m.group(5)
        elif m.group(2):
            base, part = int(m.group(2) + m.group(3) + "0"), m.group(1)
        else:
            d = int(m.group(4))
            base, part = (2000 + d * 10 if d <= 2 else 1900 + d * 10), m.group(1)
        a, b = base, base + 9
        part = (part or "").lower()
        a, b = (base, base + 4) if part == "early" else (base + 5, base + 9) if part == "late" else (
            (base + 3, base + 7) if part == "mid" else (a, b))
        lo, hi = min(a, lo or a), max(b, hi or b)
    for kind, rx in _YEAR_RANGES:
        for m in rx.finditer(masked):
            vals = [int(g) for g in m.groups() if g]
            if kind == "between":
                lo, hi = min(vals), max(vals)
            elif kind == "min":
                lo = vals[0] + (1 if m.group(0).lower().startswith("after") else 0)
            elif kind == "max":
                hi = vals[0] - (1 if m.group(0).lower().startswith("before") else 0)
            elif kind == "exact" and lo is None and hi is None:
                lo = hi = vals[0]
    return lo, hi


def _ref(sm: SpanMatch) -> TitleRef:
    item = sm.resolution.item
    if item is None:
        raise ValueError("only resolved spans become TitleRefs")
    return TitleRef(item.item_id, sm.surface, item.title)


def parse(text: str, resolver: TitleResolver, *, people: PeopleIndex | None = None,
          last_slate: Sequence[str] = ()) -> StateUpdate:
    """Read one message; ``last_slate`` holds the titles just shown (for "why the second one?")."""
    text = (text or "").strip()
    if not text:
        return StateUpdate(act="chit_chat")
    if _PROMPT_LEAK.search(text):
        return StateUpdate(act="prompt_leak")
    if _OTHER_DATA.search(text):
        return StateUpdate(act="other_data")
    person_hits = people.find(text) if people is not None else []
    person_spans = [(p.start, p.end) for p in person_hits]
    accept = make_acceptor(text, resolver, _RESERVED)
    spans = [s for s in resolver.scan(text, lambda t, a, b, k, f: accept(t, a, b, k, f)
                                      and not any(a < pe and ps < b for ps, pe in person_spans))
             if typo_plausible(s, resolver)]
    typo_spans, typo_asks = near_misses(text, resolver, [(s.start, s.end) for s in spans] + person_spans, _RESERVED)
    spans = sorted(spans + typo_spans, key=lambda s: s.start)
    ask_spans = [sp for sp, _ in typo_asks]
    title_spans = [(s.start, s.end + (len(m.group(0)) if (m := re.match(r"\s*\(\d{4}\)", text[s.end:])) else 0))
                   for s in spans]
    masked = _mask(text, title_spans + person_spans + ask_spans)
    clauses = _clauses(text, title_spans)

    def clause_of(pos: int) -> tuple[int, int]:
        return next((c for c in clauses if c[0] <= pos < c[1]), (0, len(text)))

    buckets, unresolved = _place_titles(masked, spans, title_spans, clauses, clause_of)
    unresolved += [u for _, u in typo_asks]
    unresolved += unknown_titles(text, resolver, title_spans + person_spans + ask_spans, unresolved, GENRE_WORDS)
    masked = _mask(masked, [(m.start(1), m.end(1)) for m in UNKNOWN_RUN.finditer(text)
                            if m.group(1) and m.group(1).strip() in {u.surface for u in unresolved}])
    # "Airplane was hilarious", "that movie is funny": a verdict on a film, not a wish for a genre
    verdicts = [(e + m.start(), e + m.end()) for _, e in title_spans
                for rx in (_VERDICT_POS, _VERDICT_NEG) if (m := rx.match(text[e:]))]
    verdicts += [m.span(5) for m in _DESCRIBES.finditer(masked)]
    masked_g = _mask(masked, verdicts)
    genres_liked: list[str] = []
    genres_disliked: list[str] = []
    for m in _GENRE_RE.finditer(masked_g):
        pol = _polarity(masked, clause_of(m.start()), m.start(), m.end(), "liked")
        if _TOO.search(masked[max(0, m.start() - 12):m.start()]):
            pol = "disliked"  # "too scary for my gf": less of it, not more
        target = genres_disliked if pol == "disliked" else genres_liked
        for g in GENRE_WORDS[m.group(1).lower()]:
            if g not in genres_liked and g not in genres_disliked:
                target.append(g)
    moods = []
    for m in _MOOD_RE.finditer(masked_g):
        mood = MOOD_WORDS[m.group(1).lower()]
        if _polarity(masked, clause_of(m.start()), m.start(), m.end(), "liked") != "disliked" and mood not in moods:
            moods.append(mood)
    people_liked: list[str] = []
    people_disliked: list[str] = []
    for p in person_hits:
        pol = _polarity(masked, clause_of(p.start), p.start, p.end, "liked")
        (people_disliked if pol == "disliked" else people_liked).append(p.name)
    year_min, year_max = _years(masked)
    era = next((name for name, rx in _ERA if rx.search(masked)), None)
    audience = next((name for name, rx in _AUDIENCE if rx.search(masked)), None)
    m_age = re.search(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
                      r"(?:[- ]?(?:year|yr)s?[- ]old| ?(?:yo|y/o)\b)", masked, re.I)
    if m_age:
        age = int(m_age.group(1)) if m_age.group(1).isdigit() else _NUMBER_WORDS[m_age.group(1).lower()]
        audience = "young_children" if age <= 9 else "family" if age <= 15 else audience
    why_rank, why_item = None, None
    act = _act(text, masked, bool(spans or person_hits or genres_liked or genres_disliked or moods or year_min
                                  or year_max or era or audience or unresolved), bool(last_slate))
    wishes = buckets["liked"] or buckets["disliked"] or buckets["more_like"] or genres_liked or genres_disliked
    if act == "recommend" and not wishes and re.search(_ACCEPT_RX + r"\s+(out\s+)?_", masked, re.I):
        act = "chit_chat"  # "I'll check out Step Brothers, thanks": taking a suggestion, no new preference
    if act == "ask_why" or (_WHY.search(text) and last_slate):
        why_rank, why_item = _why_target(text, resolver, last_slate, spans)
        if why_rank is not None or why_item is not None or act == "ask_why":
            act = "ask_why"
    return StateUpdate(
        act=act, liked=tuple(buckets["liked"]), disliked=tuple(buckets["disliked"]), seen=tuple(buckets["seen"]),
        mentioned=tuple(buckets["mentioned"]), more_like=tuple(buckets["more_like"]),
        genres_liked=tuple(genres_liked), genres_disliked=tuple(genres_disliked), moods=tuple(moods),
        people_liked=tuple(dict.fromkeys(people_liked)), people_disliked=tuple(dict.fromkeys(people_disliked)),
        audience=audience, year_min=year_min, year_max=year_max, relative_era=era,  # type: ignore[arg-type]
        why_rank=why_rank, why_item=why_item, unresolved=tuple(unresolved))


def _place_titles(masked: str, spans: Sequence[SpanMatch], title_spans: list[tuple[int, int]],
                  clauses: list[tuple[int, int]], clause_of) -> tuple[dict[str, list[TitleRef]], list[UnresolvedTitle]]:
    """Resolved spans into polarity buckets (rule 2); ambiguous/unknown spans into ``unresolved``."""
    buckets: dict[str, list[TitleRef]] = {k: [] for k in ("liked", "disliked", "seen", "mentioned", "more_like")}
    unresolved: list[UnresolvedTitle] = []
    placed: dict[str, tuple[str, tuple[int, int]]] = {}
    for sm, (_, end) in zip(spans, title_spans, strict=True):
        if sm.resolution.status != "resolved":
            unresolved.append(unresolved_title(sm.surface, sm.resolution))
            continue
        ref, clause = _ref(sm), clause_of(sm.start)
        pol = _polarity(masked, clause, sm.start, end, "mentioned")
        if ref.item_id not in placed:
            placed[ref.item_id] = (pol, clause)
            buckets[pol].append(ref)
    # "I saw X, and loved it": a pronoun verdict in a title-less clause carries back to the clause before
    for i, clause in enumerate(clauses[1:], 1):
        m = _CARRY.search(masked, clause[0], clause[1])
        if not m or any(c == clause for _, c in placed.values()):
            continue
        pol = _polarity(masked, clause, m.end(), m.end(), "mentioned") if m.group(1) else (
            "disliked" if m.group(9).lower() in ("terrible", "awful", "boring", "bad") else "liked")
        if pol not in ("liked", "disliked"):
            continue
        for item_id, (old, c) in list(placed.items()):
            if c == clauses[i - 1] and old in ("seen", "mentioned"):
                ref = next(r for r in buckets[old] if r.item_id == item_id)
                buckets[old].remove(ref)
                buckets[pol].append(ref)
                placed[item_id] = (pol, c)
    return buckets, unresolved


def _act(text: str, masked: str, has_content: bool, has_slate: bool = False) -> str:
    """The act of the whole message (rule 3); ``why`` needs a target, decided by the caller."""
    if _WHY.search(masked) and re.search(r"\b(you|suggest\w*|recommend\w*|pick\w*|choose|chose|that|this|it|one|"
                                         r"on the list|_)\b|_", masked, re.I):
        return "ask_why"
    if _REJECT.search(masked) or (has_slate and _BARE_NO.match(masked)):
        return "reject_slate"
    if _REPLACE.search(masked) and (has_content or re.search(r"\bsomething\b", masked, re.I)):
        return "replace"
    if _REFINE.search(masked) and not re.search(r"\bmore like (?!(that|this|it|those)\b)", masked, re.I):
        return "refine"
    if has_slate and _MORE.match(masked):
        return "refine"  # "and more": the same wish, further down the list
    if has_content or _OPEN.search(masked):
        return "recommend"
    if _OFF_TOPIC_HINT.search(masked) and not re.search(r"\b(movies?|films?|watch\w*|flicks?)\b", masked, re.I):
        return "off_topic"  # "give me a recipe for banana bread": a request, but not for a film
    if _CHIT.search(text) or _CHIT_ANY.search(masked) or _BARE_NO.match(masked):
        return "chit_chat"
    if not _MOVIE_WORDS.search(masked):
        return "off_topic" if (_OFF_TOPIC_HINT.search(masked) or text.rstrip().endswith("?")
                               or len(text.split()) > 6) else "chit_chat"
    return "recommend"


def _why_target(text: str, resolver: TitleResolver, last_slate: Sequence[str],
                spans: Sequence[SpanMatch]) -> tuple[int | None, TitleRef | None]:
    m = _ORDINAL_RE.search(text)
    if m:
        word = (m.group(1) or "").lower()
        rank = len(last_slate) if word == "last" else _ORDINALS.get(word) or int(m.group(3) or 0)
        if rank and (not last_slate or rank <= len(last_slate)):
            return rank, None
    norm_text = f" {normalise(text)} "
    for i, title in enumerate(last_slate, 1):
        res = resolver.resolve(title)
        bare = normalise(re.sub(r"\s*\(\d{4}\)\s*$", "", title))
        hit = bare and f" {bare} " in norm_text
        hit = hit or any(res.item is not None and s.resolution.item is not None
                         and s.resolution.item.item_id == res.item.item_id for s in spans)
        if hit:
            ref = TitleRef(res.item.item_id, title, res.item.title) if res.item is not None else None
            return (None, ref) if ref is not None else (i, None)
    return None, None

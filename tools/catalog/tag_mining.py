"""Descriptive tags mined from what people wrote around a movie mention in ReDial.

Why an allow-list and not "frequent words": precision matters more than recall. Tags
become retrieval text and evidence in explanations ("people called it *scary*"), so a
wrong tag is worse than a missing one. We only count words from ``TAG_VOCABULARY`` (a
curated list of ~100 canonical movie-descriptive tags, each with its surface forms and
spelling variants, e.g. "rom-com"/"romcom" -> "romantic comedy"), skip negated uses
("not scary"), and keep a (movie, tag) pair only when it occurs in at least
``min_conversations`` *different* conversations and in a minimum share of the
conversations about that movie (see ``mine_tags``). Generic praise ("good", "great") is not
in the vocabulary: it says nothing about *what* a movie is.

Where the words come from, for each message with ``@id`` mentions: the message itself,
the previous message when it mentions no movie (typically the request being answered:
"something scary for tonight?" -> "have you seen @123?"), and the next message when the
same person wrote it and it mentions no movie ("@123" / "it is hilarious").
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

#: canonical tag -> surface forms (lowercase; hyphens are read as spaces).
TAG_VOCABULARY: dict[str, tuple[str, ...]] = {
    "funny": ("funny", "funnier", "funniest", "hilarious", "hysterical", "laugh out loud"),
    "comedy": ("comedy", "comedies", "comedic", "comdey", "comedys"),
    "romantic comedy": ("rom com", "rom coms", "romcom", "romcoms", "romantic comedy", "romantic comedies"),
    "romantic": ("romantic", "romance", "love story"),
    "action": ("action", "action packed", "actions"),
    "horror": ("horror", "horrors", "horror movie", "horror movies"),
    "scary": ("scary", "scarier", "scariest", "scared", "scare", "scares", "terrifying", "frightening"),
    "creepy": ("creepy", "spooky", "eerie", "unsettling"),
    "thriller": ("thriller", "thrillers", "thrilling", "thrills"),
    "suspenseful": ("suspense", "suspenseful", "edge of your seat", "nail biting"),
    "drama": ("drama", "dramas", "dramatic"),
    "classic": ("classic", "classics", "clasic", "oldie", "oldies", "old school"),
    "family": ("family", "family friendly", "kid friendly", "kids", "children", "childrens", "children's",
               "for the whole family"),
    "animated": ("animated", "animation", "cartoon", "cartoons"),
    "anime": ("anime",),
    "disney": ("disney",),
    "pixar": ("pixar",),
    "marvel": ("marvel", "mcu"),
    "dc comics": ("dc", "dc comics"),
    "superhero": ("superhero", "superheroes", "super hero", "super heroes", "comic book", "comic books"),
    "sci-fi": ("sci fi", "scifi", "science fiction", "syfy"),
    "fantasy": ("fantasy",),
    "magical": ("magic", "magical"),
    "cute": ("cute", "adorable"),
    "heartwarming": ("heartwarming", "heart warming", "touching", "wholesome"),
    "feel-good": ("feel good", "uplifting", "lighthearted", "light hearted"),
    "inspiring": ("inspiring", "inspirational", "motivational"),
    "sad": ("sad", "depressing", "heartbreaking", "heart breaking"),
    "tearjerker": ("tear jerker", "tearjerker", "tearjerkers", "tear jerkers", "made me cry", "tissues"),
    "emotional": ("emotional",),
    "dark": ("dark", "gritty", "bleak"),
    "gory": ("gory", "gore", "bloody", "splatter"),
    "violent": ("violent", "violence", "brutal"),
    "intense": ("intense",),
    "disturbing": ("disturbing", "twisted", "messed up"),
    "psychological": ("psychological", "psychological thriller", "mind bending", "mind bender", "mind blowing",
                      "mind blown", "trippy"),
    "plot twist": ("twist", "twists", "plot twist", "plot twists", "twist ending", "surprise ending"),
    "mystery": ("mystery", "mysteries", "whodunit", "who done it"),
    "crime": ("crime", "crimes"),
    "heist": ("heist", "heists", "robbery"),
    "detective": ("detective", "detectives"),
    "murder": ("murder", "murders", "murder mystery"),
    "serial killer": ("serial killer", "serial killers"),
    "gangster": ("gangster", "gangsters", "mafia", "mob", "mobster", "mobsters"),
    "cops": ("cop", "cops", "police", "buddy cop"),
    "spy": ("spy", "spies", "espionage", "secret agent", "james bond", "007"),
    "war": ("war", "wwii", "ww2", "world war", "vietnam", "military", "soldiers"),
    "western": ("western", "westerns", "cowboy", "cowboys"),
    "musical": ("musical", "musicals", "singing", "sing along"),
    "music": ("music", "soundtrack", "songs"),
    "dance": ("dance", "dancing"),
    "documentary": ("documentary", "documentaries", "docu"),
    "biopic": ("biopic", "biography", "biographical"),
    "historical": ("historical", "history", "period piece"),
    "true story": ("true story", "true stories", "based on a true story", "real story", "real events"),
    "based on a book": ("based on a book", "based on the book", "based on a novel", "based on the novel",
                        "book adaptation"),
    "sports": ("sports", "sport", "football", "baseball", "basketball", "soccer", "hockey"),
    "boxing": ("boxing", "boxer"),
    "martial arts": ("martial arts", "kung fu", "karate"),
    "zombies": ("zombie", "zombies"),
    "vampires": ("vampire", "vampires"),
    "aliens": ("alien", "aliens", "extraterrestrial"),
    "monsters": ("monster", "monsters", "creature feature"),
    "ghosts": ("ghost", "ghosts", "haunted", "haunting", "haunted house", "poltergeist"),
    "supernatural": ("supernatural", "paranormal", "possession", "exorcism", "demon", "demons", "demonic"),
    "witches": ("witch", "witches", "witchcraft"),
    "slasher": ("slasher", "slashers"),
    "space": ("space", "outer space", "astronaut", "astronauts"),
    "robots": ("robot", "robots", "androids"),
    "dinosaurs": ("dinosaur", "dinosaurs"),
    "time travel": ("time travel", "time traveling", "time travelling"),
    "dystopian": ("dystopian", "dystopia", "post apocalyptic", "apocalyptic", "apocalypse"),
    "disaster": ("disaster", "disasters"),
    "teen": ("teen", "teens", "teenage", "teenager", "teenagers", "high school", "coming of age"),
    "college": ("college", "frat"),
    "christmas": ("christmas", "xmas"),
    "halloween": ("halloween",),
    "silly": ("silly", "goofy", "wacky", "slapstick"),
    "raunchy": ("raunchy", "crude", "gross out", "risque", "dirty humor"),
    "cheesy": ("cheesy", "campy", "corny", "b movie"),
    "quirky": ("quirky", "weird", "offbeat", "odd"),
    "clever": ("clever", "witty", "smart", "intelligent", "intellectual"),
    "thought-provoking": ("thought provoking", "philosophical", "makes you think"),
    "underrated": ("underrated", "under rated", "hidden gem"),
    "cult classic": ("cult classic", "cult"),
    "indie": ("indie", "independent film"),
    "foreign": ("foreign", "subtitles", "subtitled"),
    "british": ("british", "english humor"),
    "epic": ("epic", "epics"),
    "adventure": ("adventure", "adventures", "adventurous", "quest"),
    "fun": ("fun", "entertaining", "enjoyable"),
    "nostalgic": ("nostalgic", "nostalgia", "childhood"),
    "parody": ("parody", "spoof", "spoofs", "satire", "satirical", "mockumentary"),
    "chick flick": ("chick flick", "chick flicks", "girls night"),
    "date night": ("date night", "date movie"),
    "visually stunning": ("visually stunning", "special effects", "visuals", "cinematography", "cgi",
                          "graphics", "effects"),
    "political": ("political", "politics"),
    "religious": ("religious", "christian", "faith based"),
    "animals": ("animal", "animals", "dog movie", "dog movies"),
    "road trip": ("road trip", "road movie"),
    "sequel": ("sequel", "sequels"),
    "remake": ("remake", "remakes", "reboot"),
    "franchise": ("franchise", "series", "trilogy"),
    "slow burn": ("slow burn", "slow paced"),
    "fast-paced": ("fast paced", "non stop", "nonstop"),
    "stephen king": ("stephen king",),
}

NEGATIONS = frozenset({"not", "no", "never", "isn't", "wasn't", "don't", "didn't", "doesn't", "aren't",
                       "isnt", "wasnt", "dont", "didnt", "doesnt", "without", "nothing", "hate", "hated",
                       "neither", "nor"})
_NEGATION_WINDOW = 3
_TOKEN_RE = re.compile(r"[a-z0-9']+")


def _phrase_table() -> tuple[dict[tuple[str, ...], str], int]:
    table: dict[tuple[str, ...], str] = {}
    for canonical, forms in TAG_VOCABULARY.items():
        for form in (canonical, *forms):
            table[tuple(tokenize(form))] = canonical
    return table, max(len(k) for k in table)


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens; hyphens split words and ``@123`` mentions are dropped."""
    text = re.sub(r"@\d+", " ", text.lower().replace("\u2019", "'").replace("-", " "))
    return [t.strip("'") for t in _TOKEN_RE.findall(text) if t.strip("'")]


def extract_tags(text: str) -> set[str]:
    """Canonical tags in one message, longest phrase first, negated uses skipped.

    >>> sorted(extract_tags("a scary rom-com, not too funny"))
    ['romantic comedy', 'scary']
    """
    table, longest = _PHRASES
    tokens = tokenize(text)
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            tag = table.get(tuple(tokens[i:i + n]))
            if tag is not None:
                if not NEGATIONS.intersection(tokens[max(0, i - _NEGATION_WINDOW):i]):
                    found.add(tag)
                i += n
                break
        else:
            i += 1
    return found


_PHRASES = _phrase_table()


@dataclass(frozen=True, slots=True)
class MentionContext:
    """The words around one movie mention in one conversation (input to ``mine_tags``)."""

    conversation_id: str
    movie_id: str
    text: str


def mention_contexts(turns: Iterable, conversation_id: str) -> list[MentionContext]:
    """One context per (mention, message): the message plus its mention-free neighbours.

    ``turns`` are ``tools.datasets.redial.Turn`` objects (anything with ``text``, ``mentions``,
    ``sender_id``), so this works on any dialogue source using ``@id`` mentions.
    """
    turns = list(turns)
    out: list[MentionContext] = []
    for k, turn in enumerate(turns):
        if not turn.mentions:
            continue
        parts = [turn.text]
        if k > 0 and not turns[k - 1].mentions:
            parts.append(turns[k - 1].text)
        if k + 1 < len(turns) and not turns[k + 1].mentions and turns[k + 1].sender_id == turn.sender_id:
            parts.append(turns[k + 1].text)
        text = " \n ".join(parts)
        for movie_id in dict.fromkeys(turn.mentions):
            out.append(MentionContext(conversation_id, movie_id, text))
    return out


@dataclass(frozen=True)
class TagMiningResult:
    tags: dict[str, tuple[str, ...]]  # movie id -> tags, most-supported first
    support: dict[str, dict[str, int]]  # movie id -> tag -> number of conversations
    conversation_ids: tuple[str, ...]  # every conversation that contributed a kept tag


def mine_tags(
    contexts: Iterable[MentionContext],
    *,
    min_conversations: int = 2,
    min_share: float = 0.05,
    max_tags: int = 8,
) -> TagMiningResult:
    """Count each (movie, tag) once per conversation and keep the well-supported pairs.

    A pair is kept when it occurs in at least ``min_conversations`` conversations AND in at
    least ``min_share`` of the conversations that mention the movie: a movie discussed in
    100 conversations picks up every common word twice by chance ("Titanic" + "action"),
    so popular movies need proportionally more support.
    """
    if min_conversations < 1 or max_tags < 1 or not 0.0 <= min_share <= 1.0:
        raise ValueError("min_conversations and max_tags must be >= 1 and min_share in [0, 1]")
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    movie_convs: dict[str, set[str]] = defaultdict(set)
    for ctx in contexts:
        movie_convs[ctx.movie_id].add(ctx.conversation_id)
        for tag in extract_tags(ctx.text):
            seen[(ctx.movie_id, tag)].add(ctx.conversation_id)
    per_movie: dict[str, Counter[str]] = defaultdict(Counter)
    used: set[str] = set()
    for (movie_id, tag), convs in seen.items():
        if len(convs) >= max(min_conversations, min_share * len(movie_convs[movie_id])):
            per_movie[movie_id][tag] = len(convs)
    tags: dict[str, tuple[str, ...]] = {}
    support: dict[str, dict[str, int]] = {}
    for movie_id in sorted(per_movie):
        ranked = sorted(per_movie[movie_id].items(), key=lambda kv: (-kv[1], kv[0]))[:max_tags]
        tags[movie_id] = tuple(t for t, _ in ranked)
        support[movie_id] = dict(ranked)
        for t, _ in ranked:
            used.update(seen[(movie_id, t)])
    return TagMiningResult(tags, support, tuple(sorted(used, key=lambda c: (len(c), c))))


# ---------------------------------------------------------------------------
# Content keywords from plot text (Wikipedia), by TF-IDF over the catalog's plots
# ---------------------------------------------------------------------------
#
# Why TF-IDF with a proper-noun filter: a plot's most distinctive words are its character
# names ("Brody", "Quint"), which say nothing about what the film is about; a word that the
# corpus writes capitalised mid-sentence more often than in lower case is treated as a name
# and skipped. What is left and is rare across plots ("shark", "marine biologist") describes
# the film. Words in fewer than 2 plots (typos, unusual names) or more than 20% of plots
# ("finds", "later") are never keywords. Only words and two-word phrases are kept: no
# sentence of the source text ends up in the catalog.

KEYWORD_STOPWORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although always am
among an and another any anyone anything are around as at away back be became because become becomes been
before began begin begins behind being below beside besides between beyond both but by can cannot could did
do does doing done down during each either else elsewhere enough even ever every everyone everything few
find finds first for found from further get gets getting give gives go goes going gone got had has have
having he her here hers herself him himself his how however if in into is it its itself just last later
least less let like made make makes many may me meanwhile might more most much must my myself near never
next no nobody none nor not nothing now of off often on once one only onto or other others otherwise our
ours out over own part per perhaps please put rather really said same see seen several she should show
shows since so some somehow someone something sometime still such take takes taken taking than that the
their them themselves then there thereafter these they this those though through throughout thus to
together too toward towards two three four five under until up upon us very via was way we well were what
whatever when whenever where whereas whether which while who whoever whole whom whose why will with within
without would yet you your yours yourself yourselves tell tells told ask asks asked try tries tried want
wants wanted know knows knew come comes came leave leaves left return returns returned decide decides
decided reveal reveals revealed arrive arrives arrived realize realizes realises realized realised
eventually soon finally instead new old year years time times day days night later end ends ending able
film films movie movies directed director directors starring stars star written writer produced producer
screenplay released release american british english story plot character characters received reviews
critics critical grossed gross million box office worldwide sequel premiered version adaptation based
cast role roles features featuring scene scenes title series franchise comedy drama thriller horror
""".split())
_KW_SEGMENT_RE = re.compile(r"[.!?;:,()\"\[\]\u201c\u201d]+|\s[-\u2013\u2014]\s")
_KW_WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_'\-]*[^\W\d_])?")
_KW_MAX_DF_SHARE = 0.2
_KW_MIN_DF = 2


def _kw_segments(text: str) -> list[list[tuple[str, bool | None]]]:
    """Segments (no punctuation inside) of (lower-case word, capitalised? -- None at a sentence start)."""
    out = []
    sentence_start = True
    for seg in _KW_SEGMENT_RE.split(text.replace("\u2019", "'")):
        words = []
        for k, raw in enumerate(_KW_WORD_RE.findall(seg)):
            word = raw.lower()
            if word.endswith("'s"):
                word = word[:-2]
            words.append((word, None if k == 0 and sentence_start else raw[0].isupper()))
        out.append(words)
        sentence_start = bool(re.search(r"[.!?]\s*$", seg)) or not seg.strip()
    return out


class KeywordExtractor:
    """TF-IDF keywords (words and two-word phrases) of each text in a fixed corpus.

    Deterministic: counts only, ties broken alphabetically, so the same corpus always yields
    the same keywords.
    """

    def __init__(self, texts: dict[str, str]) -> None:
        capital: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        self._docs: dict[str, list[list[str]]] = {}
        for key in sorted(texts):
            segments = _kw_segments(texts[key])
            for seg in segments:
                for word, cap in seg:
                    if cap is not None:  # a capital at a sentence start says nothing
                        (capital if cap else lower)[word] += 1
            self._docs[key] = [[w for w, _ in seg] for seg in segments]
        self._name_like = {w for w in capital if capital[w] > lower[w]}
        self._vocab = set(lower)
        df: Counter[str] = Counter()
        self._terms: dict[str, Counter[str]] = {}
        for key, segments in self._docs.items():
            terms = Counter(self._doc_terms(segments))
            self._terms[key] = terms
            df.update(terms.keys())
        n = max(len(self._docs), 1)
        top = max(_KW_MIN_DF, _KW_MAX_DF_SHARE * n)
        self._idf = {t: math.log(n / d) for t, d in df.items() if _KW_MIN_DF <= d <= top}

    def _ok(self, word: str) -> bool:
        return len(word) >= 3 and word not in KEYWORD_STOPWORDS and word not in self._name_like

    def _singular(self, word: str) -> str:
        """'sharks' -> 'shark', 'beaches' -> 'beach', 'parties' -> 'party' when the corpus has that form."""
        if word.endswith("ies") and word[:-3] + "y" in self._vocab:
            return word[:-3] + "y"
        if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")) and word[:-2] in self._vocab:
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss") and word[:-1] in self._vocab:
            return word[:-1]
        return word

    def _doc_terms(self, segments: list[list[str]]) -> list[str]:
        terms = []
        for seg in segments:
            for k, word in enumerate(seg):
                if self._ok(word):
                    terms.append(self._singular(word))
                    if k + 1 < len(seg) and self._ok(seg[k + 1]):
                        terms.append(f"{word} {self._singular(seg[k + 1])}")
        return terms

    def keywords(self, key: str, k: int = 12) -> tuple[str, ...]:
        """Up to ``k`` keywords of text ``key``, best first; a word inside a kept phrase is skipped.

        Terms the text repeats come first (a plot names its subject more than once; a rare word
        used once is as often an incidental detail), each tier by TF-IDF.
        """
        terms = self._terms.get(key)
        if not terms:
            return ()
        scored = [(tf < 2, -round((1.0 + math.log(tf)) * self._idf[t], 9), t) for t, tf in terms.items()
                  if t in self._idf]
        scored.sort()
        chosen: list[str] = []
        used_words: set[str] = set()
        for _, _, term in scored:
            words = set(term.split())
            if words & used_words:
                continue
            chosen.append(term)
            used_words |= words
            if len(chosen) == k:
                break
        return tuple(chosen)

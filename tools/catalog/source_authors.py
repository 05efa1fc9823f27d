"""Who wrote the book a film is based on, read from its Wikipedia opening paragraph.

Why: "a Stephen King movie" listed Maximum Overdrive and Creepshow (the two films King directed or
acted in) and then Black Panther: the catalog knew cast and directors only, so The Shining, Misery,
Stand by Me and The Shawshank Redemption were not "his" films, and "romantic movies but nothing with
Nicholas Sparks" ruled nothing out. English Wikipedia says it in the opening paragraph -- "based on
Stephen King's 1977 novel of the same name", "based on the 1980 novella The Mist by Stephen King" --
so the author is a fact about the film, kept beside cast and directors (``Item.authors``); no sentence
of the text is kept (the demo catalog's licence, ``tools/data/demo/LICENSE.md``).

Hand-written patterns rather than an NER model: the phrasing is formulaic, no model ships in this
project's wheels for it, and a miss costs only a fact the catalog did not have before. Precision
matters more than recall (a wrong author would rule films out), so a name must be two to four
capitalised words (initials allowed: "J. K. Rowling", "E. B. White") next to a word for a written
work, and names of companies and publishers are dropped.
"""

from __future__ import annotations

import re

#: how a film's source is introduced
_SOURCE = r"(?:based\s+(?:up)?on|adapt(?:ation|ed)\s+(?:of|from)|inspired\s+by)"
#: a written work
_WORK = (r"(?:novels?|novellas?|books?|short\s+stor(?:y|ies)|stor(?:y|ies)|plays?|memoirs?|graphic\s+novels?|"
         r"comics?|comic\s+books?|picture\s+books?|poems?|musical|series|trilogy|novel\s+series)")
_CAP = r"[A-Z][^\W\d_]+(?:-[A-Z][^\W\d_]+)?"
#: two to four capitalised words, initials allowed, a lower-case particle inside ("Henry De Vere Stacpoole")
_NAME = rf"(?:(?:[A-Z]\.\s?){{1,3}}{_CAP}(?:\s{_CAP}){{0,2}}|{_CAP}(?:\s(?:[A-Z]\.\s)?(?:(?:de|van|von|der|del|da|di|le|la)\s)?{_CAP}){{1,3}})"
#: "Stephen King's 1977 novel", "Roald Dahl's children's book"
_POSSESSIVE = re.compile(rf"(?P<name>{_NAME})['\u2019]s\s+(?:[\w\-']+\s+){{0,4}}?{_WORK}\b")
#: "the 1980 novella The Mist by Stephen King", "the novel by American author Nicholas Sparks"
_BY = re.compile(rf"\b{_WORK}\b(?P<gap>[^.;()]{{0,90}}?)\bby\s+(?:(?:the\s+)?(?:[\w\-]+\s+){{0,3}}?"
                 rf"(?:author|writer|novelist|playwright|cartoonist|journalist|poet|illustrator)s?\s+)?(?P<name>{_NAME})")
#: between the work and "by": the film, its music or its cast came in ("the novel of the same name, the
#: film was written by Gina Wendkos", "the novella The Body, with the title deriving from the song ... by
#: Ben E. King", "an ensemble cast led by Claire Danes")
_OTHER_SUBJECT = re.compile(r"\b(?:song|score|soundtrack|music|film|screenplay|it|cast|idea|title|theaters?)\b", re.I)
#: words that make a capitalised run no person's name
_NOT_A_PERSON = frozenset(
    "marvel dc comics comic disney pixar studios studio company magazine times press publishing books "
    "bible hasbro mattel lego court justice university the a an of and in his her their its american british "
    "pictures entertainment animation films productions records games network television "
    "english french german italian japanese swedish croatian irish scottish canadian australian russian "
    "spanish danish norwegian mexican chinese korean indian new york broadway greek roman".split())
#: how far after the source phrase the author is looked for (one sentence, roughly)
_WINDOW = 240


def source_authors(extract: str | None) -> list[str]:
    """The authors of the works ``extract`` says the film is based on, in order, without duplicates."""
    out: list[str] = []
    for m in re.finditer(_SOURCE, extract or "", flags=re.I):
        window = extract[m.end(): m.end() + _WINDOW]
        window = window[: _sentence_end(window)]
        for rx in (_POSSESSIVE, _BY):
            for hit in rx.finditer(window):
                name = " ".join(hit.group("name").split())
                if rx is _BY and not _names_the_writer(hit.group("gap")):
                    continue
                if _is_person(name) and name not in out:
                    out.append(name)
    return out


def _sentence_end(text: str) -> int:
    """Where the first sentence of ``text`` ends: a full stop after a word of two or more letters
    (an initial's stop, "E. B. White", does not end it)."""
    m = re.search(r"[^\W\d_]{2,}\.(?:\s|$)", text)
    return m.end() if m else len(text)


def _names_the_writer(gap: str) -> bool:
    """``gap`` (the text between the work and "by") leaves "by" naming the work's writer."""
    if _OTHER_SUBJECT.search(gap):
        return False
    last = gap.split()[-1] if gap.split() else ""
    return not last or last[0].isupper() or last.lower() in _BY_WORDS or bool(re.fullmatch(_WORK, last.lower()))


#: the lower-case words that may stand right before a writer's "by"
_BY_WORDS = frozenset({"name", "written", "created", "penned", "authored", "title"})


def _is_person(name: str) -> bool:
    words = [w.strip(".").lower() for w in name.split()]
    return 2 <= len(words) <= 4 and not any(w in _NOT_A_PERSON for w in words)

"""Which studios people ask for by name made a film, read from its Wikipedia opening paragraph.

Why: "any Pixar movie my 5 year old hasn't seen" and "any Marvel movies but not Iron Man" got
"my catalog doesn't record a film's studio", and the Marvel slate held Wonder Woman and Justice League.
English Wikipedia names the studio in the opening paragraph -- "produced by Pixar Animation Studios for
Walt Disney Pictures", "based on the Marvel Comics superhero team", "Produced by Marvel Studios" -- so
the studio is a fact about the film (``Item.studios``); no sentence of the text is kept (the demo
catalog's licence, ``tools/data/demo/LICENSE.md``).

A hand-written table rather than every company the text names: a user asks for a handful of studios
by their everyday names ("a Pixar movie", "Disney", "Ghibli", "Marvel movies" for any film of Marvel's
comics, whoever produced it), and a distributor is no studio in that sense ("Walt Disney Studios Motion
Pictures" distributes The Avengers; nobody calls it a Disney movie). A brand's possessive before another
title ("a spin-off of Pixar's Cars") credits the other film, not this one.
"""

from __future__ import annotations

import re

#: everyday name -> how the opening paragraph credits it
STUDIOS: dict[str, str] = {
    "Pixar": r"\bPixar(?:\s+Animation\s+Studios)?\b(?!['’]s\s+[A-Z])",
    "Disney": r"\bWalt\s+Disney\s+(?:Pictures|Animation\s+Studios|Productions|Feature\s+Animation)\b|\bDisney\s+animated\b|"
              r"\bDisneytoon\s+Studios\b",
    "Marvel": r"\bMarvel\s+(?:Comics|Studios|Entertainment|Cinematic\s+Universe)\b",
    "DC": r"\bDC\s+(?:Comics|Films|Entertainment|Extended\s+Universe)\b",
    "DreamWorks": r"\bDreamWorks(?:\s+(?:Animation|Pictures|SKG))?\b(?!['’]s\s+[A-Z])",
    "Studio Ghibli": r"\bStudio\s+Ghibli\b",
    # "produced by Illumination" as often as "Illumination Entertainment"
    "Illumination": r"\bIllumination(?:\s+(?:Entertainment|Mac\s+Guff))?\b",
    "Laika": r"\bLaika\b",
    "Aardman": r"\bAardman\b",
    "Blue Sky": r"\bBlue\s+Sky\s+Studios\b",
    "Lucasfilm": r"\bLucasfilm\b",
    "Blumhouse": r"\bBlumhouse\b",
}
_COMPILED = tuple((name, re.compile(rx)) for name, rx in STUDIOS.items())
#: other names users give a studio
ALIASES: dict[str, str] = {"Ghibli": "Studio Ghibli", "DC Comics": "DC", "Marvel Studios": "Marvel",
                           "Walt Disney": "Disney", "Dreamworks": "DreamWorks"}


#: a studio whose films people count as another's too: Pixar's are Disney films ("an animated movie but nothing
#: from Disney" listed Inside Out first)
PART_OF = {"Pixar": "Disney"}


#: the studios of ``STUDIOS`` whose animated features are made for children (``family_animation``)
CHILDRENS_ANIMATION = ("Pixar", "Disney", "DreamWorks", "Illumination", "Laika", "Aardman", "Blue Sky")
#: other credits that make an animated film a children's film, though nobody asks for them by name: the
#: children's animation arms of other studios, and a children's television series or toy line ("based on the
#: Nickelodeon animated television series Rugrats", "Hasbro's My Little Pony toyline")
CHILDRENS_CREDITS = re.compile(
    r"\b(?:Sony\s+Pictures\s+Animation|Warner\s+Animation\s+Group|Paramount\s+Animation|Nickelodeon|Hasbro|"
    r"Cartoon\s+Network|Disney\s+(?:Channel|Junior))\b")


def credits_childrens_animation(extract: str | None) -> bool:
    """Whether the opening paragraph credits a maker of children's animation (the table above)."""
    return bool(extract) and (any(s in CHILDRENS_ANIMATION for s in film_studios(extract))
                              or bool(CHILDRENS_CREDITS.search(extract or "")))


def film_studios(extract: str | None) -> list[str]:
    """The studios of ``STUDIOS`` the opening paragraph credits (and those ``PART_OF`` adds), in table order;
    empty when none."""
    if not extract:
        return []
    found = {name for name, rx in _COMPILED if rx.search(extract)}
    found |= {PART_OF[n] for n in found if n in PART_OF}
    return [name for name in STUDIOS if name in found]

"""Animated films made for children and families, read from the Wikipedia opening paragraph.

Why: the catalog's "family" genre comes from the CMU corpus (films up to 2012) and from Wikipedia's
genre labels, which for recent animation say only "animated, comedy". The Secret Life of Pets,
Despicable Me 3 and The Emoji Movie were therefore no family films to the catalog, and "an animated
movie for adults" (a wish that rules family films out) listed exactly them. The opening paragraph
names who produced the film ("produced by Illumination and distributed by Universal Pictures"), and
an animated feature of a studio that makes films for children -- Walt Disney Animation, Pixar,
DreamWorks Animation, Illumination, Blue Sky, Sony Pictures Animation, Warner Animation Group,
Laika, Aardman, Nickelodeon, Paramount Animation -- or of a children's television series or toy line
(Nickelodeon, Cartoon Network, Disney Channel, Hasbro) is a family film, unless the same paragraph
calls it adult animation ("a 2016 adult computer-animated black comedy": Sausage Party; Anomalisa).
A fact read off the text with the studios table (``film_studios.CHILDRENS_ANIMATION``); no sentence of it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.catalog.film_studios import credits_childrens_animation

#: "an adult computer-animated", "an American adult stop motion animated" (up to three words between)
ADULT_ANIMATION = re.compile(r"\badult(?:[\s-]+[\w-]+){0,3}?[\s-]+animat", re.I)


def is_family_animation(genres: Sequence[str], extract: str | None) -> bool:
    """Whether an animated film without the family genre is one by its producer (see the module)."""
    if "animation" not in genres or "family" in genres or not extract:
        return False
    return credits_childrens_animation(extract) and not ADULT_ANIMATION.search(extract)

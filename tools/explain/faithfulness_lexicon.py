"""Word lists for the faithfulness checker (tools/explain/faithfulness.py).

Why fixed lists in code: the checker must behave identically offline, in tests and in
production, so it cannot depend on a downloaded dictionary. The lists are deliberately
small and reviewable:

- ``COMMON_WORDS``: everyday English that may appear capitalised (sentence starts,
  title-cased LLM output) without naming anything; a capitalised word NOT in this list
  and not in the evidence is treated as an unsupported named entity.
- ``GENRE_WORDS``: genre vocabulary that counts as a factual claim about the item even
  when written in lower case ("a horror film"); catalog genres/tags are added at run time.
- ``CREW_WORDS``: words that introduce claims about cast, crew, awards or reception,
  which our evidence never contains unless a fact says so.
- ``SYNONYMS``: adjective/plural forms folded onto one genre token ("animated" ->
  "animation") so matching is tolerant but not loose.
"""

from __future__ import annotations

COMMON_WORDS: frozenset[str] = frozenset(
    """
a about above across actually after again word words against ago all almost along already also although always am
among an and another any anyone anything anyway are around as ask asked asking at away back based be
became because become been before being below best better between big bit both brings but by came can
cannot choice choices chose chosen close closely closest come comes could did different do does doing
done down during each else enjoy enjoyable enjoyed enjoying enough especially even ever every everyone
everything exactly explore explored exploring fan fans far favorite favorites favourite favourites feel
few film films find fit fits for found from fun further get gets give given gives go goes going good got
great had has have having he hello her here hers herself hi high higher highly him himself his how however
i if in including instead into is it its itself just keep kind know last later least less let lets like
liked likely likes little look looked looking lot lots lower made make makes many match matched matches
matching may maybe me mentioned mentions might mine more most mostly movie movies much must my myself near
nearly need new next nice no none nor not nothing now of off often ok okay on once one only or other others
our ours ourselves out over overall own part particular partly people perfect perhaps pick picked picks
place plus policy popular popularity possible pretty previous previously probably quite rather really
reason reasons recent recently recommend recommendation recommendations recommended recommending related
request requested right same say says score scored scores see seem seems seen session share shared shares
should show showed shown shows similar similarity simply since so some someone something sometimes soon
still strong strongly such suggest suggested suggestion suggestions sure take taken than thanks that the
their theirs them themselves then there therefore these they thing things think this those though through
thus time times to today together too top toward towards try twice under until up upon us use used user
users usual usually value very via viewer viewers want wanted wants was watch watched watching way we
well were what whatever when where whether which while who whom whose why will with within without would
yet you your yours yourself yourselves
also additionally furthermore moreover plus hence ranked rank rated rating estimate estimated effect
effects interval confidence chance likelihood learned learning model models signal signals evidence data
past earlier conversation conversations dialogue dialogues asked tagged tag tags genre genres released
release year years filter filters applied satisfies meets matches term terms closest among strongest
contributed contribution contributions liking likers mainly mostly fellow shown showing
yes sir dear please thank welcome enjoys loved love loves lovely cool awesome amazing wonderful excellent
fantastic nice solid classic classics watchers audiences audience lovers
i'm i've i'd i'll you're you'll you've you'd it's that's there's here's we're we've we'd let's don't
doesn't didn't isn't aren't wasn't won't can't couldn't wouldn't shouldn't what's who's
changed change changes edge graph causal rests resting listed exploration explores meets found
""".split()
)

GENRE_WORDS: tuple[str, ...] = (
    "action", "adventure", "animation", "anime", "biography", "cartoon", "christmas", "comedy", "coming of age",
    "crime", "disaster", "documentary", "drama", "dystopian", "epic", "family", "fantasy", "heist", "history",
    "holiday", "horror", "indie", "martial arts", "mockumentary", "music", "musical", "mystery", "noir", "parody",
    "psychological", "romance", "romcom", "satire", "scifi", "silent", "slasher", "sport", "spy", "superhero",
    "supernatural", "suspense", "teen", "thriller", "war", "western", "zombie",
)

CREW_WORDS: frozenset[str] = frozenset(
    """
director directors directed directing directs starring starred stars star actor actors actress actresses
cast casting oscar oscars award awards academy nominated nomination nominations screenplay screenwriter
writer novel book sequel prequel remake franchise studio producer produced critics critic acclaimed
acclaim imdb rotten grossing blockbuster performance performances soundtrack composer
""".split()
)

SYNONYMS: dict[str, str] = {
    "animated": "animation", "cartoons": "cartoon", "romantic": "romance", "romances": "romance",
    "comedic": "comedy", "comedies": "comedy", "dramatic": "drama", "dramas": "drama", "thrillers": "thriller",
    "mysterious": "mystery", "mysteries": "mystery", "fantastical": "fantasy", "fantasies": "fantasy",
    "historical": "history", "biographical": "biography", "biopic": "biography", "biopics": "biography",
    "documentaries": "documentary", "musicals": "musical", "westerns": "western", "superheroes": "superhero",
    "zombies": "zombie", "sports": "sport", "horrors": "horror", "spies": "spy", "heists": "heist",
    "scary": "horror", "suspenseful": "suspense", "epics": "epic", "parodies": "parody", "satirical": "satire",
}

#: spelled-out counts the checker treats as numbers ("one" is too idiomatic to count)
SPELLED_NUMBERS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "dozen": 12, "hundred": 100, "thousand": 1000,
}

#: small words allowed to stay lower case inside a capitalised title ("Lord of the Rings")
MINOR_TITLE_WORDS: frozenset[str] = frozenset("a an and at by for from in of on or the to with vs".split())

"""Derive the shipped demo catalog (``tools/data/demo/``) from ``shared/data``.

Why a reproducible builder: the demo catalog is data we redistribute under CC BY-SA 4.0,
so every derived value must be traceable to an input and a rule, and running the build
twice must give byte-identical files (no timestamps; gzip mtime 0; sorted output).

What goes in (see ``tools/data/demo/LICENSE.md`` for the attribution):
- items: ReDial's 6,924 movies, title/year parsed by ``tools.datasets.redial.parse_title`` (a title
  without a year takes its Wikipedia row's, ``wikipedia_knowledge.wikipedia_year``),
  popularity = ReDial mention count; rows that are no film (empty titles, "Production of …")
  are kept but marked ``attributes["recommendable"] = False`` (``Item.is_recommendable``);
- genres: joined from the CMU Movie Summary Corpus by ``tools.catalog.movie_genres``; where CMU has
  none, the Wikipedia genres mapped onto the same genre set;
- item knowledge from English Wikipedia (``shared/data/movies_text``, read and cleaned by
  ``tools.catalog.wikipedia_knowledge``): cast (<= 8), directors, source authors, series, studios,
  raw genres, <= 12 TF-IDF plot keywords (``tools.catalog.tag_mining.KeywordExtractor``) and the
  article link -- facts and keywords only, never a sentence of the articles;
- plot vectors: ``item_vectors.npz`` (``tools.retrieval.item_vectors``), MiniLM embeddings of each film's
  Wikipedia text, reused from the output folder when their inputs did not change;
- tags: mined from the words around ``@id`` mentions by ``tools.catalog.tag_mining``;
- description: one deterministic sentence from year, genres and tags (no other facts);
- interactions: seeker -> movie labels from the dialogues (``seeker_labels``, falling back
  to ``recommender_labels``), one per (conversation, movie).

Tags come from ``train_partial.jsonl`` only, so the ReDial validation benchmark cannot see its
answers through them; interactions use both dialogue files (the benchmark trains its own
models from the training split). The ids of the conversations that contributed tags or
interactions are written into ``catalog.json`` (``tag_conversation_ids`` /
``interaction_conversation_ids``) so a benchmark evaluating on those dialogues can see (and
discount) the overlap. The held-out ReDial test split is never read (it is not in ``shared/data``).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.catalog.catalog import Interaction, Item, write_catalog
from tools.catalog.family_animation import is_family_animation
from tools.catalog.genre_corroboration import confirmed_wikipedia_genres, corroborated_genres
from tools.catalog.movie_genres import (
    CLEAN_GENRES,
    GenreIndex,
    load_cmu_movies,
    map_wikipedia_genres,
    simplify_genres,
)
from tools.catalog.tag_mining import KeywordExtractor, mention_contexts, mine_tags
from tools.catalog.wikipedia_knowledge import (
    item_knowledge,
    load_wikipedia,
    wikipedia_text,
    wikipedia_year,
    without_own_title,
)
from tools.datasets.redial import Dialogue, MovieLabel, iter_dialogues, load_movies
from tools.errors import DataError

#: Bump when the rules change; with the input hashes it identifies a build (no wall clock).
BUILDER_VERSION = 3
BUILD_DATE = "2026-11-30"
DIALOGUE_FILES = ("train_partial.jsonl", "valid_data.jsonl")
#: tags come from the training dialogues only, so the validation benchmark cannot see its own
#: answers through them (interactions may use both: the benchmark trains its own models)
TAG_DIALOGUE_FILES = ("train_partial.jsonl",)
WIKIPEDIA_FILE = Path("movies_text") / "redial_wikipedia.jsonl.gz"
MAX_KEYWORDS = 12
#: ReDial rows that are not a film: empty titles, and a Wikipedia article about a production
_PLACEHOLDER_TITLE = re.compile(r"^\s*(untitled\b|production of\b|\W*$)", re.I)

REDIAL_CITATION = ('Li, Kahou, Schulz, Michalski, Charlin and Pal, "Towards Deep Conversational '
                   'Recommendations", NeurIPS 2018')
CMU_CITATION = ('Bamman, O\'Connor and Smith, "Learning Latent Personas of Film Characters", ACL 2013, '
                "http://www.cs.cmu.edu/~ark/personas/")
WIKIPEDIA_CREDIT = ("English Wikipedia contributors; each item's article is linked in attributes.wikipedia_url "
                    "(https://en.wikipedia.org/?curid=<page id>)")
WIKIPEDIA_CHANGES = ("Only facts and short keywords are kept: cast (first 8 credited), directors, the authors of "
                     "the works a film is based on (names read from the opening paragraph), genres (lower-cased; "
                     "mapped to the catalog's genre set where CMU had none), up to 12 TF-IDF keywords mined from "
                     "the plot and opening paragraph, and item_vectors.npz, sentence embeddings of the opening "
                     "paragraph and plot. No Wikipedia sentence is copied.")


def seeker_label_name(label: MovieLabel | None) -> str | None:
    """ReDial answers -> our label: liked / disliked / seen (opinion unknown) / suggested."""
    if label is None:
        return None
    if label.liked is True:
        return "liked"
    if label.liked is False:
        return "disliked"
    if label.seen is True:
        return "seen"
    if label.suggested is True:
        return "suggested"
    return None


def describe(year: int | None, genres: Sequence[str], tags: Sequence[str]) -> str:
    """'A 1984 horror, mystery and teen film. ReDial users described it as scary and classic.'"""

    def join(words: Sequence[str]) -> str:
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

    parts = []
    kind = join(list(genres[:3])) + " film" if genres else "film"
    if year:
        # "an 1895 film" (eighteen...), "a 1984 film"; "an 8..." cannot occur for 4-digit years
        parts.append(f"{'An' if str(year).startswith('18') else 'A'} {year} {kind}.")
    elif genres:
        parts.append(f"{'An' if kind[0] in 'aeiou' else 'A'} {kind}.")
    if tags:
        parts.append(f"ReDial users described it as {join(list(tags[:5]))}.")
    return " ".join(parts)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sorted_ids(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda c: (len(c), c))


def is_placeholder(title: str) -> bool:
    """ReDial rows that are no film one could watch: no title, 'Untitled …', 'Production of …'."""
    return bool(_PLACEHOLDER_TITLE.match(title or ""))


def derive_demo_catalog(
    shared_dir: Path, progress: bool = True, texts: dict[str, str] | None = None,
) -> tuple[list[Item], list[Interaction], dict[str, Any]]:
    """Build items, interactions and ``catalog.json`` meta from ``shared_dir`` (= shared/data).

    ``texts``, when given, receives each item's Wikipedia text (opening paragraph + plot) by
    id: the input of the plot vectors, which are computed by ``build_demo_catalog``.
    """
    shared_dir = Path(shared_dir)
    redial_dir = shared_dir / "redial"
    cmu_path = shared_dir / "movies_meta" / "movie.metadata.tsv.gz"
    wiki_path = shared_dir / WIKIPEDIA_FILE
    for needed in (redial_dir / "movies_with_mentions.csv", cmu_path, wiki_path,
                   *(redial_dir / f for f in DIALOGUE_FILES)):
        if not needed.is_file():
            raise DataError(f"{needed} is missing; pass --shared pointing at the shared data folder (shared/data)")

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr)

    movies = load_movies(redial_dir / "movies_with_mentions.csv")
    say(f"read {len(movies)} ReDial movies")
    index = GenreIndex(load_cmu_movies(cmu_path))
    wiki = load_wikipedia(wiki_path)
    placeholders = {m.movie_id for m in movies if is_placeholder(m.title)}
    wiki_texts = {m.movie_id: wikipedia_text(wiki.get(m.movie_id)) for m in movies if m.movie_id not in placeholders}
    wiki_texts = {k: v for k, v in wiki_texts.items() if v}
    extractor = KeywordExtractor(wiki_texts)
    say(f"read {len(wiki)} Wikipedia rows ({len(wiki_texts)} with text)")

    contexts = []
    interactions: list[Interaction] = []
    interaction_convs: dict[str, set[str]] = {f: set() for f in DIALOGUE_FILES}
    conv_file: dict[str, str] = {}
    known = {m.movie_id for m in movies}
    for fname in DIALOGUE_FILES:
        dialogues: list[Dialogue] = list(iter_dialogues(redial_dir / fname))
        say(f"read {len(dialogues)} dialogues from {fname}")
        for d in dialogues:
            conv_file[d.conversation_id] = fname
            if fname in TAG_DIALOGUE_FILES:
                contexts.extend(mention_contexts(d.turns, d.conversation_id))
            for movie_id in sorted(set(d.movie_mentions) | set(d.seeker_labels) | set(d.recommender_labels)):
                # the seeker's own answers; where they said nothing usable, the recommender's
                label = (seeker_label_name(d.seeker_labels.get(movie_id))
                         or seeker_label_name(d.recommender_labels.get(movie_id)))
                if label is None or movie_id not in known:
                    continue
                interactions.append(Interaction(f"redial-seeker-{d.seeker_id}", movie_id, label, None,
                                                f"redial:{d.conversation_id}"))
                interaction_convs[fname].add(d.conversation_id)
    interactions.sort(key=lambda i: (len(i.context), i.context, int(i.item_id) if i.item_id.isdigit() else 0, i.item_id))

    mined = mine_tags(contexts)
    tag_convs: dict[str, set[str]] = {f: set() for f in DIALOGUE_FILES}
    for cid in mined.conversation_ids:
        tag_convs[conv_file[cid]].add(cid)

    items: list[Item] = []
    rules: Counter[str] = Counter()
    genre_counts: Counter[str] = Counter()
    genre_sources: Counter[str] = Counter()
    genres_dropped: Counter[str] = Counter()
    genres_added: Counter[str] = Counter()
    tag_counts: Counter[str] = Counter()
    cmu_with_genres = 0
    for m in movies:
        # two ReDial rows have no title at all (" (2007)"): never join them to a film by an empty
        # normalised title; give them a neutral name so they stay addressable by id
        title = m.title.strip() or f"Untitled ReDial movie {m.movie_id}"
        placeholder = m.movie_id in placeholders
        match = index.match(m.title, m.year) if m.title.strip() and not placeholder else None
        row = None if placeholder else wiki.get(m.movie_id)
        year = m.year
        attributes: dict[str, Any] = {}
        if year is None and (year := wikipedia_year(row, match.movie.year if match else None)) is not None:
            # matched again with the year: a title-only CMU match of another year is another film (Moana ->
            # a 1926 documentary), and a name CMU holds several films under is now one (Home Alone 1990,
            # Star Wars 1977 -> Episode IV)
            attributes["year_source"] = "wikipedia"
            match = index.match(m.title, year)
        genres: tuple[str, ...] = ()
        if match is not None:
            genres = simplify_genres(match.movie.genres)
            rules[match.rule] += 1
            attributes.update({
                "cmu_wikipedia_id": match.movie.wikipedia_id,
                "cmu_title": match.movie.title,
                "cmu_year": match.movie.year,
                "cmu_genres": list(match.movie.genres),
                "genre_match": match.rule,
            })
            # "a Korean film", "nothing French": the CMU record's languages and countries (facts)
            if match.movie.languages:
                attributes["languages"] = list(match.movie.languages)
            if match.movie.countries:
                attributes["countries"] = list(match.movie.countries)
        cmu_with_genres += bool(genres)
        genres, unsupported = corroborated_genres(genres, row, match.movie.genres if match else ())
        if unsupported:
            attributes["cmu_genres_unsupported"] = list(unsupported)
            genres_dropped.update(unsupported)
        added = tuple(g for g in confirmed_wikipedia_genres(row) if g not in genres) if genres else ()
        if added:
            genres = tuple(g for g in CLEAN_GENRES if g in genres or g in added)
            attributes["wikipedia_genres_added"] = list(added)
            genres_added.update(added)
        attributes.update(item_knowledge(row, extractor.keywords(m.movie_id, MAX_KEYWORDS)))
        if genres:
            attributes["genre_source"] = "cmu"
        elif row is not None:
            # Wikipedia's genres only where CMU has none: one source per item keeps genres consistent
            genres, unsupported = corroborated_genres(map_wikipedia_genres(row.get("genres_wikipedia") or ()), row,
                                                      source="wikipedia")
            if unsupported:
                attributes["wikipedia_genres_unsupported"] = list(unsupported)
                genres_dropped.update(unsupported)
            if genres:
                attributes["genre_source"] = "wikipedia"
        if row is not None and is_family_animation(genres, row.get("extract")):
            genres = tuple(g for g in CLEAN_GENRES if g in genres or g == "family")
            attributes["family_from_producer"] = True
        if genres:
            genre_sources[attributes["genre_source"]] += 1
        tags = mined.tags.get(m.movie_id, ())
        if tags:
            attributes["tag_support"] = mined.support[m.movie_id]
        if placeholder:
            attributes["recommendable"] = False
        genre_counts.update(genres)
        tag_counts.update(tags)
        items.append(Item(m.movie_id, title, year, genres, tags, float(m.mentions),
                          describe(year, genres, tags), attributes))
    if texts is not None:
        texts.update(wiki_texts)

    with_genres = sum(1 for it in items if it.genres)
    coverage = round(with_genres / len(items), 4) if items else 0.0
    recent = [it for it in items if it.year and it.year >= 2013]
    label_counts = Counter(i.label for i in interactions)

    def having(key: str) -> int:
        return sum(1 for it in items if it.attributes.get(key))

    say(f"genre coverage {coverage:.1%} ({with_genres}/{len(items)}; CMU alone {cmu_with_genres}); "
        f"{sum(1 for it in items if it.tags)} movies with tags; {len(interactions)} interactions")
    meta: dict[str, Any] = {
        "name": "demo",
        "description": "ReDial's movies with CMU and Wikipedia genres, cast, directors and plot keywords from "
                       "Wikipedia, tags mined from ReDial training dialogues, seeker labels.",
        "licence": "CC BY-SA 4.0",
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "attribution": "See LICENSE.md in this folder.",
        "build_date": BUILD_DATE,
        "builder": "tools/catalog/demo_builder.py",
        "builder_version": BUILDER_VERSION,
        "sources": [
            {"name": "ReDial", "licence": "CC BY 4.0", "licence_url": "https://creativecommons.org/licenses/by/4.0/",
             "citation": REDIAL_CITATION,
             "files": {f: _sha256(redial_dir / f) for f in ("movies_with_mentions.csv", *DIALOGUE_FILES)}},
            {"name": "CMU Movie Summary Corpus", "licence": "CC BY-SA (4.0)",
             "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/", "citation": CMU_CITATION,
             "files": {"movie.metadata.tsv.gz": _sha256(cmu_path)}},
            {"name": "English Wikipedia", "licence": "CC BY-SA 4.0",
             "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/", "citation": WIKIPEDIA_CREDIT,
             "changes": WIKIPEDIA_CHANGES, "files": {WIKIPEDIA_FILE.name: _sha256(wiki_path)}},
        ],
        "genre_set": list(CLEAN_GENRES),
        "genre_coverage": coverage,
        "genre_stats": {
            "items_with_genres": with_genres,
            "items_with_cmu_genres": cmu_with_genres,
            "genre_sources": dict(sorted(genre_sources.items())),
            "genres_unsupported": dict(sorted(genres_dropped.items())),
            "genres_added_from_wikipedia": dict(sorted(genres_added.items())),
            "coverage_2013_and_later": round(sum(1 for it in recent if it.genres) / len(recent), 4) if recent else 0.0,
            "match_rules": dict(sorted(rules.items())),
            "genre_counts": dict(sorted(genre_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "knowledge_stats": {
            "items_with_wikipedia": having("wikipedia_url"),
            "items_with_plot_text": len(wiki_texts),
            **{f"items_with_{k}": having(k) for k in ("cast", "directors", "authors", "series", "studios", "languages", "countries",
                                                       "wiki_genres", "keywords")},
            "not_recommendable": sorted(it.item_id for it in items if not it.is_recommendable),
            "keyword_rule": "TF-IDF words and two-word phrases of the opening paragraph + plot; capitalised "
                            "(name-like) words and words in < 2 or > 20% of plots skipped; at most 12",
        },
        "tag_stats": {
            "items_with_tags": sum(1 for it in items if it.tags),
            "tag_assignments": sum(len(it.tags) for it in items),
            "distinct_tags": len(tag_counts),
            "tag_counts": dict(sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "rule": "allow-listed words around @mentions in the training dialogues only (train_partial.jsonl); "
                    ">= 2 conversations and >= 5% of the movie's conversations; top 8 per movie",
            "source_files": list(TAG_DIALOGUE_FILES),
        },
        "interaction_stats": {"interactions": len(interactions), "labels": dict(sorted(label_counts.items())),
                              "users": len({i.user_id for i in interactions})},
        "tag_conversation_ids": {f: _sorted_ids(ids) for f, ids in tag_convs.items()},
        "interaction_conversation_ids": {f: _sorted_ids(ids) for f, ids in interaction_convs.items()},
        "held_out": "The ReDial test split was not used for anything in this catalog.",
    }
    return items, interactions, meta


def _own_titles(item: Item) -> list[str]:
    """The names a film's Wikipedia text calls it by: its title, its article's ("Alien (film)" -> "Alien"), CMU's."""
    attrs = item.attributes or {}
    article = re.sub(r"\s*\([^)]*\)\s*$", "", str(attrs.get("wikipedia_title") or ""))
    return [item.title, article, str(attrs.get("cmu_title") or "")]


def _vector_texts(items: Sequence[Item], texts: dict[str, str]) -> list[str]:
    """What each item's vector is computed from: its Wikipedia text without its own title
    (``without_own_title``: a shared title word is no similarity), else its catalog text."""
    return [without_own_title(t, _own_titles(it)) if (t := texts.get(it.item_id)) else it.content_text()
            for it in items]


def build_demo_catalog(shared_dir: Path, out_dir: Path, progress: bool = True,
                       vectors: bool = True) -> dict[str, Any]:
    """Derive the catalog and write it atomically to ``out_dir``; returns a short summary.

    ``vectors=False`` skips the plot vectors (and leaves any existing vectors file alone).
    """
    texts: dict[str, str] = {}
    items, interactions, meta = derive_demo_catalog(shared_dir, progress=progress, texts=texts)
    data = b""
    summary_vectors: dict[str, Any] = {}
    if vectors:
        from tools.retrieval.item_vectors import build_item_vectors

        say = print if progress else (lambda *a, **k: None)
        say("computing plot vectors (reused when the inputs did not change) ...", file=sys.stderr)
        data, vmeta = build_item_vectors([it.item_id for it in items], _vector_texts(items, texts),
                                         [it.content_hash() for it in items], reuse_dir=Path(out_dir),
                                         progress=progress)
        summary_vectors = {"reused": vmeta.pop("reused"), "bytes": len(data)}
        vmeta["items_from_wikipedia_text"] = sum(1 for it in items if texts.get(it.item_id))
        meta["item_vectors"] = vmeta
    write_catalog(Path(out_dir), items, interactions, meta)
    if vectors:
        fd, tmp = tempfile.mkstemp(prefix=".vectors-", dir=out_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, Path(out_dir) / meta["item_vectors"]["file"])
    return {
        "out_dir": str(out_dir),
        "items": len(items),
        "interactions": len(interactions),
        "genre_coverage": meta["genre_coverage"],
        "items_with_tags": meta["tag_stats"]["items_with_tags"],
        "knowledge": {k: v for k, v in meta["knowledge_stats"].items() if k.startswith("items_")},
        "labels": meta["interaction_stats"]["labels"],
        "vectors": summary_vectors,
    }

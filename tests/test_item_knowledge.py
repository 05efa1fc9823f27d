"""Item knowledge from Wikipedia in the demo catalog: people, keywords, placeholders, plot vectors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tools.catalog.catalog import DEMO_CATALOG_DIR, Catalog, Item, load_catalog
from tools.catalog.demo_builder import is_placeholder
from tools.catalog.movie_genres import map_wikipedia_genres, wikipedia_genre_labels
from tools.catalog.tag_mining import KeywordExtractor
from tools.catalog.wikipedia_knowledge import clean_cast, split_directors, wikipedia_year
from tools.errors import InputError
from tools.retrieval.filters import CatalogFacets, SearchFilters
from tools.retrieval.item_vectors import (
    VECTORS_FILE,
    chunk_words,
    dequantise,
    item_vectors_bytes,
    load_item_vectors,
    precomputed_rows,
    quantise,
)


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


def _find(catalog: Catalog, title: str, year: int | None) -> Item:
    hits = [it for it in catalog.items if it.title == title and it.year == year]
    assert hits, f"{title} ({year}) not in the demo catalog"
    return hits[0]


# -- the shipped catalog: known answers ------------------------------------------------------

def test_known_films_have_directors_cast_keywords_and_a_link(demo) -> None:
    jaws = _find(demo, "Jaws", 1975)
    assert jaws.directors == ("Steven Spielberg",)
    assert {"Roy Scheider", "Robert Shaw", "Richard Dreyfuss"} <= set(jaws.cast)
    assert "shark" in jaws.keywords and len(jaws.keywords) <= 12
    assert jaws.attributes["wikipedia_url"].startswith("https://en.wikipedia.org/")
    assert jaws.attributes["wiki_genres"] == ["thriller", "adventure"]
    fargo = _find(demo, "Fargo", 1996)
    assert fargo.directors == ("Joel Coen", "Ethan Coen")  # the source says just "Joel"
    toy = _find(demo, "Toy Story", 1995)
    assert "Tom Hanks" in toy.cast and "voices of" not in toy.cast and len(toy.cast) <= 8
    text = toy.content_text()
    assert "Directed by John Lasseter" in text and "Tom Hanks" in text and "Keywords: " in text


def test_no_wikipedia_sentence_is_copied(demo) -> None:
    for it in demo.items:
        assert all(len(k.split()) <= 2 for k in it.keywords), it.keywords
        assert "plot" not in it.attributes and "extract" not in it.attributes


def test_wikipedia_genres_raise_coverage_only_where_cmu_has_none(demo) -> None:
    stats = demo.meta["genre_stats"]
    assert stats["items_with_genres"] > stats["items_with_cmu_genres"] >= 4800
    assert demo.meta["genre_coverage"] > 0.8
    bp = _find(demo, "Black Panther", 2018)  # after the 2012 CMU corpus: genres from Wikipedia
    assert bp.genres == ("superhero",) and bp.attributes["genre_source"] == "wikipedia"
    assert all(g in demo.meta["genre_set"] for it in demo.items for g in it.genres)
    nightmare = _find(demo, "A Nightmare on Elm Street", 1984)
    assert nightmare.attributes["genre_source"] == "cmu"


def test_placeholders_are_not_recommendable(demo) -> None:
    bad = {it.item_id for it in demo.items if not it.is_recommendable}
    assert bad == {"103034", "182022", "99027"}
    assert demo.get("103034").title == "Untitled ReDial movie 103034"
    assert not demo.is_recommendable("99027") and demo.is_recommendable(_find(demo, "Jaws", 1975).item_id)
    assert not demo.is_recommendable("no-such-id")
    assert Item("x", "Anything").is_recommendable  # no flag: recommendable


def test_tags_come_from_training_dialogues_only(demo) -> None:
    ids = demo.meta["tag_conversation_ids"]
    assert ids["valid_data.jsonl"] == [] and len(ids["train_partial.jsonl"]) > 100
    assert demo.meta["tag_stats"]["source_files"] == ["train_partial.jsonl"]


def test_wikipedia_is_credited(demo) -> None:
    names = [s["name"] for s in demo.meta["sources"]]
    assert "English Wikipedia" in names
    wiki = demo.meta["sources"][names.index("English Wikipedia")]
    assert wiki["licence"] == "CC BY-SA 4.0" and "wikipedia_url" in wiki["citation"] and wiki["changes"]
    licence = (DEMO_CATALOG_DIR / "LICENSE.md").read_text(encoding="utf-8")
    assert "Wikipedia" in licence and "wikipedia_url" in licence and "item_vectors.npz" in licence


# -- the shipped vectors -----------------------------------------------------------------------

def test_vectors_file_loads_aligned_and_normalised(demo) -> None:
    path = DEMO_CATALOG_DIR / VECTORS_FILE
    assert path.stat().st_size < 4_000_000
    ids, matrix = load_item_vectors(DEMO_CATALOG_DIR)
    assert ids == [it.item_id for it in demo.items]
    assert matrix.shape == (len(demo), 384) and matrix.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    rows = precomputed_rows(demo, 384)
    assert rows is not None and rows[1].all()  # every row was built for the shipped items
    jaws, jaws2, toy = (ids.index(_find(demo, t, y).item_id) for t, y in
                        (("Jaws", 1975), ("Jaws 2", 1978), ("Toy Story", 1995)))
    assert matrix[jaws] @ matrix[jaws2] > matrix[jaws] @ matrix[toy]
    with pytest.raises(FileNotFoundError):
        load_item_vectors(DEMO_CATALOG_DIR / "nowhere")


def test_a_shared_title_word_is_no_closeness_of_story(demo) -> None:
    """"I loved Alien and The Thing", then "none of those", showed Alien Dead (1980), a zombie film, "its
    story close to Alien": both texts opened with the word "Alien". Without the films' own titles in the
    vector text, Alien's story is closer to The Thing's and Event Horizon's than to Alien Dead's."""
    ids, matrix = load_item_vectors(DEMO_CATALOG_DIR)
    alien, dead, thing, horizon = (matrix[ids.index(_find(demo, t, y).item_id)] for t, y in
                                   (("Alien", 1979), ("Alien Dead", 1980), ("The Thing", 1982),
                                    ("Event Horizon", 1997)))
    assert alien @ thing > alien @ dead and alien @ horizon > alien @ dead


def test_the_own_title_leaves_the_vector_text() -> None:
    from tools.catalog.wikipedia_knowledge import without_own_title

    text = "Alien Dead is a 1980 film. It was made. In Alien Dead's finale, it eats Aliens."
    assert without_own_title(text, ["Alien Dead", "", "Alien Dead"]) == "is a 1980 film. It was made. In finale, it eats Aliens."
    # whole words as written: "It" (a title) spares "it"; a sequel's text keeps the first film's title
    assert without_own_title("It is a film based on it.", ["It"]) == "is a film based on it."
    assert without_own_title("Toy Story 2 follows Toy Story.", ["Toy Story 2"]) == "follows Toy Story."


def test_plot_query_finds_jaws_with_the_real_vectors(demo, embedder) -> None:
    """Pure vector search over the shipped plot vectors (what the index stores for the demo)."""
    ids, matrix = load_item_vectors(DEMO_CATALOG_DIR)
    q = embedder.embed_one("a shark terrorises a beach town")
    top = [ids[i] for i in np.argsort(-(matrix @ q), kind="stable")[:5]]
    assert _find(demo, "Jaws", 1975).item_id in top, [demo.get(i).title for i in top]


def test_edited_item_is_not_given_a_stale_vector(demo) -> None:
    items = list(demo.items)
    items[0] = dataclasses.replace(items[0], description="changed")
    edited = Catalog(tuple(items), name="demo", source_dir=DEMO_CATALOG_DIR)
    rows = precomputed_rows(edited, 384)
    assert rows is not None and not rows[1][0] and rows[1][1:].all()
    assert precomputed_rows(Catalog(tuple(items), name="mem"), 384) is None  # not loaded from a folder


# -- rules, on small inputs --------------------------------------------------------------------

def test_a_title_without_a_year_takes_its_wikipedia_year_only_when_the_row_is_trusted() -> None:
    article = {"wikipedia_title": "Zootopia", "wikipedia_year": 2016}
    assert wikipedia_year(article) == 2016
    by_name_only = {"wikipedia_title": None, "wikipedia_year": 1956}  # "The Naked Gun" -> another film
    assert wikipedia_year(by_name_only) is None
    assert wikipedia_year(by_name_only, cmu_year=1957) == 1956  # a second opinion within a year
    assert wikipedia_year(by_name_only, cmu_year=1988) is None
    assert wikipedia_year({"wikipedia_title": "X", "wikipedia_year": "1987"}) is None  # not a number
    assert wikipedia_year({"wikipedia_title": "X", "wikipedia_year": 3021}) is None
    assert wikipedia_year(None) is None


def test_yearless_redial_titles_get_their_year_in_the_demo_catalog(demo) -> None:
    by_title = {it.title: it for it in demo.items if it.attributes.get("year_source") == "wikipedia"}
    assert by_title["Dirty Dancing"].year == 1987
    assert by_title["Zootopia"].year == 2016
    assert by_title["Dirty Dancing"].display_title == "Dirty Dancing (1987)"
    # a title-only CMU match of another year was another film and is dropped with its genres
    moana = next(it for it in demo.items if it.title == "Moana" and it.attributes.get("year_source"))
    assert moana.year == 2016 and "cmu_year" not in moana.attributes and "documentary" not in moana.genres
    assert sum(1 for it in demo.items if it.year is None) < 250
    # a name the CMU corpus holds several films under is one film once the year is known: the yearless
    # "Star Wars" row (141 mentions) is Episode IV, with its genres
    star_wars = by_title["Star Wars"]
    assert star_wars.year == 1977 and star_wars.attributes["cmu_year"] == 1977
    assert {"adventure", "science fiction"} <= set(star_wars.genres)


def test_people_cleaning_and_director_splitting() -> None:
    assert split_directors("Joel and Ethan Coen") == ["Joel Coen", "Ethan Coen"]
    assert split_directors("Steve Box, Nick Park") == ["Steve Box", "Nick Park"]
    assert split_directors("Terry Jones & Terry Gilliam") == ["Terry Jones", "Terry Gilliam"]
    assert split_directors(None) == []
    assert clean_cast(["voices of", "Tom Hanks", "Tim Allen (voice)", "Tom Hanks", "with"]) == ["Tom Hanks", "Tim Allen"]
    assert len(clean_cast([f"Actor Number{chr(65 + i)}" for i in range(12)])) == 8
    assert is_placeholder("") and is_placeholder("Untitled ReDial movie 1")
    assert is_placeholder("Production of Avengers: Infinity War and the untitled Avengers sequel")
    assert not is_placeholder("M") and not is_placeholder("Unknown")


def test_wikipedia_genre_mapping() -> None:
    assert wikipedia_genre_labels(["Spy/Action", "Comedy", "comedy"]) == ("spy", "action", "comedy")
    assert map_wikipedia_genres(["Animated", "Noir"]) == ("animation", "crime", "mystery")
    assert map_wikipedia_genres(["crime thriller", "Sport"]) == ("crime", "thriller", "sports")
    assert map_wikipedia_genres(["Independent", "Silent", "Supernatural"]) == ()


def test_keywords_are_content_words_not_names() -> None:
    plots = {
        "jaws": "Chief Brody hunts a shark. The shark attacks the beach. Brody and Hooper chase the shark "
                "on a boat.",
        "a": "A family moves to a farm. The family has a dog on the farm.",
        "b": "A boat sinks near the beach. Divers find the boat.",
        "c": "A shark and a whale meet. The shark swims. Brody is a name in this text too.",
        "d": "Two farm dogs run away from the farm.",
    }
    kw = KeywordExtractor(plots)
    got = kw.keywords("jaws", k=3)
    assert got[0] == "shark" and "brody" not in got and "hooper" not in got
    assert kw.keywords("a", k=2) == KeywordExtractor(dict(reversed(plots.items()))).keywords("a", k=2)
    assert kw.keywords("missing") == ()


def test_quantised_vectors_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(1)
    m = rng.normal(size=(5, 384)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    q, scale = quantise(m)
    back = dequantise(q, scale)
    assert (np.sum(back * m, axis=1) > 0.9999).all()
    blob = item_vectors_bytes(list("abcde"), q, scale, ["h"] * 5, "fp")
    assert blob == item_vectors_bytes(list("abcde"), q, scale, ["h"] * 5, "fp")  # no timestamps
    (tmp_path / VECTORS_FILE).write_bytes(blob)
    ids, mat = load_item_vectors(tmp_path)
    assert ids == list("abcde") and np.allclose(mat, back)
    assert chunk_words("w " * 450, size=200, max_chunks=2) == ["w " * 199 + "w", "w " * 199 + "w"]


# -- the people facet ------------------------------------------------------------------------------

def _people_items() -> list[Item]:
    return [
        Item("1", "Big", 1988, ("comedy",), attributes={"cast": ["Tom Hanks", "Elizabeth Perkins"],
                                                        "directors": ["Penny Marshall"]}),
        Item("2", "Jaws", 1975, ("thriller",), attributes={"cast": ["Roy Scheider"], "directors": ["Steven Spielberg"]}),
        Item("3", "Catch Me If You Can", 2002, ("crime",),
             attributes={"cast": ["Leonardo DiCaprio", "Tom Hanks"], "directors": ["Steven Spielberg"]}),
        Item("4", "Amélie", 2001, ("romance",), attributes={"cast": ["Audrey Tautou"],
                                                           "directors": ["Jean-Pierre Jeunet"]}),
        Item("5", "Untitled", None),
    ]


def test_people_filter_mask_known_answers() -> None:
    facets = CatalogFacets(_people_items())

    def rows(**kw) -> set[int]:
        return set(np.flatnonzero(facets.mask(SearchFilters(**kw))).tolist())

    assert rows(people=("tom hanks",)) == {0, 2}
    assert rows(people=("TOM  HANKS",)) == {0, 2}
    assert rows(people=["Spielberg"]) == {1, 2}  # a run of whole words of the name
    assert rows(people=("Roy Scheider", "Audrey Tautou")) == {1, 3}  # any of them
    assert rows(people=("jean pierre jeunet",)) == {3}  # accents and hyphens folded
    assert rows(people=("Tom Hanks",), year_min=2000) == {2}
    assert SearchFilters.from_dict({"people": ["Tom Hanks"]}).needs_mask
    with pytest.raises(InputError, match="did you mean 'tom hanks'"):
        facets.mask(SearchFilters(people=("Tom Hankss",)))
    with pytest.raises(InputError, match="names"):
        SearchFilters(people=("",))


def test_people_filter_in_search(tmp_path, embedder) -> None:
    from tools.retrieval.retriever import open_retriever
    from tools.retrieval.vector_index import build_index, open_chroma_client

    cat = Catalog(tuple(_people_items()), name="people")
    client = open_chroma_client("embedded", tmp_path)
    build_index(cat, client, "people", embedder, progress=False)
    r = open_retriever(cat, client=client, collection_name="people", embedder=embedder)
    hits = r.search("a funny movie", {"people": ["Tom Hanks"]}, k=5)
    assert {h.item_id for h in hits} == {"1", "3"}
    assert {h.item_id for h in r.search("shark", SearchFilters(people=("steven spielberg",)), k=5)} == {"2", "3"}
    doc = client.get_collection("people").get(ids=["3"], include=["documents"])["documents"][0]
    assert "Directed by Steven Spielberg" in doc and "Starring Leonardo DiCaprio, Tom Hanks" in doc


def test_unchanged_inputs_reuse_the_vectors_file(tmp_path) -> None:
    """The builder keeps the stored vectors when model, rules and texts are unchanged (no embedding)."""
    from tools.retrieval.embeddings import MODEL_NAME
    from tools.retrieval.item_vectors import build_item_vectors, fingerprint

    ids, texts = ["a", "b"], ["a film about a shark", "a film about toys"]
    q, scale = quantise(np.eye(2, 384, dtype=np.float32))
    (tmp_path / VECTORS_FILE).write_bytes(item_vectors_bytes(ids, q, scale, ["old", "old"],
                                                             fingerprint(MODEL_NAME, ids, texts)))
    blob, meta = build_item_vectors(ids, texts, ["new1", "new2"], reuse_dir=tmp_path)
    assert meta["reused"] is True
    assert blob == item_vectors_bytes(ids, q, scale, ["new1", "new2"], fingerprint(MODEL_NAME, ids, texts))
    assert fingerprint(MODEL_NAME, ids, ["a film about a whale", texts[1]]) != meta["fingerprint"]


def test_an_animated_film_of_a_childrens_studio_is_a_family_film_unless_called_adult() -> None:
    from tools.catalog.family_animation import is_family_animation

    pets = ("The Secret Life of Pets is a 2016 American computer-animated comedy film produced by Illumination "
            "Entertainment and distributed by Universal Pictures.")
    assert is_family_animation(("animation", "comedy"), pets)
    sausage = ("Sausage Party is a 2016 adult computer-animated black comedy film produced by Annapurna "
               "Pictures and Sony Pictures Animation.")
    assert not is_family_animation(("animation", "comedy"), sausage)  # called adult animation
    anomalisa = "Anomalisa is a 2015 American adult stop motion animated psychological comedy-drama film."
    assert not is_family_animation(("animation", "comedy"), anomalisa)
    akira = "Akira is a 1988 Japanese animated cyberpunk action film directed by Katsuhiro Otomo."
    assert not is_family_animation(("animation", "science fiction"), akira)  # no children's studio named
    live = "Beauty and the Beast is a 2017 American musical romantic fantasy film produced by Walt Disney Pictures."
    assert not is_family_animation(("fantasy", "musical"), live)  # not animated
    assert not is_family_animation(("animation",), None)
    # the studios table says which studios make children's animation: "produced by Illumination" credits the
    # studio a user can ask for by name, and makes its animated film a family film
    from tools.catalog.film_studios import credits_childrens_animation, film_studios
    minions = "Minions is a 2015 American computer-animated comedy film produced by Illumination for Universal Pictures."
    assert film_studios(minions) == ["Illumination"] and is_family_animation(("animation", "comedy"), minions)
    # a credit nobody asks for by name still counts (a children's television series), but is no studio
    rugrats = "The Rugrats Movie is a 1998 animated film based on the Nickelodeon animated television series Rugrats."
    assert film_studios(rugrats) == [] and credits_childrens_animation(rugrats)
    assert not credits_childrens_animation("Heat is a 1995 crime film produced by Warner Bros.")


def test_recent_childrens_animation_is_family_in_the_demo_catalog(demo) -> None:
    by_title = {it.title: it for it in demo.items}
    for title in ("The Secret Life of Pets", "Despicable Me 3", "The Emoji Movie", "Toy Story 4"):
        assert "family" in by_title[title].genres, title
    for title in ("Sausage Party", "Anomalisa"):
        assert "family" not in by_title[title].genres, title

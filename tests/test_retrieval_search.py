"""Known-answer search tests on the small catalog, against embedded Chroma AND a real Chroma server."""

from __future__ import annotations

import pytest

from tests.fixtures_retrieval import HORROR_IDS, small_items
from tools.errors import InputError, NotFoundError
from tools.retrieval.retriever import ItemHit, SearchFilters


@pytest.fixture(scope="module", params=["embedded", pytest.param("server", marks=pytest.mark.chroma_server)])
def any_retriever(request, retrieval_catalog, embedder):
    """The same retriever API over an embedded store and over ``chroma run`` (HttpClient)."""
    if request.param == "embedded":
        return request.getfixturevalue("retriever")
    from tools.retrieval.retriever import build_index, open_chroma_client, open_retriever

    host, port = request.getfixturevalue("chroma_server")
    client = open_chroma_client("server", host=host, port=port)
    report = build_index(retrieval_catalog, client, "items_server", embedder, progress=False)
    assert report.embedded == len(retrieval_catalog)
    return open_retriever(retrieval_catalog, client=client, collection_name="items_server", embedder=embedder)


@pytest.mark.parametrize("item", small_items(), ids=lambda it: it.title)
def test_own_title_is_top1(any_retriever, item):
    hits = any_retriever.search(item.title, k=3)
    assert hits[0].item_id == item.item_id
    assert "title" in hits[0].matched_fields


def test_hits_are_typed_and_scored(any_retriever):
    hits = any_retriever.search("Toy Story", k=5)
    assert all(isinstance(h, ItemHit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].vector_score is not None and 0.0 < hits[0].vector_score <= 1.0001
    assert hits[0].lexical_score is not None and hits[0].lexical_score > 0
    # the sequel is the natural runner-up
    assert hits[1].item_id == "2"
    assert len({h.item_id for h in hits}) == len(hits)


def test_scary_queries_return_horror(any_retriever):
    hits = any_retriever.search("a scary movie that will give me nightmares", k=5)
    assert sum(h.item_id in HORROR_IDS for h in hits) >= 4, [h.title for h in hits]
    hits = any_retriever.search("scary movie like A Nightmare on Elm Street", k=6)
    assert hits[0].item_id == "4"
    assert sum(h.item_id in HORROR_IDS for h in hits) >= 5, [h.title for h in hits]


def test_semantic_match_without_shared_words(any_retriever):
    hits = any_retriever.search("underwater animated adventure with a lost fish", k=3)
    assert hits[0].item_id == "3"  # Finding Nemo
    assert "semantic" in hits[0].matched_fields


def test_tag_filters_are_honoured(any_retriever, retrieval_catalog):
    hits = any_retriever.search("a fun movie", SearchFilters(tags_include=("Pixar",)), k=10)
    assert {h.item_id for h in hits} == {"1", "2", "3", "31"}
    hits = any_retriever.search("scary", SearchFilters(tags_exclude=("slasher", "clown")), k=10)
    assert hits and all(
        not {"slasher", "clown"} & set(retrieval_catalog.get(h.item_id).tags) for h in hits
    )
    both = any_retriever.search("movie", SearchFilters(tags_include=("scary", "classic")), k=10)
    assert [h.item_id for h in both] == ["38"]  # The Exorcist is the only scary classic


def test_genre_filter_any_of(any_retriever, retrieval_catalog):
    hits = any_retriever.search("something good", SearchFilters(genres_include=("war", "sport")), k=10)
    assert {h.item_id for h in hits} == {"13", "14", "37"}


def test_exclusions_are_honoured(any_retriever):
    first = any_retriever.search("Toy Story", k=5)
    hits = any_retriever.search("Toy Story", exclude_ids={"1", "2"}, k=5)
    assert not {"1", "2"} & {h.item_id for h in hits}
    assert first[0].item_id == "1"
    # unknown ids are ignored, not an error
    assert any_retriever.search("Toy Story", exclude_ids=["nope"], k=1)[0].item_id == "1"


def test_year_filters_are_honoured(any_retriever, retrieval_catalog):
    hits = any_retriever.search("scary", SearchFilters(year_min=2010, year_max=2017), k=10)
    assert hits
    assert all(2010 <= retrieval_catalog.get(h.item_id).year <= 2017 for h in hits)
    assert {"6", "7", "32"} <= {h.item_id for h in hits}  # Conjuring, It, Get Out
    old = any_retriever.search("Toy Story", SearchFilters(year_max=1980), k=5)
    assert all(retrieval_catalog.get(h.item_id).year <= 1980 for h in old)


def test_popularity_band(any_retriever, retrieval_catalog):
    hits = any_retriever.search("movie", SearchFilters(popularity_band="popular"), k=10)
    pops = sorted(it.popularity for it in retrieval_catalog.items)
    assert hits and all(retrieval_catalog.get(h.item_id).popularity >= pops[int(0.9 * len(pops)) - 1] for h in hits)


def test_filters_from_dict_and_empty_result(any_retriever):
    hits = any_retriever.search("scary", {"genres_include": ["Horror"], "year_max": 1979}, k=10)
    assert {h.item_id for h in hits} == {"5", "18", "38"}  # Halloween, Alien, The Exorcist
    assert any_retriever.search("scary", {"genres_include": ["Horror"], "year_min": 2099}, k=10) == []


def test_similar_items(any_retriever):
    hits = any_retriever.similar("4", k=5)  # A Nightmare on Elm Street
    assert "4" not in {h.item_id for h in hits}
    assert sum(h.item_id in HORROR_IDS for h in hits) >= 3, [h.title for h in hits]
    assert hits[0].matched_fields[0] == "semantic"
    pixar = any_retriever.similar("1", k=3, filters=SearchFilters(tags_include=("pixar",)), exclude_ids=["2"])
    assert {h.item_id for h in pixar} == {"3", "31"}
    with pytest.raises(NotFoundError, match="not in the catalog"):
        any_retriever.similar("999", k=3)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"year_min": 2000, "year_max": 1990}, "swap them"),
        ({"popularity_band": "mega"}, "niche, known, popular"),
        ({"year_min": "soon"}, "year like 1995"),
        ({"year_min": 3000}, "plausible year"),
        ({"tags_include": [""]}, "non-empty strings"),
        ({"colour": "red"}, "valid filters are"),
        ({"tags_include": ["scary"], "tags_exclude": ["Scary"]}, "both included and excluded"),
        ({"popularity_min": 0.9, "popularity_max": 0.1}, "swap them"),
    ],
)
def test_malformed_filters_give_clear_errors(bad, match):
    with pytest.raises(InputError, match=match):
        SearchFilters.from_dict(bad)


def test_unknown_genre_or_tag_suggests_fix(retriever):
    with pytest.raises(InputError, match="did you mean 'horror'"):
        retriever.search("x", SearchFilters(genres_include=("Horor",)))
    # excluding a tag nobody has is harmless
    assert retriever.search("Toy Story", SearchFilters(tags_exclude=("zzz-none",)), k=1)[0].item_id == "1"


@pytest.mark.parametrize("kwargs, match", [
    ({"query": ""}, "non-empty"),
    ({"query": "x" * 5000}, "shorten"),
    ({"query": "ok", "k": 0}, "between 1 and"),
    ({"query": "ok", "exclude_ids": "1"}, "list of item ids"),
])
def test_bad_search_arguments(retriever, kwargs, match):
    with pytest.raises(InputError, match=match):
        retriever.search(**kwargs)


def test_query_embedding_cache(retriever):
    retriever.search("a cached query about dinosaurs", k=1)
    assert "a cached query about dinosaurs" in retriever._cache
    hits = retriever.search("a cached   query about dinosaurs", k=1)  # whitespace-normalised hit
    assert hits[0].item_id == "25"


def test_vector_only_mode(retrieval_catalog, embedded_index, embedder):
    from tools.retrieval.retriever import open_retriever

    path, name = embedded_index
    r = open_retriever(retrieval_catalog, chroma_path=path, collection_name=name, embedder=embedder, hybrid=False)
    hits = r.search("scary haunted house with demons", k=3)
    assert hits[0].item_id in HORROR_IDS
    assert all(h.lexical_score is None and h.matched_fields == ("semantic",) for h in hits)


@pytest.mark.parametrize("mode", ["where", "mask"])
def test_filter_modes_agree(retrieval_catalog, embedded_index, embedder, mode):
    """Chroma-side ``where`` and in-memory mask filtering return the same filtered items."""
    from tools.retrieval.retriever import ChromaRetriever
    from tools.retrieval.vector_index import open_chroma_client, open_collection

    path, name = embedded_index
    col = open_collection(open_chroma_client("embedded", path), name, embedder, retrieval_catalog)
    r = ChromaRetriever(retrieval_catalog, col, embedder, filter_mode=mode)
    hits = r.search("scary", SearchFilters(year_min=1990, popularity_max=0.8), k=40)
    expected = {it.item_id for it in retrieval_catalog.items if it.year >= 1990 and it.popularity <= 0.8}
    assert {h.item_id for h in hits} == expected
    with pytest.raises(InputError, match="filter_mode"):
        ChromaRetriever(retrieval_catalog, col, embedder, filter_mode="fast")

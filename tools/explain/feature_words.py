"""The ranker's features in words a user reads.

Why here and not beside the feature list (tools/recsys/features.py): these are explanation text.
"Why the second one?" names what lifted a card most in the ranking (agent/turn/acts.py), and a
user must read "its place among films mentioned with yours", not "rank_comention". A test keeps
this list complete: a new feature needs its words.
"""

from __future__ import annotations

#: each feature in words a user reads ("why the second one?" names what lifted a card most); a
#: contribution is signed, so the words say what the feature measures, not that it was high
FEATURE_WORDS: dict[str, str] = {
    "cosuggest": "how often it was suggested after films you liked, in past conversations",
    "cosuggest_max": "how often it was suggested after one film you liked",
    "comention": "how often people mention it together with films you liked",
    "cosuggest_disliked": "how often it was suggested after a film you disliked",
    "cosuggest_recent": "how often it was suggested after the film you just named",
    "comention_recent": "how often people mention it with the film you just named",
    "content_recent": "how close its story is to the film you just named",
    "cosuggest_lift": "how much more often than usual it was suggested after your films",
    "graph": "how much people with your taste liked it (graph model)",
    "graph_max": "how close it is to one film you liked (graph model)",
    "graph_recent": "how close it is to the film you just named (graph model)",
    "graph_disliked": "how close it is to a film you disliked (graph model)",
    "content": "how close its story is to the films you liked",
    "content_mean": "how close its story is to all the films you liked",
    "query": "how well its description matches your words",
    "content_disliked": "how close its story is to a film you disliked",
    "suggested_prior": "how often it is suggested at all",
    "mentioned_prior": "how often it is mentioned at all",
    "suggest_rate": "how often it is suggested when it comes up",
    "rank_cosuggest": "its place among films suggested after yours",
    "rank_comention": "its place among films mentioned with yours",
    "rank_graph": "its place in the graph model's list for you",
    "rank_content": "its place among films with stories like yours",
    "rank_query": "its place among films matching your words",
    "rank_attributes": "its place among films with the genres and people you asked for",
    "genre_request_match": "having the genre you asked for",
    "genre_request_miss": "the genres you asked for that it lacks",
    "genre_liked_overlap": "the genres it shares with films you liked",
    "genre_novel_share": "how many of its genres are new to you",
    "genre_disliked_overlap": "the genres it shares with films you disliked",
    "people_request_match": "having the people you asked for",
    "people_liked_overlap": "the cast or director it shares with films you liked",
    "year": "its release year",
    "year_gap": "how far its year is from your films'",
    "in_year_range": "being from the years you asked for",
    "n_context": "how many films you have told me about",
    "n_liked": "how many films you liked",
    "talk": "how often it was suggested to people who asked in words like yours",
    "rank_talk": "its place among films suggested to people who asked like you",
    "rank_people": "its place among films with people from the films you liked",
    "talk_lift": "how much more often than usual it was suggested to people who asked like you",
}


def feature_words(name: str) -> str:
    """A feature in words (the name, spaced, for one not listed)."""
    return FEATURE_WORDS.get(name, name.replace("_", " "))

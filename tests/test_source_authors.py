""""a Stephen King movie" listed Black Panther: the authors of the books films are based on are people too."""

from __future__ import annotations

import pytest

from tools.catalog.catalog import Item
from tools.catalog.source_authors import source_authors
from tools.catalog.wikipedia_knowledge import item_knowledge
from tools.recsys.item_space import item_people
from tools.resolve.people import PeopleIndex


@pytest.mark.parametrize(("extract", "authors"), [
    ("Misery is a 1990 American psychological thriller film directed by Rob Reiner, based on Stephen King's 1987 "
     "novel of the same name.", ["Stephen King"]),
    ("The Mist is a 2007 American science-fiction horror film based on the 1980 novella The Mist by Stephen King.",
     ["Stephen King"]),
    ("The Great Gatsby is a 2013 drama film based on the 1925 novel of the same name by F. Scott Fitzgerald. "
     "The film was co-written and directed by Baz Luhrmann.", ["F. Scott Fitzgerald"]),
    ("Charlotte's Web is a 1973 animated film based on the novel by E. B. White. Directed by Charles Nichols.",
     ["E. B. White"]),
    ("The Wizard of Oz is a 1939 film. An adaptation of L. Frank Baum's 1900 children's fantasy novel The Wonderful "
     "Wizard of Oz, the film was primarily directed by Victor Fleming.", ["L. Frank Baum"]),
    ("Dear John is a 2010 romantic drama film based on the 2006 novel of the same name by American author "
     "Nicholas Sparks.", ["Nicholas Sparks"]),
    # a "by" that names the director, the cast, the music or a publisher is no author
    ("A Time to Kill is a 1996 legal drama film. It is based on John Grisham's 1989 novel of the same name. It is "
     "the second of two films based on Grisham's novels directed by Joel Schumacher.", ["John Grisham"]),
    ("Stardust is a 2007 fantasy film based on Neil Gaiman's novel of the same name, it features an ensemble "
     "cast led by Claire Danes.", ["Neil Gaiman"]),
    ("Stand by Me is a 1986 film. Based on Stephen King's 1982 novella The Body, with the title deriving from the "
     "song of the same name by Ben E. King.", ["Stephen King"]),
    ("Iron Man is a 2008 superhero film based on the Marvel Comics character of the same name.", []),
    ("Heat is a 1995 crime film written and directed by Michael Mann.", []),
    ("", []),
])
def test_the_authors_of_a_films_source(extract, authors):
    assert source_authors(extract) == authors


def test_an_author_is_one_of_the_films_people():
    facts = item_knowledge({"extract": "Carrie is a 1976 horror film adapted from Stephen King's 1974 epistolary "
                                       "novel of the same name.", "cast": ["Sissy Spacek"], "director": "Brian De Palma",
                            "wikipedia_url": "u"}, [])
    assert facts["authors"] == ["Stephen King"]
    carrie = Item("1", "Carrie", 1976, attributes=facts)
    assert carrie.authors == ("Stephen King",) and carrie.people == ("Brian De Palma", "Sissy Spacek", "Stephen King")
    assert "stephen king" in item_people(carrie)
    people = PeopleIndex([carrie, Item("2", "Heat", 1995, attributes={"cast": ["Al Pacino"]})])
    [match] = people.find("a Stephen King movie please")
    assert (match.name, match.role) == ("Stephen King", "author")

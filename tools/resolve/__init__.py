"""Finding catalog titles and people named in free text (title resolver, people index, the lexical title index)."""

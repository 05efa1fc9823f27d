"""Catalog and interaction data: the typed catalog, the shipped demo catalog and its builder, importers for your own, genres and mined tags."""

"""Loaders for the public datasets in ../shared/data (ReDial, Gowalla)."""

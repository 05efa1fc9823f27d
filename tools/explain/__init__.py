"""Evidence and explanations: claims read off the ranker, templates, LLM text, and the checkers."""

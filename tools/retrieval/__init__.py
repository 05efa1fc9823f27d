"""Content retrieval: the Retriever seam and its Chroma implementation, filters, embeddings and item vectors."""

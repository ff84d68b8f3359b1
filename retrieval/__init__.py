"""Finding knowledge: embeddings, FAISS and BM25 indexes, hybrid fusion, graph expansion."""

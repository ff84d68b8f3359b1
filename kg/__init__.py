"""The knowledge graph: ontology, Neo4j schema, GraphStore, queries, RDF, the local server."""

"""The knowledge graph: ontology, Neo4j schema, GraphStore, queries, RDF import/export, local server."""

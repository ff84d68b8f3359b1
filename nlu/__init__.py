"""Chinese NLP: spaCy pipeline, entity and relation extraction, ticket slots, routing, PII."""

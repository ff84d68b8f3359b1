"""Readers for every source and the pipeline that turns them into graph facts; the demo city."""

"""One agent per persona; each keeps its dialogues and calls only its persona's tools."""

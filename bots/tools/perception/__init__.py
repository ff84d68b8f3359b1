"""Perception engines: water-gauge reading, smoke and fire, zone intrusion.

Each engine is a function over an image (encoded bytes or a BGR ``numpy`` array) or a short
sequence of frames, by classical vision (OpenCV), returning a typed pydantic result with a
``status`` (``ok`` or ``cannot_read``), a confidence, its wall time and a Chinese message.
Bad input (corrupt, empty, huge, not an image) raises :class:`.images.ImageError`. The
``*_render`` modules draw synthetic scenes with known answers for tests and benchmarks;
:mod:`.tools` wraps the engines as LangChain tools for the emergency persona.
"""

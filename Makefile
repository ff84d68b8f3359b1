# The two commands of the README: `make run` (the service with the demo city) and `make test`.
# Both install everything they need into .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install run test lint system-deps bench

# llama-cpp-python is compiled for any x86-64 CPU with AVX2, not for this one: the native
# build (AVX-512, AMX) crashed on its second answer on a Xeon with AMX. It is built first,
# without pip's cache (which may hold a native build), at the version pyproject.toml asks for.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir --no-deps \
	  "$$(grep -o 'llama-cpp-python[^"]*' pyproject.toml | head -1)"
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Java 17 and Maven build and run the local Neo4j; Chromium drives the browser tests;
# g++ compiles llama-cpp-python (the local LLM server), which PyPI ships as source only.
system-deps:
	@command -v java >/dev/null && command -v mvn >/dev/null && command -v chromium >/dev/null \
	  && command -v g++ >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      openjdk-17-jdk-headless maven chromium g++ >/dev/null; \
	  else echo "please install Java 17, Maven, Chromium and g++ (Debian: openjdk-17-jdk-headless maven chromium g++)"; exit 1; fi; }

run: install system-deps
	$(VENV)/bin/cityagent serve

test: lint system-deps
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kg ingest nlu bots retrieval ui

bench: install
	$(PY) -m pytest -o addopts="" tests/bench -s

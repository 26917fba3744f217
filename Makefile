# Two commands set up everything: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz dot bench clean docs

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check -e '.[dev,plot,mpi,examples,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

test: $(STAMP) dot
	$(PY) -m pytest

# The fuzzers at full strength (CI runs them smaller, with the same fixed seed, in `make test`).
fuzz: $(STAMP)
	MINITF_FUZZ_CALLS=100000 MINITF_FUZZ_EXAMPLES=20000 $(PY) -m pytest tests/fuzz

# The graphviz tests render with the `dot` program: install it when missing and root.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else echo "dot is missing: install graphviz (apt-get install graphviz)"; exit 1; fi; }

# Every speed benchmark, minitf beside numpy and (when installed) PyTorch in one process.
BENCHMARKS := op_overhead mlp_step import_order sparse_embedding transformer_block cnn_step \
	optimizer_step cold_start separate_processes function_step vectorized_map distributed_step
bench: $(STAMP)
	@for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; \
	  (cd benchmarks && ../$(PY) $$b.py) || exit 1; done

# The documentation site, from docs/ and the docstrings, into site/ (fails on any warning).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) build *.egg-info

# Two entry points for a fresh machine:
#   make demo   run the decommission playbook against the embedded sandbox, twice
#   make test   run every test
# Both create the virtual environment (.venv, Python 3.12, pinned requirements) first.

PYTHON ?= $(shell p=$$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python3; \
            [ -x "$$p" ] && echo "$$p" || command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# The oldest ansible-core that meta/runtime.yml admits, tested in its own environment.
VENV_OLDEST := .venv-2.19
COLLECTIONS := .build/collections
LINK := $(COLLECTIONS)/ansible_collections/wpcom/jetpack
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test gates unit e2e venv venv-oldest clean

venv: $(VENV)/.installed $(LINK)

venv-oldest: $(VENV_OLDEST)/.installed $(LINK)

$(VENV_OLDEST)/.installed: requirements-2.19.txt requirements.txt
	$(PYTHON) -m venv $(VENV_OLDEST)
	$(VENV_OLDEST)/bin/python -m pip install --disable-pip-version-check \
	  -r requirements-2.19.txt > $(VENV_OLDEST)/pip.log 2>&1 \
	  || { tail -30 $(VENV_OLDEST)/pip.log; exit 1; }
	touch $@

$(VENV)/.installed: requirements-dev.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt \
	  > $(VENV)/pip.log 2>&1 || { tail -30 $(VENV)/pip.log; exit 1; }
	touch $@

# Ansible finds the collection by its name only inside an ansible_collections tree.
$(LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

demo: venv
	$(BIN)/python sandbox/demo.py

# Every gate (pytest, ansible-lint, ansible-test sanity/units/integration, molecule, the
# built tarball, the execution environment) on the newest and the oldest ansible-core.
test: venv venv-oldest
	$(BIN)/python tests/ci.py --venv $(VENV) --venv $(VENV_OLDEST)

# One or more gates on the newest ansible-core only, e.g. `make gates ONLY=sanity,lint`.
gates: venv
	$(BIN)/python tests/ci.py --venv $(VENV) $(if $(ONLY),--only $(ONLY))

unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit

e2e: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/e2e

clean:
	rm -rf $(VENV) $(VENV_OLDEST) .build .sandbox tests/output

# Two entry points for a fresh machine:
#   make demo   run the decommission playbook against the embedded sandbox, twice
#   make test   run every test
# Both create the virtual environment (.venv, Python 3.12, pinned requirements) first.

PYTHON ?= $(shell p=$$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python3; \
            [ -x "$$p" ] && echo "$$p" || command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
COLLECTIONS := .build/collections
LINK := $(COLLECTIONS)/ansible_collections/wpcom/jetpack
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test unit e2e venv clean

venv: $(VENV)/.installed $(LINK)

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

test: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit tests/e2e

unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit

e2e: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/e2e

clean:
	rm -rf $(VENV) .build .sandbox tests/output

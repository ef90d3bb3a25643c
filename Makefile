# ganbook: `make book` builds the HTML book, `make test` runs every test. Both set up what
# they need (virtualenv, packages, data, offline JavaScript) on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ganbook-installed
DATA   := data/mnist10k.npz
VENDOR := _vendor/.complete
# Offline copies of the JavaScript the rendered book needs (served from _build/html/_static).
MATHJAX      := mathjax@3.2.2
HTML_MANAGER := @jupyter-widgets/html-manager@1.0.15
REQUIREJS    := requirejs@2.3.8
# Hangul web font (Nanum Gothic, SIL Open Font License), served from _static/fonts so that the
# Korean edition renders on machines without a Hangul font and with the network off.
NANUM        := @fontsource/nanum-gothic@5.3.0
FONTS        := _vendor/fonts/.complete
# The Korean edition: its sources are generated from the English notebooks and i18n/ko/
# (python -m booktools.i18n), built beside the English book into _build/html/ko.
JB     := $(VENV)/bin/jupyter-book
KO_SRC := _build/ko/src
KO_OUT := _build/ko

.PHONY: help setup book book-html chromium execute lab test bench clean
.DEFAULT_GOAL := help

help:
	@echo "make book     build the HTML book into _build/html, Korean edition in _build/html/ko"
	@echo "make test     unit tests + nbval on every notebook + browser test (sets up first)"
	@echo "make execute  re-run every notebook in place, in _toc.yml order"
	@echo "make lab      open the notebooks in JupyterLab"
	@echo "make bench    measure training throughput (python -m booktools.bench --help)"
	@echo "make clean    remove the build, caches and vendored JavaScript (keeps .venv and data)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ganbook)" >/dev/null
	@touch $@

$(DATA): $(STAMP)
	$(PY) -m ganbook.data

$(VENDOR):
	@command -v npm >/dev/null || { echo "npm is needed to fetch MathJax and the widget manager (Debian: apt-get install npm)"; exit 1; }
	rm -rf _vendor && mkdir -p _vendor/.pack
	cd _vendor/.pack && npm pack --silent $(MATHJAX) $(HTML_MANAGER) $(REQUIREJS) >/dev/null
	cd _vendor/.pack && for t in *.tgz; do mkdir -p "$${t%.tgz}" && tar xzf "$$t" -C "$${t%.tgz}"; done
	mkdir -p _vendor/mathjax _vendor/html-manager
	# MathJax: the TeX-to-CommonHTML bundle plus what it loads lazily (fonts, extensions, menu).
	cd _vendor/.pack/mathjax-*/package/es5 && cp -r --parents tex-chtml.js input output/chtml ui $(CURDIR)/_vendor/mathjax/
	cp _vendor/.pack/jupyter-widgets-html-manager-*/package/dist/* _vendor/html-manager/
	# embed-amd.js is self-contained: the other bundles and source maps are never loaded.
	rm -f _vendor/html-manager/*.map _vendor/html-manager/embed.js _vendor/html-manager/libembed-amd.js
	cp _vendor/.pack/requirejs-*/package/require.js _vendor/require.js
	rm -rf _vendor/.pack
	@touch $@

# Only the WOFF2 slices of two weights, with one stylesheet (see booktools.i18n.vendor_font).
$(FONTS): $(VENDOR) $(STAMP)
	@command -v npm >/dev/null || { echo "npm is needed to fetch the Hangul web font (Debian: apt-get install npm)"; exit 1; }
	rm -rf _vendor/fonts _vendor/.fontpack && mkdir -p _vendor/.fontpack
	cd _vendor/.fontpack && npm pack --silent $(NANUM) >/dev/null && tar xzf *.tgz
	$(PY) -m booktools.i18n vendor-font _vendor/.fontpack/package _vendor/fonts/nanum-gothic
	rm -rf _vendor/.fontpack
	@touch $@

setup: $(STAMP) $(DATA) $(VENDOR) $(FONTS)

# The one build command of `make book` and `make test` (-W: any warning fails the build):
# the English book into _build/html, then the Korean edition into _build/html/ko.
book-html: setup
	rm -rf _build/html $(KO_OUT)/_build/html
	$(JB) build . --builder html -W --keep-going
	$(PY) -m booktools.i18n generate --lang ko --out $(KO_SRC)
	$(JB) build $(KO_SRC) --path-output $(KO_OUT) --builder html -W --keep-going
	mv $(KO_OUT)/_build/html _build/html/ko

book: book-html
	@echo "Book built: $(CURDIR)/_build/html/index.html"
	@echo "Korean edition (한국어판): $(CURDIR)/_build/html/ko/index.html"

# Debian's Chromium for tests/test_browser.py, installed when missing and possible (root with
# apt-get, as in CI); where it cannot be installed, that test is skipped with a message.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium for the browser test ..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
	    || echo "Could not install chromium: the browser test will be skipped."; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser test will be skipped."; \
	  fi; }

execute: setup
	$(PY) -m booktools.execute

lab: setup
	$(VENV)/bin/jupyter lab book/

test: setup book-html chromium
	$(PY) -m pytest

bench: setup
	$(PY) -m booktools.bench

clean:
	rm -rf _build _vendor .pytest_cache .hypothesis

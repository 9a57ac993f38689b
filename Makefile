# Two commands do everything: `make run` (the playground) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
JARS := .kafka/lib/.fetched-from
# Go tools the tests run as a learner would (grpcurl), built from the Go module proxy into .tools/.
TOOLS := $(CURDIR)/.tools
GRPCURL := $(TOOLS)/grpcurl
GRPCURL_VERSION := v1.9.4
export PATH := $(BIN):$(TOOLS):$(PATH)

# With an external broker named, `make run` starts everything but the local one.
PROCESSES := $(if $(KAFKA_BOOTSTRAP_SERVERS),publisher web grpc worker announce,)

.PHONY: run test test-postgres kafka proto install jars tools migrate check clean

run: install jars migrate
	honcho start $(PROCESSES)

# The suite on SQLite, then the tests that touch the database again on a throwaway PostgreSQL (localpg).
test: install jars tools
	pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-postgres

# Exit 5 is pytest's "no test selected": PYTEST_ARGS may name only tests that never touch the database.
test-postgres: install jars tools
	python -m localpg exec pytest --database-tests-on=postgresql $(PYTEST_ARGS) || test $$? -eq 5

kafka: install jars
	python -m localkafka run

proto: install
	python -m grpc_bridge.codegen

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

tools: $(GRPCURL)

$(GRPCURL):
	GOBIN=$(TOOLS) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

jars: $(JARS)

$(JARS): localkafka/pom.xml | $(INSTALLED)
	$(if $(KAFKA_BOOTSTRAP_SERVERS),,$(BIN)/python -m localkafka fetch)

migrate: install
	python manage.py migrate --noinput

check: install
	python manage.py check
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-key-xxxxxxxxxxxxxxxxxxxxxxx \
		python manage.py check --deploy

clean:
	rm -rf $(VENV) .kafka .tools db.sqlite3* test-db.sqlite3*

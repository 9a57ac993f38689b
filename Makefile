# Two commands do everything: `make run` (the playground) and `make test` (the whole suite); `make cluster` runs the
# playground on three brokers with two of every process (docs/cluster.md).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
# The page's browser libraries (uPlot), from the npm registry at the versions package-lock.json pins; served by Django.
NODE_INSTALLED := node_modules/.installed
JARS := .kafka/lib/.fetched-from
# Go tools the tests run as a learner would (grpcurl), built from the Go module proxy into .tools/.
TOOLS := $(CURDIR)/.tools
GRPCURL := $(TOOLS)/grpcurl
GRPCURL_VERSION := v1.9.4
# buf, for `buf breaking`: proto/orders.proto against the frozen v1 (proto/v1) in `make check`. No buf.yaml: a file
# input each way keeps v1's copy of the same messages out of the module under test.
BUF := $(TOOLS)/buf
BUF_VERSION := v1.75.0
# Jaeger's all-in-one, the OTLP receiver the tracing tests export to (docs/tracing.md); pinned by its go.mod and go.sum.
JAEGER := $(TOOLS)/jaeger
export PATH := $(BIN):$(TOOLS):$(PATH)

# With an external broker named, `make run` starts everything but the local one.
PROCESSES := $(if $(KAFKA_BOOTSTRAP_SERVERS),publisher web grpc worker metrics announce,)

# `make cluster`: Procfile.cluster on three local brokers (or the cluster KAFKA_BOOTSTRAP_SERVERS names), against
# DATABASE_URL when set. Ports and the data dir may be overridden (the scale test does).
WEB1_PORT ?= 8000
WEB2_PORT ?= 8001
GRPC1_PORT ?= 50051
GRPC2_PORT ?= 50052
KAFKA_CLUSTER_PORTS ?= 9092 9094 9096
KAFKA_CLUSTER_CONTROLLER_PORTS ?= 9093 9095 9097
comma := ,
space := $(subst ,, )
CLUSTER_BOOTSTRAP := $(or $(KAFKA_BOOTSTRAP_SERVERS),$(subst $(space),$(comma),$(strip \
	$(foreach port,$(subst $(comma), ,$(KAFKA_CLUSTER_PORTS)),127.0.0.1:$(port)))))
CLUSTER_PROCESSES := $(if $(KAFKA_BOOTSTRAP_SERVERS),web1 web2 grpc1 grpc2 publisher1 publisher2 worker1 worker2 metrics announce,)

.PHONY: run cluster test test-postgres kafka proto install jars tools migrate check clean

run: install jars migrate
	honcho start $(PROCESSES)

cluster: install jars migrate
	WEB1_PORT=$(WEB1_PORT) WEB2_PORT=$(WEB2_PORT) GRPC1_PORT=$(GRPC1_PORT) GRPC2_PORT=$(GRPC2_PORT) \
	KAFKA_CLUSTER_PORTS="$(KAFKA_CLUSTER_PORTS)" KAFKA_CLUSTER_CONTROLLER_PORTS="$(KAFKA_CLUSTER_CONTROLLER_PORTS)" \
	KAFKA_BOOTSTRAP_SERVERS=$(CLUSTER_BOOTSTRAP) KAFKA_REPLICATION_FACTOR=3 \
		honcho -f Procfile.cluster start $(CLUSTER_PROCESSES)

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

install: $(INSTALLED) $(NODE_INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

tools: $(GRPCURL) $(JAEGER) $(BUF)

# A Go build fetches hundreds of modules and their checksums; one connection reset fails it, so it is tried 3 times.
go_retry = for try in 1 2 3; do $(1) && exit 0; echo "retrying in 10 s: $(1)" >&2; sleep 10; done; exit 1

$(GRPCURL):
	$(call go_retry,GOBIN=$(TOOLS) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION))

$(BUF):
	$(call go_retry,GOBIN=$(TOOLS) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION))

$(JAEGER): tracing/jaeger/go.mod tracing/jaeger/go.sum
	$(call go_retry,(cd tracing/jaeger && go build -trimpath -o $@ github.com/jaegertracing/jaeger/cmd/jaeger))

jars: $(JARS)

$(JARS): localkafka/pom.xml | $(INSTALLED)
	$(if $(KAFKA_BOOTSTRAP_SERVERS),,$(BIN)/python -m localkafka fetch)

migrate: install
	python manage.py migrate --noinput

# Lint and format (ruff, configured in pyproject.toml), Django's checks, no model change without its migration, and
# no proto change that breaks a client of the committed v1 contract.
check: install $(BUF)
	buf breaking proto/orders.proto --against proto/v1/orders.proto
	ruff check .
	ruff format --check .
	python manage.py check
	python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-key-xxxxxxxxxxxxxxxxxxxxxxx \
		python manage.py check --deploy

clean:
	rm -rf $(VENV) .kafka .tools node_modules db.sqlite3* test-db.sqlite3*

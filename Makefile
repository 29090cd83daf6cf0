# The commands README.md documents. Each one installs what it needs first (scripts/setup.sh).
PORT ?= 8787
WRANGLER := node_modules/.bin/wrangler

.PHONY: setup build dev test unit e2e bundle deploy bench clean backup restore

setup:
	bash scripts/setup.sh

build: setup
	bash scripts/build.sh

## Run a local instance at http://127.0.0.1:$(PORT) with local D1, R2 and Queues.
dev: build
	@[ -f .dev.vars ] || cp dev.vars.example .dev.vars
	$(WRANGLER) d1 migrations apply DB --local --persist-to .wrangler/state
	node scripts/provision.mjs --local --persist-to .wrangler/state
	TOPI_PREBUILT=1 $(WRANGLER) dev --ip 127.0.0.1 --port $(PORT) --persist-to .wrangler/state \
		--var PUBLIC_URL:http://127.0.0.1:$(PORT)

## Every test: native unit tests, the Worker built once, end-to-end tests against wrangler dev, bundle budget.
test:
	bash scripts/setup.sh test
	bash scripts/test.sh

unit:
	cargo test --quiet

deploy: build
	bash scripts/deploy.sh

bench: build
	bash bench/run.sh

## Save D1 and R2 into backups/topi-<remote|local>-<time>.tar.gz (README "Backups"): the deployed
## instance, or a local state folder with STATE=.wrangler/state.
STATE ?=
backup:
	bash scripts/backup.sh $(if $(STATE),--local $(STATE),--remote)

## Rebuild D1 and R2 from BACKUP=backups/topi-….tar.gz: into a local state folder (STATE, default
## .wrangler/state), or onto your account with REMOTE=1. A database that holds data is refused
## unless FORCE=1.
BACKUP ?=
REMOTE ?=
FORCE ?=
restore:
	@[ -n "$(BACKUP)" ] || { echo "make restore BACKUP=backups/topi-….tar.gz [STATE=DIR | REMOTE=1] [FORCE=1]" >&2; exit 2; }
	bash scripts/restore.sh $(BACKUP) $(if $(REMOTE),--remote,--local $(or $(STATE),.wrangler/state)) $(if $(FORCE),--force)

clean:
	rm -rf build target/wasm32-unknown-unknown .wrangler

## Coverage-guided fuzzing of the parsers of untrusted input (fuzz/README.md); not part of `make test`.
## FUZZ_SECONDS per target; FUZZ_TARGETS to choose some (`bash scripts/fuzz.sh list`).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh run $(FUZZ_TARGETS)

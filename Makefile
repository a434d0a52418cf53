# The two commands: `make demo` and `make test`. Both install the Debian
# packages that are missing first (make test-deps: scripts/install-deps).
# `make` (make build) compiles with what is installed and installs nothing;
# when a library is missing, cmake names its package and `make deps`
# installs the build group.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= 2
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 5

.PHONY: all deps test-deps build install package images test unit integ \
	asan fuzz analyze demo demo-stores bench clean format-check

all: build

# compiler, cmake, the -dev libraries, cmocka, clang
deps:
	@bash scripts/install-deps --build

# those and the servers and tools of the tests and the demo
test-deps:
	@bash scripts/install-deps --build --test

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAS_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# ds and das into $(PREFIX)/bin, their man pages das(1) and ds(8) into
# $(PREFIX)/share/man, the example stack files into
# $(PREFIX)/share/doc/das/examples; DESTDIR is honoured.
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package of the same (under /usr): $(BUILD)/das_*.deb.
package: build
	cd $(BUILD) && cpack -G DEB

# The images das-ds:latest and das-das:latest (FROM scratch, nothing
# pulled) on the engine of $$DOCKER_HOST, else the local one; more engines:
# scripts/build-images BUILD HOST... (deploy/README.md moves them to nodes).
images: build
	bash scripts/build-images $(BUILD)

# The C sources as .clang-format lays them out (--fix: scripts/format-check
# --fix).
format-check:
	@bash scripts/format-check

# --no-tests=error: a label that matches nothing is a failure, not a pass.
CTEST = ctest --output-on-failure --no-tests=error

unit: build
	cd $(BUILD) && $(CTEST) -L unit --output-junit junit-unit.xml

# the static analysis alone (scripts/analyze; `make unit` runs it too)
analyze: build
	bash scripts/analyze $(BUILD) $(JOBS)

# two integration tests at a time (CMakeLists.txt says which run alone)
integ: build
	cd $(BUILD) && $(CTEST) -L integ -j 2 --output-junit junit-integ.xml

asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAS_WERROR=ON -DDAS_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && $(CTEST) -L unit --output-junit junit-unit.xml

fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAS_FUZZ=ON -DDAS_SANITIZE=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	FUZZ_JOBS=$(JOBS) bash scripts/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every test: the layout (.clang-format), unit (with the static analysis),
# sanitizer unit, fuzz smoke, then integration on real dockerd / influxd /
# PostgreSQL.
test: test-deps
	$(MAKE) --no-print-directory build
	@bash scripts/format-check
	cd $(BUILD) && $(CTEST) -L unit --output-junit junit-unit.xml
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz
	cd $(BUILD) && $(CTEST) -L integ -j 2 --output-junit junit-integ.xml
	@bash scripts/summary $(BUILD)/junit-unit.xml $(ASAN_BUILD)/junit-unit.xml $(BUILD)/junit-integ.xml

# das live on a private swarm, the embedded default: ds and das alone.
demo: test-deps
	$(MAKE) --no-print-directory build
	bash scripts/demo

# The same with InfluxDB for the points and the policy table in PostgreSQL.
demo-stores: test-deps
	$(MAKE) --no-print-directory build
	DEMO_STORES=1 bash scripts/demo

# Benchmarks print numbers (BENCHMARKS.md records them); not part of test.
bench: build
	BUILD=$(BUILD) bash bench/ds-round.sh
	BUILD=$(BUILD) bash bench/das-cycle.sh
	BUILD=$(BUILD) bash bench/decide.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

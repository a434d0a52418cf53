# The two commands: `make demo` and `make test`. Both install what is
# missing first (scripts/install-deps).
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= 2
FUZZ_SECONDS ?= 10

.PHONY: all deps build test unit integ asan fuzz demo bench clean

all: build

deps:
	@bash scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAS_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	cd $(BUILD) && ctest -L unit --output-on-failure

integ: build
	cd $(BUILD) && ctest -L integ --output-on-failure

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAS_WERROR=ON -DDAS_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest -L unit --output-on-failure

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAS_FUZZ=ON -DDAS_SANITIZE=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash scripts/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every test: unit, sanitizer unit, fuzz smoke, then integration on real
# dockerd / influxd / PostgreSQL.
test: build
	cd $(BUILD) && ctest -L unit --output-on-failure
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz
	cd $(BUILD) && ctest -L integ --output-on-failure
	@bash scripts/summary $(BUILD) $(ASAN_BUILD)

demo: build
	bash scripts/demo

bench: build
	bash bench/ds-round.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

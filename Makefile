# Entry points.  Every target installs missing Debian packages first (scripts/deps.sh).
#   make demo        build and run the end-to-end demo on a bundled capture
#   make test        ASan+UBSan build, then every test (unit, end-to-end, fuzz corpus replay)
#   make fuzz-smoke  clang libFuzzer build, each target for FUZZ_SECONDS (60)
#   make bench       release build and the benchmarks in bench/
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps build test demo fuzz-smoke bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

build-test/.configured: CMakeLists.txt
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DOVERT_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@touch $@

test: deps build-test/.configured
	@cmake -S . -B build-test >/dev/null
	@cmake --build build-test -j $(JOBS)
	@cd build-test && ctest --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh build

fuzz-smoke: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOVERT_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@bash scripts/fuzz-smoke.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	@bash bench/run.sh build

clean:
	rm -rf build build-test build-fuzz

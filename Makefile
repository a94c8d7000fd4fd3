# spawnlab: the build. Plain GNU make; read README.md first.
#
# Every product goes under $(O)/ (default build/): nothing is ever written into a
# source folder, except by `make labs`, whose job is to regenerate labs/ from solutions/.
#
#   make check            every suite against solutions/ (and the lab invariants)
#   make grade [LAB=NN]   every lab suite against labs/: report + build/grade.json
#   make demo             the system at work
#   make viz [LAB=NN]     scheduler pictures of a scenario
#   make bench            benchmarks -> $(O)/bench/results.tsv
#   make fuzz [FUZZ_SECONDS=N]  libFuzzer on the RESP frame parser (clang), default 60 s
#   make labs             regenerate labs/ from the solution blocks in solutions/
#   make format           clang-format every C file we own
#   make compdb           compile_commands.json for editors (needs bear)
#   make clean
#
# Variables:
#   LAB=NN                only that lab (check, grade, viz)
#   IMPL=solutions|labs   which tree lab suites and lab servers are built from
#   SAN=address|undefined|thread   a sanitizer build, in its own directory
#   WERROR=1              warnings are errors (CI and grading)
#   O=dir                 build root (default build)
#
# Layout conventions (every issue drops into these):
#   runtime/src/*.c runtime/arch/*.S  -> $(B)/libspawnrt.a    headers: runtime/include
#   lib/src/*.c                       -> $(B)/libminiredis.a  headers: lib/include
#   tests/harness/*.c                 -> $(B)/libharness.a
#   tests/<name>/*.c                  -> $(B)/tests/<name>/suite        (name not NN-*)
#   tests/<name>/progs/<p>.c          -> $(B)/tests/<name>/progs/<p>    (helper programs)
#   <impl>/NN-topic/*.c               -> $(B)/<impl>/NN-topic/server (main.c + the rest)
#   tests/NN-topic/*.c                -> $(B)/<impl>/NN-topic/suite  (links the lab's non-main code)
#   tests/NN-topic/progs/<p>.c        -> $(B)/<impl>/NN-topic/progs/<p>
#   tools/<tool>/*.c                  -> $(B)/tools/<tool>
#   bench/<name>/*.c                  -> $(B)/bench/<name>  (prints metric<TAB>value<TAB>unit lines)
# A suite finds its helper programs and its lab's server next to its own executable.

O      ?= build
FUZZ_SECONDS ?= 60
SAN    ?=
WERROR ?= 0
LAB    ?=
IMPL   ?= solutions

ifneq ($(filter-out solutions labs,$(IMPL)),)
  $(error IMPL must be solutions or labs, not '$(IMPL)')
endif
ifneq ($(filter-out address undefined thread,$(SAN)),)
  $(error SAN must be address, undefined or thread, not '$(SAN)')
endif

B := $(O)/$(if $(SAN),san-$(SAN),default)

WARNINGS := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2
OPT      := -O2
SANFLAGS :=
ifneq ($(SAN),)
  SANFLAGS := -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
  OPT      := -O1
endif
CFLAGS   ?= -g $(OPT)
CFLAGS   += -std=c17 -pthread $(WARNINGS) $(SANFLAGS) $(if $(filter 1,$(WERROR)),-Werror)
CPPFLAGS += -D_GNU_SOURCE -Iruntime/include -Ilib/include -Itests/harness -MMD -MP
ASFLAGS  += $(SANFLAGS)
LDFLAGS  += -pthread $(SANFLAGS)
LDLIBS   += -lm

# ---------------------------------------------------------------- libraries

RT_SRC  := $(sort $(wildcard runtime/src/*.c runtime/arch/*.S))
LIB_SRC := $(sort $(wildcard lib/src/*.c))
HAR_SRC := $(sort $(wildcard tests/harness/*.c))

objs = $(patsubst %,$(B)/obj/%.o,$(1))

RT_A  := $(B)/libspawnrt.a
LIB_A := $(B)/libminiredis.a
HAR_A := $(B)/libharness.a
# Link order: harness and the mini-redis library sit on top of the runtime.
LIBS_ALL := $(LIB_A) $(RT_A)

$(B)/obj/%.c.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ASFLAGS) -c $< -o $@

$(B)/%.a:
	@mkdir -p $(@D)
	@rm -f $@
	$(if $^,$(AR) rcs $@ $^,$(AR) rcs $@)

$(RT_A):  $(call objs,$(RT_SRC))
$(LIB_A): $(call objs,$(LIB_SRC))
$(HAR_A): $(call objs,$(HAR_SRC))

# ---------------------------------------------------------------- programs
# $(call program,OUTPUT,OBJECTS,EXTRA-ARCHIVES,EXTRA-LIBS). A program links every object
# and archive it depends on, so a rule elsewhere may add one as a prerequisite.
define program
$(1): $(2) $(3) $(HAR_A) $(LIBS_ALL)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(filter %.a,$$^) $(4) $$(LDLIBS)
endef

# Non-lab suites: tests/<name>/ that is not a lab (NN-*), the harness or fixtures.
# (make patterns have no character classes: a lab's name is one that starts with a digit.)
SUITE_NAMES := $(filter-out harness fixtures fuzz,$(notdir $(patsubst %/,%,$(wildcard tests/*/))))
SUITE_NAMES := $(foreach s,$(SUITE_NAMES),$(if $(filter 0% 1% 2% 3% 4% 5% 6% 7% 8% 9%,$(s)),,$(if $(wildcard tests/$(s)/*.c),$(s))))
SUITES      := $(SUITE_NAMES:%=$(B)/tests/%/suite)
$(foreach s,$(SUITE_NAMES),$(eval $(call program,$(B)/tests/$(s)/suite,$(call objs,$(wildcard tests/$(s)/*.c)),,-lcunit)))
SUITE_PROGS := $(foreach s,$(SUITE_NAMES),$(patsubst tests/$(s)/progs/%.c,$(B)/tests/$(s)/progs/%,$(wildcard tests/$(s)/progs/*.c)))
$(foreach p,$(SUITE_PROGS),$(eval $(call program,$(p),$(call objs,$(patsubst $(B)/%,%.c,$(p))),,-lcunit)))

TOOL_NAMES := $(foreach t,$(notdir $(patsubst %/,%,$(wildcard tools/*/))),$(if $(wildcard tools/$(t)/*.c),$(t)))
TOOLS      := $(TOOL_NAMES:%=$(B)/tools/%)
$(foreach t,$(TOOL_NAMES),$(eval $(call program,$(B)/tools/$(t),$(call objs,$(wildcard tools/$(t)/*.c)),,-lcunit)))

BENCH_NAMES := $(foreach t,$(notdir $(patsubst %/,%,$(wildcard bench/*/))),$(if $(wildcard bench/$(t)/*.c),$(t)))
BENCHES     := $(BENCH_NAMES:%=$(B)/bench/%)
$(foreach t,$(BENCH_NAMES),$(eval $(call program,$(B)/bench/$(t),$(call objs,$(wildcard bench/$(t)/*.c)),,)))

# The grader's fixture lab (tests/fixtures/lab): the self-test suite's fixture suite is
# linked with the fixture's committed skeleton, which the self-test checks is exactly what
# tools/labgen.sh makes of the fixture's solution.
FIXTURE_LAB := tests/fixtures/lab/labs/99-fixture
$(B)/tests/selftest/progs/fixture_suite: $(call objs,$(wildcard $(FIXTURE_LAB)/*.c))
$(call objs,tests/selftest/progs/fixture_suite.c): CPPFLAGS += -I$(FIXTURE_LAB)

# ---------------------------------------------------------------- labs
# A lab is solutions/NN-topic/. LAB=NN narrows every lab target to that one.
ALL_LABS := $(notdir $(patsubst %/,%,$(wildcard solutions/[0-9][0-9]-*/)))
LABS     := $(if $(LAB),$(filter $(LAB)-%,$(ALL_LABS)),$(ALL_LABS))
ifneq ($(LAB),)
  ifeq ($(LABS),)
    $(error LAB=$(LAB): there is no solutions/$(LAB)-*/ (labs: $(or $(ALL_LABS),none yet)))
  endif
endif

# $(call lab_rules,IMPL,LAB): everything of one lab built from one tree. Lab code and
# the lab's suite are compiled per tree (they may include the lab's own headers).
labobjs = $(patsubst %,$(B)/$(1)/$(2)/obj/%.o,$(3))
define lab_rules
$(B)/$(1)/$(2)/obj/%.c.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -I$(1)/$(2) $$(CFLAGS) -c $$< -o $$@
$(B)/$(1)/$(2)/liblab.a: $(call labobjs,$(1),$(2),$(filter-out $(1)/$(2)/main.c,$(wildcard $(1)/$(2)/*.c)))
$(call program,$(B)/$(1)/$(2)/server,$(call labobjs,$(1),$(2),$(wildcard $(1)/$(2)/main.c)),$(B)/$(1)/$(2)/liblab.a,)
$(call program,$(B)/$(1)/$(2)/suite,$(call labobjs,$(1),$(2),$(wildcard tests/$(2)/*.c)),$(B)/$(1)/$(2)/liblab.a,-lcunit)
$(foreach p,$(wildcard tests/$(2)/progs/*.c),
$(call program,$(B)/$(1)/$(2)/progs/$(basename $(notdir $(p))),$(call labobjs,$(1),$(2),$(p)),$(B)/$(1)/$(2)/liblab.a,-lcunit))
$(B)/$(1)/$(2)/all: $(B)/$(1)/$(2)/server $(B)/$(1)/$(2)/suite \
    $(patsubst tests/$(2)/progs/%.c,$(B)/$(1)/$(2)/progs/%,$(wildcard tests/$(2)/progs/*.c))
.PHONY: $(B)/$(1)/$(2)/all
endef
$(foreach i,solutions labs,$(foreach l,$(ALL_LABS),$(eval $(call lab_rules,$(i),$(l)))))

LAB_TARGETS = $(foreach l,$(LABS),$(B)/$(1)/$(l)/all)

# ---------------------------------------------------------------- targets
.DEFAULT_GOAL := all
.PHONY: all deps check check-suites check-labs check-aarch64 grade demo viz bench fuzz labs \
        format compdb clean diagrams

all: $(RT_A) $(LIB_A) $(HAR_A) $(SUITES) $(SUITE_PROGS) $(TOOLS) $(BENCHES) \
     $(call LAB_TARGETS,$(IMPL))

deps:
	@tools/deps.sh

# check: 1. the dependency check; 2. build everything (suites link solutions/);
# 3. run every non-lab suite; 4. the lab invariants: labs/ is exactly the generated
# skeleton, every skeleton compiles, every lab suite passes on its solution and
# fails on its skeleton; 5. the aarch64 runtime suite under qemu, when installed.
check: deps
	@$(MAKE) --no-print-directory all IMPL=solutions
	@$(MAKE) --no-print-directory check-suites check-labs check-aarch64
	@tools/check-anchors.sh

check-suites: $(SUITES) $(SUITE_PROGS)
	@tools/run-suites.sh $(if $(SUITES),$(SUITES),)

check-labs:
	@tools/check-labs.sh "$(MAKE) --no-print-directory" "$(B)" "$(O)" $(LABS)

check-aarch64:
	@if [ -x tools/check-aarch64.sh ]; then tools/check-aarch64.sh "$(MAKE) --no-print-directory" "$(O)"; \
	 else echo "check-aarch64: no runtime yet, so no aarch64 run"; fi

grade: deps
	@$(MAKE) --no-print-directory $(B)/tools/grade
	@tools/grade.sh "$(MAKE) --no-print-directory" "$(B)" "$(O)" $(LABS)

demo: deps
	@tools/demo.sh "$(MAKE) --no-print-directory" "$(B)"

viz: deps
	@tools/viz.sh "$(MAKE) --no-print-directory" "$(B)" "$(O)" "$(LAB)"

bench: $(BENCHES) $(TOOLS)
	@tools/bench.sh "$(O)" "$(SAN)" $(BENCHES)

fuzz:
	@tools/fuzz.sh $(FUZZ_SECONDS) $(O)

# diagrams: every concept diagram diagrams/NAME.dot -> $(B)/diagrams/NAME.svg and .png
# (needs Graphviz's dot). The PNGs committed in diagrams/generated/ for the chapters are
# rendered by the same script: tools/render-diagram.sh diagrams/NAME.dot diagrams/generated/NAME.png
DIAGRAMS := $(patsubst diagrams/%.dot,$(B)/diagrams/%,$(wildcard diagrams/*.dot))
diagrams: $(DIAGRAMS:%=%.svg) $(DIAGRAMS:%=%.png)
	@echo "diagrams: $(words $(DIAGRAMS)) rendered into $(B)/diagrams/"

$(B)/diagrams/%.svg: diagrams/%.dot
	@tools/render-diagram.sh $< $@
$(B)/diagrams/%.png: diagrams/%.dot
	@tools/render-diagram.sh $< $@

labs:
	@tools/labgen.sh solutions labs $(LABS)

format:
	@files=$$(git ls-files '*.c' '*.h'); \
	 if [ -z "$$files" ]; then echo "format: no C files yet"; else clang-format -i $$files; fi

compdb:
	@command -v bear >/dev/null || { echo "compdb: bear is not installed (apt-get install bear)"; exit 1; }
	@$(MAKE) --no-print-directory clean
	bear -- $(MAKE) --no-print-directory all

clean:
	rm -rf $(O)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

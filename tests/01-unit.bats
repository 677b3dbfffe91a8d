#!/usr/bin/env bats
# C unit tests (TAP programs under build/unit), one bats test each.
load test_helper

@test "unit: line reader" { run_unit t-linebuf; }
@test "unit: option, size and duration parsers" { run_unit t-opt; }
@test "unit: JSON scanner (tables, lazy access, differential against jansson)" { run_unit t-json-scan; }
@test "unit: numbers with their text (grammar, printing, comparison, key spelling)" { run_unit t-jnum; }
@test "unit: key table (against a model, state files) and event times" { run_unit t-keytable; }
@test "unit: broker target URLs, topics and subjects" { run_unit t-broker; }

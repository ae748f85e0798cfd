# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_capsid]=] "/work/main/build/tests/test_capsid" "--jobs" "1")
set_tests_properties([=[test_capsid]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_cli]=] "/work/main/build/tests/test_cli" "--jobs" "1")
set_tests_properties([=[test_cli]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_docs]=] "/work/main/build/tests/test_docs" "--jobs" "1")
set_tests_properties([=[test_docs]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_emit]=] "/work/main/build/tests/test_emit" "--jobs" "1")
set_tests_properties([=[test_emit]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_explain]=] "/work/main/build/tests/test_explain" "--jobs" "1")
set_tests_properties([=[test_explain]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_golden]=] "/work/main/build/tests/test_golden" "--jobs" "1")
set_tests_properties([=[test_golden]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_lexer]=] "/work/main/build/tests/test_lexer" "--jobs" "1")
set_tests_properties([=[test_lexer]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_parser]=] "/work/main/build/tests/test_parser" "--jobs" "1")
set_tests_properties([=[test_parser]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_path]=] "/work/main/build/tests/test_path" "--jobs" "1")
set_tests_properties([=[test_path]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_runtime_symbols]=] "/work/main/build/tests/test_runtime_symbols" "--jobs" "1")
set_tests_properties([=[test_runtime_symbols]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_seccomp]=] "/work/main/build/tests/test_seccomp" "--jobs" "1")
set_tests_properties([=[test_seccomp]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_sema]=] "/work/main/build/tests/test_sema" "--jobs" "1")
set_tests_properties([=[test_sema]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_smoke]=] "/work/main/build/tests/test_smoke" "--jobs" "1")
set_tests_properties([=[test_smoke]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[test_verify]=] "/work/main/build/tests/test_verify" "--jobs" "1")
set_tests_properties([=[test_verify]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")

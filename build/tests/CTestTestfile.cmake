# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_smoke]=] "/work/main/build/tests/test_smoke" "--jobs" "1")
set_tests_properties([=[test_smoke]=] PROPERTIES  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")

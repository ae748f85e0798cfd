file(REMOVE_RECURSE
  "CMakeFiles/test_smoke.dir/support.c.o"
  "CMakeFiles/test_smoke.dir/support.c.o.d"
  "CMakeFiles/test_smoke.dir/test_smoke.c.o"
  "CMakeFiles/test_smoke.dir/test_smoke.c.o.d"
  "test_smoke"
  "test_smoke.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_smoke.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

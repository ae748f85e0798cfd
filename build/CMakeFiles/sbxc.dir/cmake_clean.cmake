file(REMOVE_RECURSE
  "CMakeFiles/sbxc.dir/compiler/main.c.o"
  "CMakeFiles/sbxc.dir/compiler/main.c.o.d"
  "sbxc"
  "sbxc.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxc.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

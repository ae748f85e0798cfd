file(REMOVE_RECURSE
  "libsbxrt.pdb"
  "libsbxrt.so"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxrt.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

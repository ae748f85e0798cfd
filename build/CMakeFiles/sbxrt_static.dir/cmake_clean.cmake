file(REMOVE_RECURSE
  "libsbxrt.a"
  "libsbxrt.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxrt_static.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "libsbxc_core.a"
)

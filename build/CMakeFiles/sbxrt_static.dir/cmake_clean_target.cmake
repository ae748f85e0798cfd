file(REMOVE_RECURSE
  "libsbxrt.a"
)

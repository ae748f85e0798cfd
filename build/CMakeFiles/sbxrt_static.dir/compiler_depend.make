# Empty compiler generated dependencies file for sbxrt_static.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for sbxrt.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for sbxc.
# This may be replaced when dependencies are built.

# Empty dependencies file for sbxc.
# This may be replaced when dependencies are built.

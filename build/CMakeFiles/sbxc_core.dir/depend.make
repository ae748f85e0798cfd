# Empty dependencies file for sbxc_core.
# This may be replaced when dependencies are built.

# Empty dependencies file for sbxrt_obj.
# This may be replaced when dependencies are built.

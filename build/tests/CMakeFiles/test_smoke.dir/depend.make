# Empty dependencies file for test_smoke.
# This may be replaced when dependencies are built.

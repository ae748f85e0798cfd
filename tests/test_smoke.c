#include <criterion/criterion.h>
#include "support.h"
Test(smoke, builds) { cr_assert_eq(1, 1); }

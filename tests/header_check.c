/* header_check.c: include/retention.h must compile on its own, as strict
 * C11 and as C++, with -pedantic -Werror (ctest: header_c, header_cxx). */
#include "retention.h"

int rtn_header_check(void);

int rtn_header_check(void)
{
    rtn_value v;
    rtn_event e;
    rtn_config c;
    (void)v;
    (void)e;
    (void)c;
    return RTN_VERSION_NUMBER > 0 ? RTN_OK : RTN_EINVAL;
}

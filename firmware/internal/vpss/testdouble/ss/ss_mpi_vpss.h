/* TEST DOUBLE: see ot_common_video.h. */
#include "ot_common_video.h"

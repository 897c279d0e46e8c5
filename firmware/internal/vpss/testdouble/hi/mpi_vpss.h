/* TEST DOUBLE: see hi_comm_video.h. */
#include "hi_comm_video.h"

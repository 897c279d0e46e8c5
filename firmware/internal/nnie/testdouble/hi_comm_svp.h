/* FALLBACK HEADER: everything the binding needs is in hi_nnie.h. */
#include "hi_nnie.h"

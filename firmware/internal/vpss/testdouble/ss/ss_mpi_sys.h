/* FALLBACK HEADER: see ot_common_video.h. The SDK's ss_mpi_sys.h declares
 * the system calls the board does not make (init, bind, ...) and, unlike
 * its NNIE-era counterpart mpi_sys.h, not the mappings: those are in
 * ss_mpi_sys_mem.h. */
#ifndef NNIESCOPE_SS_MPI_SYS_FALLBACK_H
#define NNIESCOPE_SS_MPI_SYS_FALLBACK_H
#include "ot_common_video.h"
#endif

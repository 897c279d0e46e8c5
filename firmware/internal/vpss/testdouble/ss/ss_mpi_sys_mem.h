/* FALLBACK HEADER: see ot_common_video.h. As in the SDK, the mapping calls
 * are declared here and not in ss_mpi_sys.h: a shim that includes only
 * ss_mpi_sys.h calls them undeclared, and an implicit int return cuts the
 * mapped address to 32 bits on arm64. */
#ifndef NNIESCOPE_SS_MPI_SYS_MEM_FALLBACK_H
#define NNIESCOPE_SS_MPI_SYS_MEM_FALLBACK_H
#include "ot_common_video.h"
td_void *ss_mpi_sys_mmap(td_phys_addr_t phys_addr, td_u32 size);
td_s32 ss_mpi_sys_munmap(const td_void *virt_addr, td_u32 size);
#endif

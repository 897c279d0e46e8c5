/* FALLBACK HEADER: see hi_comm_video.h. */
#ifndef NNIESCOPE_MPI_SYS_FALLBACK_H
#define NNIESCOPE_MPI_SYS_FALLBACK_H
#include "hi_comm_video.h"
HI_VOID *HI_MPI_SYS_Mmap(HI_U64 u64PhyAddr, HI_U32 u32Size);
HI_S32 HI_MPI_SYS_Munmap(HI_VOID *pVirAddr, HI_U32 u32Size);
#endif

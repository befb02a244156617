/*
 * Growing arrays of pointers (the tables of tasks and destinations that X1 changes).  Shared so
 * that every role grows its tables the same way: doubling from 16, never shrinking.
 */
#ifndef OVT_COMMON_GROW_H
#define OVT_COMMON_GROW_H

#include <stddef.h>

/* Makes room for at least `need` pointers in *v (capacity *cap), reallocating by doubling.
 * 0, or -1 on allocation failure with *v and *cap unchanged.  Not thread safe per array. */
int ovt_grow_ptrs(void ***v, size_t *cap, size_t need);

#endif

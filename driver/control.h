/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/mprox and its file descriptors. */
#ifndef _MPROX_CONTROL_H
#define _MPROX_CONTROL_H

int mprox_control_init(void);
void mprox_control_exit(void);

#endif /* _MPROX_CONTROL_H */

/*
 * The child's display, keyboard and pointer: the root machine's Bochs VBE
 * display behind the synthetic video VSP, its PS/2 keyboard behind the
 * synthetic keyboard VSP, and its absolute pointer (virtio-tablet-pci on
 * the virtio transport, else QEMU's vmmouse) behind the synthhid mouse
 * VSP.  Each VSP is offered only when its device answered
 * its probe; the root's command line ui=0 offers none.  One poller reads
 * the keyboard and the pointer at most once a millisecond, and at least
 * every 4 ms while the child is halted.
 *
 * Where the guest puts its VRAM outside its RAM (the VMBus MMIO window,
 * as Linux's hyperv_drm does), the frame buffer itself is mapped there
 * into the child's nested page tables (place_vram): frames cost no copy.
 * VRAM in the guest's RAM (the kit's VSC) is copied by dirty rectangles
 * into the frame buffer: svm_vm_map() maps memory above the child's RAM
 * only, so laying the frame buffer over RAM pages (map_vram) is not
 * offered yet.
 */
#ifndef ROOT_HOST_UI_H
#define ROOT_HOST_UI_H

#include "root/hv/vcpu.h"
#include "root/vmbus/server.h"

struct root_ui;

/*
 * Probes the devices and creates the VSPs on srv.  Returns the UI state
 * (NULL with ui=0, on no memory, or when no device was found; each case
 * is logged).
 */
struct root_ui *root_ui_start(struct vcpu *child, struct vmbus_server *srv,
                              const char *root_cmdline);

#endif /* ROOT_HOST_UI_H */

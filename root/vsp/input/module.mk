# root/vsp/input/: synthetic keyboard and synthhid mouse VSPs.
ROOT_SRCS += root/vsp/input/kbd_vsp.c root/vsp/input/mouse_vsp.c

# root/dev/pci/: PCI configuration space, enumeration, BARs, MSI-X.
ROOT_SRCS += root/dev/pci/pci.c root/dev/pci/pci_x86.c

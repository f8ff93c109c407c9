# SVM core: VMCB, nested paging, run loop and exit dispatch.
ROOT_SRCS += root/svm/svm.c root/svm/vmrun.S

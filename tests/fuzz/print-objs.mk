# print-objs.mk - read after the top-level Makefile, prints the objects of
# liblvc-compiler.a, so that fuzz.mk builds exactly the library's modules.
print-compiler-objs:
	@echo $(COMPILER_OBJS)

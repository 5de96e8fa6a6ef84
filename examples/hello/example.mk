# hello: lvc as a custom build step. The depfile (-M) lists every .lv file
# and template the generated files were made from, so make rebuilds them
# when any of those change. The handler files are yours: lvc merges new
# endpoints into them and never touches the code you wrote.
hello_OUT := $(B)/examples/hello

$(hello_OUT)/hello.lv.c $(hello_OUT)/hello.lv.h &: examples/hello/hello.lv $(B)/lvc
	$(B)/lvc $< -o $(hello_OUT) --handlers examples/hello \
	    --js-handlers examples/hello/static -M $(hello_OUT)/hello.lv.d
-include $(hello_OUT)/hello.lv.d

$(hello_OUT)/hello: examples/hello/main.c examples/hello/hello_handlers.c $(hello_OUT)/hello.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(hello_OUT) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

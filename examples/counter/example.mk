# counter: lvc as a custom build step. The depfile (-M) lists every .lv file
# and template the generated files were made from, so make rebuilds them
# when any of those change. The handler files are yours: lvc merges new
# endpoints into them and never touches the code you wrote.
counter_OUT := $(B)/examples/counter

$(counter_OUT)/counter.lv.c $(counter_OUT)/counter.lv.h &: examples/counter/counter.lv $(B)/lvc
	$(B)/lvc $< -o $(counter_OUT) --handlers examples/counter \
	    --js-handlers examples/counter/static -M $(counter_OUT)/counter.lv.d
-include $(counter_OUT)/counter.lv.d

$(counter_OUT)/counter: examples/counter/main.c examples/counter/counter_handlers.c $(counter_OUT)/counter.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(counter_OUT) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

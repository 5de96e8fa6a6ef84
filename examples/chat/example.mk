# chat: lvc as a custom build step. The depfile (-M) lists every .lv file
# and template the generated files were made from, so make rebuilds them
# when any of those change. The handler files are yours: lvc merges new
# endpoints into them and never touches the code you wrote.
chat_OUT := $(B)/examples/chat

$(chat_OUT)/chat.lv.c $(chat_OUT)/chat.lv.h &: examples/chat/chat.lv $(B)/lvc
	$(B)/lvc $< -o $(chat_OUT) --handlers examples/chat \
	    --js-handlers examples/chat/static -M $(chat_OUT)/chat.lv.d
-include $(chat_OUT)/chat.lv.d

$(chat_OUT)/chat: examples/chat/main.c examples/chat/chat_handlers.c $(chat_OUT)/chat.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(chat_OUT) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

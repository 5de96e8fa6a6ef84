# todo: a model bound to pages: lists kept in SQLite and watched live.
todo_OUT := $(B)/examples/todo

$(todo_OUT)/todo.lv.c $(todo_OUT)/todo.lv.h &: examples/todo/todo.lv $(B)/lvc
	$(B)/lvc $< -o $(todo_OUT) --handlers examples/todo \
	    -M $(todo_OUT)/todo.lv.d
-include $(todo_OUT)/todo.lv.d

$(todo_OUT)/todo: examples/todo/main.c examples/todo/todo_handlers.c $(todo_OUT)/todo.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(todo_OUT) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

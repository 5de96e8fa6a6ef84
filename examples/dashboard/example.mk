# dashboard: a server-owned state shared by a group, and a page-owned one.
dashboard_OUT := $(B)/examples/dashboard

$(dashboard_OUT)/dashboard.lv.c $(dashboard_OUT)/dashboard.lv.h &: examples/dashboard/dashboard.lv $(B)/lvc
	$(B)/lvc $< -o $(dashboard_OUT) --handlers examples/dashboard \
	    --js-handlers examples/dashboard/static -M $(dashboard_OUT)/dashboard.lv.d
-include $(dashboard_OUT)/dashboard.lv.d

$(dashboard_OUT)/dashboard: examples/dashboard/main.c examples/dashboard/dashboard_handlers.c $(dashboard_OUT)/dashboard.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(dashboard_OUT) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

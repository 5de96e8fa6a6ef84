# The chaos and hostile-input tests: a server built from
# tests/chaos/chaos.lv, a loopback proxy that cuts the connection at random
# points, and lv.js in node (tests/chaos/*.test.mjs). Included by the
# Makefile, or run as
#     make -f Makefile -f tests/chaos/chaos.mk chaos
ch_OUT := $(B)/tests/chaos

$(ch_OUT)/chaos.lv.c $(ch_OUT)/chaos.lv.h &: tests/chaos/chaos.lv $(B)/lvc
	@mkdir -p $(ch_OUT)/js
	$(B)/lvc $< -o $(ch_OUT) --handlers tests/chaos \
	    --js-handlers $(ch_OUT)/js -M $(ch_OUT)/chaos.lv.d
-include $(ch_OUT)/chaos.lv.d

$(ch_OUT)/chaos_server: tests/chaos/main.c tests/chaos/chaos_handlers.c \
                        tests/chaos/chaos_test.h $(ch_OUT)/chaos.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(ch_OUT) -Itests/chaos -o $@ \
	    $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

.PHONY: chaos
chaos: $(ch_OUT)/chaos_server $(B)/tests/integration/app_server
	node --test --test-timeout=300000 tests/chaos/

# react: the dashboard (its contract, its handlers) with a page written in
# React and built by Vite from the lock file's packages. lvc writes the
# page's stubs with --js-runtime @lv/runtime, so they import the runtime as
# the npm package (node_modules/@lv/runtime is runtime/js, a workspace of
# the root); the server serves Vite's build as its static folder.
react_OUT  := $(B)/examples/react
REACT_SRCS := examples/react/index.html examples/react/vite.config.js $(wildcard examples/react/src/*)

$(react_OUT)/gen/dashboard.lv.js: examples/dashboard/dashboard.lv $(B)/lvc
	$(B)/lvc $< -o $(react_OUT)/gen --js-runtime @lv/runtime -M $(react_OUT)/gen/dashboard.lv.d \
	    --dep-target $@
-include $(react_OUT)/gen/dashboard.lv.d

$(react_OUT)/static/index.html: $(REACT_SRCS) $(react_OUT)/gen/dashboard.lv.js $(LVJS_SRCS) \
                                runtime/js/package.json package-lock.json
	LV_GEN=$(abspath $(react_OUT)/gen) node node_modules/vite/bin/vite.js build examples/react \
	    --outDir $(abspath $(react_OUT)/static) --emptyOutDir --logLevel warn

$(react_OUT)/react: examples/react/main.c examples/dashboard/dashboard_handlers.c $(dashboard_OUT)/dashboard.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(dashboard_OUT) -DREACT_STATIC='"$(abspath $(react_OUT)/static)"' \
	    -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

examples: $(react_OUT)/static/index.html

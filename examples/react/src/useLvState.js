// useLvState.js - an lv store (client.state.NAME, a group's copy with .of(group)) as React state.
import { useSyncExternalStore } from "react";

/**
 * The store's snapshot, or with path (an RFC 6901 pointer, "/tick") the
 * value there; the component renders again when it is another value. The
 * snapshots are immutable and share what did not change, so a memo'd child
 * given an untouched part does not render again.
 * @template T
 * @param {import("@lv/runtime").ServerState<T> | import("@lv/runtime").PageState<T>} store
 * @param {string} [path]
 */
export function useLvState(store, path) {
	const get = path === undefined ? store.get : () => store.select(path);
	return useSyncExternalStore(store.subscribe, get);
}

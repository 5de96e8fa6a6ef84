// lv.d.ts - the types of lv.js, the browser runtime of lv. The modules lvc
// generates (NAME.lv.js / NAME.lv.d.ts) import CallOptions, Callback,
// CallbackArgs, Connection and Schema from here.

/** The wire error codes (docs/protocol.md), and "cancelled" (an aborted call). */
export type ErrorCode =
	| "invalid_argument"
	| "not_found"
	| "aborted"
	| "unauthenticated"
	| "permission_denied"
	| "resource_exhausted"
	| "deadline_exceeded"
	| "unavailable"
	| "internal"
	| "upgrade_required"
	| "cancelled";

/** What every failed call rejects with, and what bad arguments throw. */
export declare class LvError extends Error {
	constructor(code: ErrorCode | string, message: string, path?: string, options?: { cause?: unknown });
	/** "LvError" */
	readonly name: string;
	/** A wire error code, or "cancelled". */
	readonly code: ErrorCode | string;
	/** The argument or field at fault, like "msg.tags[3]"; "" when none. */
	readonly path: string;
	/** Set on the errors the server reports for a send: the endpoint. */
	fn?: string;
	/** The HTTP status of the code. */
	readonly status: number;
	toJSON(): { code: string; message: string; path?: string };
	static fromWire(error: unknown, fn?: string): LvError;
	static codeForStatus(status: number): ErrorCode;
}

// ---- the schema lvc writes into NAME.lv.js ----------------------------------------

export interface SchemaField {
	readonly name: string;
	/** "int", "list<Message>", "map<string>", a struct or enum name. */
	readonly type: string;
	readonly optional?: boolean;
	readonly default?: unknown;
}

// Kinds are typed as string so that the schema literal of a generated .js
// file type-checks (checkJs widens its string literals).
export interface SchemaStruct {
	/** "struct" */
	readonly kind: string;
	readonly fields: readonly SchemaField[];
}

export interface SchemaEnum {
	/** "enum" */
	readonly kind: string;
	readonly members: readonly string[];
}

export type EndpointKind =
	| "server.rpc"
	| "server.realtime"
	| "server.on"
	| "client.rpc"
	| "client.realtime"
	| "client.callback"
	| "client.on";

export type ConcurrencyModel = "serial" | "parallel" | "receive_serial";

export interface SchemaEndpoint {
	/** An EndpointKind. */
	readonly kind: EndpointKind | (string & {});
	readonly params: readonly SchemaField[];
	readonly result?: string;
	readonly result_optional?: boolean;
	readonly http?: boolean;
	/** Milliseconds. */
	readonly timeout?: number;
	readonly volatile?: boolean;
	/** server.on and client.on: the event, and whether it is a lifecycle one. */
	readonly event?: string;
	readonly lifecycle?: boolean;
	/** client.callback policy. */
	readonly dom_event?: string;
	readonly group?: string;
	readonly concurrency?: ConcurrencyModel | (string & {});
	readonly blocks?: readonly string[];
	readonly debounce?: number;
	readonly confirm?: string;
}

export interface Schema {
	readonly module: string;
	readonly hash: string;
	readonly types: { readonly [name: string]: SchemaStruct | SchemaEnum };
	readonly endpoints: { readonly [name: string]: SchemaEndpoint };
	readonly states?: { readonly [name: string]: SchemaState };
	readonly models?: { readonly [name: string]: SchemaModelBinding };
}

// ---- calls ------------------------------------------------------------------------

export interface CallOptions {
	/** Milliseconds to wait for the answer (default: the endpoint's, else 30000). */
	timeout?: number;
	/** Cancels the call: it rejects with LvError "cancelled". */
	signal?: AbortSignal;
}

/** The arguments a callback sends, by parameter name. */
export type CallbackArgs = Record<string, unknown>;

/** A client.callback, to bind to DOM events. */
export interface Callback {
	readonly name: string;
	readonly connection: Connection;
	readonly endpoint: Readonly<SchemaEndpoint> & { readonly name: string };
	/** Binds to an element; eventName defaults to the declared event. Returns an unbind function. */
	bind(element: EventTarget, eventName?: string): () => void;
	toString(): string;
}

/** A command: [NAME, ARG..., {KWARGS}]. */
export type Command = [string, ...unknown[]];

/** A page command: gets the positional arguments, the keyword object, and the connection. */
export type CommandFunction = (
	args: unknown[],
	kwargs: Record<string, unknown>,
	connection: Connection,
	context: { source: string },
) => void;

export interface Commands {
	/** Adds a command the server may send; names beginning "lv." are lv's own. */
	add(name: string, fn: CommandFunction): Commands;
	remove(name: string): boolean;
	has(name: string): boolean;
	get(name: string): CommandFunction | undefined;
	names(): string[];
}

export type ConnectionState = "connecting" | "open" | "offline" | "closed";

export interface ModeCommands {
	enter?: Command[];
	exit?: Command[];
}

/** The modes' command lists, by mode name (a Map). */
export interface ModeTable {
	get(name: string): { enter: Command[]; exit: Command[] } | undefined;
	has(name: string): boolean;
	readonly size: number;
}

export interface BlockedEvent {
	readonly group: string;
	readonly callback: string;
	readonly element: EventTarget;
	readonly event: Event | undefined;
	/** "blocked": the group is blocked; "full": too many calls wait their turn. */
	readonly reason: "blocked" | "full";
	/** Whether the socket is down. */
	readonly offline: boolean;
	/** Skips the default flash notification. */
	preventDefault(): void;
}

/** The events of a connection and what their listeners get. */
export interface ConnectionEvents {
	ready: undefined;
	connect: { conn: string | null };
	disconnect: { code: number; reason: string };
	state: ConnectionState;
	mode: { mode: string; previous: string };
	upgrade_required: { schema: string | null; page: string };
	blocked: BlockedEvent;
	error: LvError;
	page_state: Record<string, unknown>;
}

export interface Texts {
	offline: string;
	blocked: string;
	offlineBlocked: string;
	serverError: string;
	upgrade: string;
}

export interface ConnectOptions {
	/** The WebSocket URL; default: /lv/ws on the page's host (ws: or wss:). */
	url?: string;
	/** Where /lv/rpc/NAME is for the HTTP fallback; default: the page's origin. */
	base?: string;
	/** The WebSocket path when url is not given; default "/lv/ws". */
	path?: string;
	/** Default call timeout in ms (30000). */
	timeout?: number;
	/** Messages held while the socket is down (1000). */
	maxQueue?: number;
	/** Callbacks waiting their turn in one serial group (100). */
	maxWaiting?: number;
	/** Reconnect delays: random in [0, min(backoffCap, backoffBase * 2^n)) ms. */
	backoffBase?: number;
	backoffCap?: number;
	/** Heartbeat interval in ms until the server's welcome gives one (25000). */
	heartbeat?: number;
	/** ms from the server's first unacknowledged message to the ack (1000);
	 * sooner after ackEvery messages, or once a quarter of the server's
	 * replay buffer is unacknowledged. */
	ackDelay?: number;
	/** Messages of the server after which the ack goes at once (128). */
	ackEvery?: number;
	/** Allows the lv.eval command. */
	allowEval?: boolean;
	/** Opens the socket by itself (true). */
	autoConnect?: boolean;
	/** Binds data-lv-on-* attributes when the DOM is ready (true). */
	scan?: boolean;
	/** Keeps the session in sessionStorage across a reload (false). */
	persist?: boolean;
	/** The texts of the default notifications. */
	texts?: Partial<Texts>;
	/** Replacements for the globals lv.js uses (tests). */
	env?: Record<string, unknown>;
}

export interface Connection {
	readonly schema: Schema;
	readonly module: string;
	/** connecting, open, offline (reconnecting) or closed. */
	readonly state: ConnectionState;
	/** The id the server gave this connection (in its welcome). */
	readonly connId: string | null;
	/** The current execution mode: MAIN, OFFLINE, SERVER_ERROR_500 or one of the page's. */
	readonly mode: string;
	readonly modes: ModeTable;
	/** The page state lv.set_state sets. */
	readonly pageState: Record<string, unknown>;
	readonly commands: Commands;
	readonly url: string;
	readonly httpBase: string;
	readonly document: Document | undefined;
	/** The resume token of the session; null before the first welcome. */
	readonly session: string | null;
	/** Whether dispose() was called. */
	readonly disposed: boolean;
	allowEval: boolean;

	/** Calls a server.rpc. */
	call<T = unknown>(fn: string, args?: CallbackArgs, options?: CallOptions): Promise<T>;
	/** Sends to a server.realtime; returns whether it was sent or queued. */
	send(fn: string, args?: CallbackArgs): boolean;
	/** The Callback of a client.callback; throws for any other name. */
	callback(name: string): Callback;
	/** Binds a callback (object or name) to an element's event; returns an unbind function. */
	bind(element: EventTarget, callback: Callback | string): () => void;
	bind(element: EventTarget, eventName: string | undefined, callback: Callback | string): () => void;
	/** Binds the data-lv-on-EVENT attributes under root (default: the document). */
	scan(root?: ParentNode): number;
	/** Reads the named values from the element's form or the document, coerced to the parameter types. */
	argsFrom(element: Element, names: readonly string[], fn?: string): CallbackArgs;
	/** Installs the page's handlers of client endpoints, by endpoint name. */
	register(handlers: object): void;
	/** The store of a declared state; for a group state, of that group. */
	store(name: string, group?: string): ServerState<unknown> | PageState<unknown>;
	/** Sends what the page changed in its own state now (flush: manual). */
	flushState(name: string): void;
	/** A model binding (client.model.NAME): the operations the schema lists. */
	model(name: string): Partial<ModelBinding<Record<string, unknown>, unknown, string, string>>;

	on<K extends keyof ConnectionEvents>(event: K, listener: (detail: ConnectionEvents[K]) => void): () => void;
	on(event: string, listener: (detail: any) => void): () => void;
	off(event: string, listener: (detail: any) => void): void;

	/** Runs commands as the page. */
	run(cmds: Command[]): void;
	notify(message: string, kwargs?: { sticky?: boolean; group?: string; throttle?: number; level?: "info" | "success" | "warning" | "error"; timeout?: number }): Element | null;
	clearNotifications(group?: string): void;
	setState(patch: Record<string, unknown>): void;
	setMode(name: string, lists: ModeCommands): void;
	switchMode(name: string): void;
	block(...groups: string[]): void;
	release(...groups: string[]): void;
	isBlocked(group: string): boolean;
	configure(options: ConnectOptions): Connection;
	/** Opens the socket (by itself unless autoConnect is false). */
	open(): void;
	/** Closes for good, until open(). */
	close(): void;
	/** Closes for good and removes every listener, timer, binding and notification it added; open() then throws. */
	dispose(): void;
}

/** The classes behind the interfaces above. */
export declare const Connection: { new (schema: Schema, options?: ConnectOptions): Connection; prototype: Connection };
export declare const Callback: { prototype: Callback };

/** A connection outside the page's registry (page.add puts it on the page). */
export declare function createConnection(schema: Schema, options?: ConnectOptions): Connection;

/** What a generated NAME.lv.js is made of. */
/** A state declared in the contract, as the generated schema lists it. */
export interface SchemaState {
	owner: "server" | "page";
	scope: "conn" | "group" | "global";
	flush: number | "manual";
	type: string;
}

/**
 * A state kept in step with the server: the store of store.js (an immutable
 * snapshot per revision, unchanged parts the same objects from one revision
 * to the next), shaped for React's useSyncExternalStore (subscribe, get) and
 * plain DOM code. null until the server's first snapshot, and again when the
 * page no longer sees it.
 */
export type ServerState<T> = Pick<Store<T | null>, "get" | "rev" | "subscribe" | "select" | "subscribePath">;

/** A state the page owns: written here, checked against its type, coalesced and sent for its flush. */
export type PageState<T> = Pick<Store<T>, "get" | "rev" | "subscribe" | "select" | "subscribePath" | "set" | "update">;

/** A group state: a store per group. */
export interface GroupState<T> {
	of(group: string): ServerState<T>;
}

// ---- models -----------------------------------------------------------------------

/** A model binding as the generated schema lists it. */
export interface SchemaModelBinding {
	/** The model (the struct's name). */
	model: string;
	/** The operations offered; unsubscribe comes with subscribe. */
	ops: readonly ("retrieve" | "list" | "create" | "update" | "delete" | "subscribe")[];
	key: string;
	version: string;
	/** The fields a query may compare, and order by. */
	filter: readonly string[];
	order: readonly string[];
	/** The largest page. */
	limit: number;
}

/** A comparison of one field: a value (equal), or one operator. */
export type ModelCondition<V> =
	| V
	| null
	| { eq?: V | null; ne?: V | null; lt?: V; le?: V; gt?: V; ge?: V; in?: readonly V[]; contains?: string };

/** A query: every condition holds; ordered by `order` ("-field" goes down), then the key. */
export interface ModelQuery<Row> {
	where?: { [F in keyof Row]?: ModelCondition<Row[F]> };
	order?: readonly (Extract<keyof Row, string> | `-${Extract<keyof Row, string>}`)[];
	/** From 1. */
	page?: number;
	/** Rows per page, at most the binding's limit (its default). */
	limit?: number;
}

/** One page of a query's result. */
export interface ModelPage<Row> {
	readonly page: number;
	readonly limit: number;
	/** The rows matching the query in all. */
	readonly count: number;
	readonly rows: readonly Readonly<Row>[];
}

/**
 * A live result: a new immutable page per change the server reports
 * (rows not touched are the same objects), shaped for React's
 * useSyncExternalStore (subscribe, getSnapshot).
 */
export interface LiveQuery<Row> {
	/** The page's name for it (given, or made fresh). */
	readonly key: string;
	getSnapshot(): ModelPage<Row>;
	/** Calls fn with each new page; returns the unsubscribe. */
	subscribe(fn: (page: ModelPage<Row>) => void): () => void;
	/** Ends it here and on the server. */
	close(): void;
}

/** client.model.NAME: a model's rows, as the binding lets the page have them. */
export interface ModelBinding<Row, Key, KeyField extends string, VersionField extends string> {
	retrieve(id: Key): Promise<Row>;
	list(query?: ModelQuery<Row>): Promise<ModelPage<Row>>;
	/** A new row: no version (it is 1); an integer key may be left for the database to pick. */
	create(row: Omit<Row, VersionField> | Omit<Row, KeyField | VersionField>): Promise<Row>;
	/** row carries the version it was read at; a stale one rejects with "aborted". */
	update(row: Row): Promise<Row>;
	delete(id: Key, version: number): Promise<null>;
	/** The first page, then its changes; key: the result's name (default: a fresh one). */
	subscribe(query?: ModelQuery<Row>, options?: { key?: string }): Promise<LiveQuery<Row>>;
}

export interface ClientModule<C> {
	createClient(options?: ConnectOptions): C & ClientBase;
	connect(options?: ConnectOptions): C & ClientBase;
	argsFrom(element: Element, names: readonly string[], fn?: string): CallbackArgs;
}
/** The members every generated client has besides its endpoints. */
export interface ClientBase {
	readonly schema: Schema;
	readonly lv: Connection;
	/** The model bindings, by name (the generated client types each one). */
	readonly model: { readonly [name: string]: Partial<ModelBinding<any, any, string, string>> };
	register(handlers: object): void;
	dispose(): void;
}
export declare function clientModule<C extends object>(schema: Schema, endpoints: (lv: Connection) => C): ClientModule<C>;
/** Reconnect delay n: random in [0, min(cap, base * 2^n)). */
export declare function backoffDelay(attempt: number, base?: number, cap?: number, random?: () => number): number;

/** What the page has once: window.lv for pages without modules. */
export interface Page {
	readonly version: string;
	readonly connections: readonly Connection[];
	readonly commands: Commands;
	allowEval: boolean;
	on(event: string, listener: (detail: any) => void): () => void;
	off(event: string, listener: (detail: any) => void): void;
	scan(root?: ParentNode): number;
	bind(element: EventTarget, callback: Callback | string): () => void;
	bind(element: EventTarget, eventName: string | undefined, callback: Callback | string): () => void;
	notify(message: string, kwargs?: Record<string, unknown>): Element | null;
	/** Puts a connection on the page (its listeners, scans, window.lv); returns it. */
	add(connection: Connection): Connection;
	/** Takes it off (dispose() does). */
	remove(connection: Connection): void;
}
export declare const page: Page;
/** The class of page (one page per document; lv.js makes it). */
export declare const Page: { new (): Page; prototype: Page };

// ---- synchronised state (patch.js, store.js) -----------------------------------------
// The page side of it, not yet wired to the connection.

/** An RFC 6902 operation. Pointers are RFC 6901: "" is the whole document, "/a/0" a member's item, "~1" stands for "/" and "~0" for "~". */
export type PatchOp =
	| { readonly op: "add"; readonly path: string; readonly value: unknown }
	| { readonly op: "remove"; readonly path: string }
	| { readonly op: "replace"; readonly path: string; readonly value: unknown }
	| { readonly op: "move"; readonly from: string; readonly path: string }
	| { readonly op: "copy"; readonly from: string; readonly path: string }
	| { readonly op: "test"; readonly path: string; readonly value: unknown };

export type PatchErrorReason =
	| "invalid_op"
	| "bad_pointer"
	| "missing"
	| "bad_index"
	| "not_container"
	| "test_failed"
	| "into_itself"
	| "root"
	| "not_json";

/** What a patch that cannot apply throws (nothing of it is applied). */
export declare class PatchError extends Error {
	constructor(reason: PatchErrorReason | string, message: string, index?: number, path?: string);
	/** "PatchError" */
	readonly name: string;
	readonly reason: PatchErrorReason | string;
	/** The op at fault; -1 when it is none in particular. */
	readonly index: number;
	/** The pointer at fault ("" for the whole document). */
	readonly path: string;
}

export interface PatchOptions {
	/** Freezes every new list and object of the result (true). */
	freeze?: boolean;
}

/** The patched value; doc is left as it was and shares every untouched subtree with it. */
export declare function applyPatch<T = unknown>(doc: unknown, ops: readonly PatchOp[], options?: PatchOptions): T;
/** A patch from a to b: equal identities skipped, objects by member, lists of one length by item, others replaced. */
export declare function diff(a: unknown, b: unknown): PatchOp[];
/** The same patch, shorter (addCreates: an add creates its target; true). */
export declare function coalesce(ops: readonly PatchOp[], options?: { addCreates?: boolean }): PatchOp[];

export type StoreErrorCode = "revision" | "pending";

/** What apply() throws for a revision out of order (resync), or while page changes wait. */
export declare class StoreError extends Error {
	constructor(code: StoreErrorCode | string, message: string, details?: { expected?: number; got?: unknown });
	/** "StoreError" */
	readonly name: string;
	readonly code: StoreErrorCode | string;
	/** "revision": the revision wanted, and the one given. */
	readonly expected: number | undefined;
	readonly got: unknown;
}

export interface StoreOptions {
	/** Deep-frozen snapshots (true). */
	freeze?: boolean;
	/** Where what a subscriber throws goes (console.error). */
	onError?: (error: unknown) => void;
}

/** One piece of synchronised state; its functions need no this (useSyncExternalStore(store.subscribe, store.get)). */
export interface Store<T = unknown> {
	/** The current snapshot, immutable. */
	get(): T;
	/** The server's last applied revision, or the page's last taken batch. */
	readonly rev: number;
	/** Called after every change; returns the unsubscribe function. */
	subscribe(listener: (snapshot: T, rev: number) => void): () => void;
	/** The value at a pointer of the current snapshot; undefined when there is none. */
	select<V = unknown>(path: string): V | undefined;
	/** Called when the value at the pointer is another object or value (by identity). */
	subscribePath<V = unknown>(path: string, listener: (value: V | undefined, previous: V | undefined) => void): () => void;
	/** A patch of the server's: rev must be the next revision unless ops is a snapshot (one replace of ""). */
	apply(rev: number, ops: readonly PatchOp[]): T;
	/** The page's state: sets the value at a pointer ("-" appends to a list). */
	set(path: string, value: unknown): T;
	/** The page's state: fn returns the next snapshot; what differs becomes ops. */
	update(fn: (snapshot: T) => T): T;
	/** The page's ops since the last take, coalesced; null when none. A batch advances rev. */
	takePending(): PatchOp[] | null;
}

export declare function createStore<T>(initial: T, options?: StoreOptions): Store<T>;
export declare function createStore<T = unknown>(initial?: undefined, options?: StoreOptions): Store<T | null>;

export declare const VERSION: string;
export declare const MAIN: "MAIN";
export declare const OFFLINE: "OFFLINE";
export declare const SERVER_ERROR_500: "SERVER_ERROR_500";
export declare const DEFAULTS: Readonly<Required<Omit<ConnectOptions, "url" | "base" | "texts" | "env">>>;
export declare const TEXTS: Readonly<Texts>;

declare global {
	interface Window {
		lv: Page;
		lvConfig?: ConnectOptions;
	}
}

/* chat_handlers.c - the server side of chat.lv: yours to edit.
 *
 * lvc made this file once and merges it when chat.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature, and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.lv.h"

/* Who is in a room is the runtime's presence (lv_group_members,
 * lv_presence_watch): a page's name is its identity (lv_conn_set_auth),
 * so the members and the presence pushes are those of every server
 * sharing the rooms through a broker (LV_BROKER), not only this one's,
 * and so are the rooms listed (lv_group_list). A room's history stays
 * this server's.
 *
 * Every handler runs on the server's one event loop, so this state needs
 * no locks. It is bounded: a member is a page (the runtime caps those), a
 * room lives while it has members, and there are at most max_rooms() of
 * them, each with at most HISTORY messages of at most TEXT_MAX_LEN bytes
 * (about 100 KiB a room: 25 MiB for the default 256 rooms). */

enum { HISTORY = 50, NAME_MAX_LEN = 40, TEXT_MAX_LEN = 2000, MAX_ROOMS = 256 };

typedef struct member {
	lv_conn *conn;
	char name[NAME_MAX_LEN + 1];
	char room[NAME_MAX_LEN + 1];
	struct member *next;
} member;

typedef struct room {
	char name[NAME_MAX_LEN + 1];
	chat_Message history[HISTORY];   /* a ring; strings owned (malloc) */
	int count, first;
	int members;                     /* pages in it; the room goes at 0 */
	struct room *next;
} room;

static member *members_list;
static room *rooms;
static int nrooms;
static int64_t next_id = 1;

/* Rooms at once: CHAT_MAX_ROOMS in the environment, or MAX_ROOMS. */
static int
max_rooms(void)
{
	static int max;
	if (max == 0) {
		const char *v = getenv("CHAT_MAX_ROOMS");
		max = v && atoi(v) > 0 ? atoi(v) : MAX_ROOMS;
	}
	return max;
}

static bool
valid_name(lv_str s)
{
	if (s.len == 0 || s.len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] < 0x20)
			return false;
	return true;
}

static room *
find_room(lv_str name, bool create)
{
	for (room *r = rooms; r; r = r->next)
		if (lv_str_eq_cstr(name, r->name))
			return r;
	if (!create)
		return NULL;
	room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	memcpy(r->name, name.ptr, name.len);
	r->next = rooms;
	rooms = r;
	nrooms++;
	return r;
}

static void
free_message(chat_Message *m)
{
	lv_str_free(m->room);
	lv_str_free(m->from);
	lv_str_free(m->text);
	memset(m, 0, sizeof *m);
}

static void
clear_history(room *r)
{
	for (int i = 0; i < r->count; i++)
		free_message(&r->history[(r->first + i) % HISTORY]);
	r->count = r->first = 0;
}

static void
free_room(room *r)
{
	for (room **p = &rooms; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	clear_history(r);
	free(r);
	nrooms--;
}

/* The page leaves its room, which goes if it was the last one there. */
static void
leave_room(lv_conn *conn, member *me)
{
	if (!me->room[0])
		return;
	room *r = find_room(lv_cstr(me->room), false);
	lv_group_leave(conn, me->room);   /* the others hear it: on_presence() */
	if (r && --r->members == 0)
		free_room(r);
	me->room[0] = '\0';
}

/* The message, its strings copied; NULL when out of memory. */
static chat_Message *
append(room *r, lv_str from, lv_str text, const int64_t *reply_to)
{
	chat_Message *m;
	if (r->count == HISTORY) {
		m = &r->history[r->first];
		free_message(m);
		r->first = (r->first + 1) % HISTORY;
	} else {
		m = &r->history[(r->first + r->count++) % HISTORY];
	}
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	m->id = next_id++;
	m->room = lv_str_dup(lv_cstr(r->name));
	m->from = lv_str_dup(from);
	m->text = lv_str_dup(text);
	if (!m->room.ptr || !m->from.ptr || !m->text.ptr) {
		free_message(m);
		r->count--;   /* the slot taken last is the ring's newest */
		return NULL;
	}
	m->sent = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	m->has_reply_to = reply_to != NULL;
	m->reply_to = reply_to ? *reply_to : 0;
	return m;
}

static member *
member_of(lv_conn *conn)
{
	return conn ? lv_conn_data(conn) : NULL;
}

/* The page's answer to "clear the history?" (asked by chat_clear). */
static void
confirmed(lv_conn *conn, int status, const bool *yes, void *user_data)
{
	lv_call *call = user_data;
	member *me = member_of(conn);
	if (status < 0 || !yes || !*yes || !me || !me->room[0]) {
		chat_clear_reply(call, false);
		return;
	}
	room *r = find_room(lv_cstr(me->room), false);
	if (r)
		clear_history(r);
	chat_room_cleared_group(lv_conn_server(conn), me->room, lv_cstr(me->room),
	                        lv_cstr(me->name));
	chat_clear_reply(call, true);
}

/* lvc:begin clear */
/*
 * Clears a room's history, once the caller has confirmed it.
 */
lv_status
chat_clear(lv_call *call, lv_str room, bool *out)
{
	(void)out;   /* answered later, by confirmed() below */
	member *me = member_of(lv_call_conn(call));
	if (!me || !lv_str_eq_cstr(room, me->room))
		return lv_call_fail(call, LV_EPERMISSION_DENIED, "join the room first");
	char question[128];
	snprintf(question, sizeof question, "Clear the history of #%s for everyone?", me->room);
	/* Ask this page, and answer the call when it has answered. */
	int rc = chat_confirm_call(lv_call_conn(call), lv_cstr(question), confirmed, call);
	if (rc < 0)
		return lv_call_fail(call, rc, "cannot ask the page: %s", lv_strerror(rc));
	return lv_call_defer(call);
}
/* lvc:end clear */

/* lvc:begin join */
/*
 * Enters a room under a name, leaving the one the page was in; returns
 * the room's recent history. A room is made by its first member and goes
 * with its last; past the server's cap on rooms, a new one is refused.
 */
lv_status
chat_join(lv_call *call, lv_str room, lv_str name, chat_Message_list *out)
{
	lv_conn *conn = lv_call_conn(call);
	if (!conn)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "join needs a live page");
	if (!valid_name(room) || !valid_name(name))
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "room and name are 1 to %d "
		                    "printable characters", NAME_MAX_LEN);
	member *me = member_of(conn);
	struct room *r = find_room(room, false);
	/* A new room must fit under the cap; the room the page leaves goes
	 * first if the page was alone there. */
	struct room *old = me && me->room[0] ? find_room(lv_cstr(me->room), false) : NULL;
	if (!r && nrooms - (old && old->members == 1) >= max_rooms())
		return lv_call_fail(call, LV_ERESOURCE_EXHAUSTED, "the server has its %d rooms: "
		                    "join one of them, or try later", max_rooms());
	if (!me) {
		if (!(me = calloc(1, sizeof *me)))
			return LV_ENOMEM;
		me->conn = conn;
		me->next = members_list;
		members_list = me;
		lv_conn_set_data(conn, me);
	}
	/* Counted in the new room before it leaves the old one, which may be
	 * the same room: then it stays. */
	if (r)
		r->members++;
	leave_room(conn, me);
	/* The name is who the page is from now on: the members list and the
	 * presence pushes (on_presence) say it, on every server. */
	char who[NAME_MAX_LEN + 1];
	memcpy(who, name.ptr, name.len);
	who[name.len] = '\0';
	int rc = lv_conn_set_auth(conn, who, NULL, 0);
	if (rc < 0) {
		if (r && --r->members == 0)
			free_room(r);
		return lv_call_fail(call, rc, "cannot join as '%s': %s", who, lv_strerror(rc));
	}
	if (!r) {
		if (!(r = find_room(room, true)))
			return LV_ENOMEM;
		r->members = 1;
	}
	memcpy(me->name, name.ptr, name.len);
	me->name[name.len] = '\0';
	memcpy(me->room, room.ptr, room.len);
	me->room[room.len] = '\0';
	lv_group_join(conn, me->room);

	out->n = (size_t)r->count;
	out->items = lv_call_alloc(call, sizeof *out->items * (size_t)(r->count ? r->count : 1));
	if (!out->items)
		return LV_ENOMEM;
	for (int i = 0; i < r->count; i++)
		out->items[i] = r->history[(r->first + i) % HISTORY];
	return LV_OK;
}
/* lvc:end join */

/* lvc:begin left */
lv_status
chat_left(lv_call *call)
{
	lv_conn *conn = lv_call_conn(call);
	member *me = member_of(conn);
	if (!me)
		return LV_OK;
	for (member **p = &members_list; *p; p = &(*p)->next)
		if (*p == me) {
			*p = me->next;
			break;
		}
	leave_room(conn, me);
	lv_conn_set_data(conn, NULL);
	free(me);
	return LV_OK;
}
/* lvc:end left */

static void
members_known(lv_server *s, const char *group, int status, const lv_member *m, size_t n,
              void *user_data)
{
	(void)s, (void)group;
	lv_call *call = user_data;
	lv_str_list out = { 0, lv_call_alloc(call, sizeof *out.items * (n ? n : 1)) };
	if (status < 0 && status != LV_EUNAVAILABLE) {
		lv_call_fail(call, status, "members: %s", lv_strerror(status));
		return;
	}
	if (!out.items) {
		lv_call_fail(call, LV_ENOMEM, "out of memory");
		return;
	}
	/* Without the broker: this server's members, which is what it knows. */
	for (size_t i = 0; i < n; i++)
		if (m[i].identity)
			out.items[out.n++] = lv_call_strdup(call, m[i].identity);
	chat_members_reply(call, out);
}

/* lvc:begin members */
/*
 * Who is in a room now, on every server sharing its rooms.
 */
lv_status
chat_members(lv_call *call, lv_str room, lv_str_list *out)
{
	(void)out;   /* answered by members_known(), once the broker has */
	if (!valid_name(room))
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a room is 1 to %d printable "
		                    "characters", NAME_MAX_LEN);
	char name[NAME_MAX_LEN + 1];
	memcpy(name, room.ptr, room.len);
	name[room.len] = '\0';
	int rc = lv_call_defer(call);
	int err = lv_group_members(lv_call_server(call), name, members_known, call);
	if (err < 0)
		lv_call_fail(call, err, "members: %s", lv_strerror(err));
	return rc;
}
/* lvc:end members */

/* lvc:begin post */
/*
 * Posts to the room the page has joined; every page in it receives the
 * message. Also served as POST /lv/rpc/post.
 */
lv_status
chat_post(lv_call *call, lv_str room, lv_str text, const int64_t *reply_to, chat_Message *out)
{
	member *me = member_of(lv_call_conn(call));
	/* Over HTTP there is no page: such posts come from "(http)". */
	bool in_room = me && lv_str_eq_cstr(room, me->room);
	if (lv_call_conn(call) && !in_room)
		return lv_call_fail(call, LV_EPERMISSION_DENIED, "join the room first");
	if (text.len == 0 || text.len > TEXT_MAX_LEN)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a message is 1 to %d bytes",
		                    TEXT_MAX_LEN);
	struct room *r = find_room(room, false);
	if (!r)
		return lv_call_fail(call, LV_ENOT_FOUND, "no room '%.*s'", (int)room.len, room.ptr);
	chat_Message *m = append(r, me ? lv_cstr(me->name) : LV_STR("(http)"), text, reply_to);
	if (!m)
		return LV_ENOMEM;
	chat_message_group(lv_call_server(call), r->name, m);
	*out = *m;
	return LV_OK;
}
/* lvc:end post */

/* lvc:begin typing */
/*
 * The page's user is typing; not worth keeping if the line is busy.
 */
lv_status
chat_typing(lv_call *call, lv_str room)
{
	member *me = member_of(lv_call_conn(call));
	if (!me || !lv_str_eq_cstr(room, me->room))
		return lv_call_fail(call, LV_EPERMISSION_DENIED, "join the room first");
	chat_typing_in_group(lv_call_server(call), me->room, room, lv_cstr(me->name));
	return LV_OK;
}
/* lvc:end typing */

static void
rooms_known(lv_server *s, int status, const char *const *groups, size_t n, void *user_data)
{
	(void)s, (void)status;   /* without the broker: this server's, which it knows */
	lv_call *call = user_data;
	lv_str_list out = { 0, lv_call_alloc(call, sizeof *out.items * (n ? n : 1)) };
	if (!out.items) {
		lv_call_fail(call, LV_ENOMEM, "out of memory");
		return;
	}
	/* This server's rooms newest first, then the others' as they come. */
	for (room *r = rooms; r; r = r->next)
		for (size_t i = 0; i < n; i++)
			if (strcmp(groups[i], r->name) == 0) {
				out.items[out.n++] = lv_cstr(r->name);
				break;
			}
	for (size_t i = 0; i < n; i++)
		if (!find_room(lv_cstr(groups[i]), false))
			out.items[out.n++] = lv_call_strdup(call, groups[i]);
	chat_rooms_reply(call, out);
}

/* lvc:begin rooms */
/*
 * The rooms that have someone in them, on every server sharing them:
 * this server's newest first, then the others'.
 */
lv_status
chat_rooms(lv_call *call, lv_str_list *out)
{
	(void)out;   /* answered by rooms_known(), once the broker has */
	int rc = lv_call_defer(call);
	int err = lv_group_list(lv_call_server(call), rooms_known, call);
	if (err < 0)
		lv_call_fail(call, err, "rooms: %s", lv_strerror(err));
	return rc;
}
/* lvc:end rooms */

/* A page came into a room or went, on this server or another: the server
 * where it happened (origin) tells the room's pages, once. */
static void
on_presence(lv_server *s, const lv_presence_event *ev, void *user_data)
{
	(void)user_data;
	if (!ev->origin || !ev->member.identity)
		return;
	chat_presence_group(s, ev->group, lv_cstr(ev->group), lv_cstr(ev->member.identity),
	                    ev->kind == LV_PRESENCE_JOINED ? chat_Presence_online :
	                    chat_Presence_offline);
}

/* lvc:begin started */
lv_status
chat_started(lv_call *call)
{
	lv_presence_watch(lv_call_server(call), on_presence, NULL);
	return LV_OK;
}
/* lvc:end started */

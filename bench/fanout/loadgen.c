/*
 * loadgen: a single-process, single-threaded epoll load generator for chatd's line protocol.
 *
 * Build (from the repository root):   gcc -O2 -o loadgen bench/fanout/loadgen.c
 *
 *   loadgen HOST PORT fanout  --users N --senders K [--window 16] [--size 64]
 *                             [--warmup S] [--duration S] [--rate MSGS_PER_S]
 *                             [--rooms R] [--receipts 0|1]
 *   loadgen HOST PORT connect --users N [--rate CONNECTS_PER_S] [--hold S]
 *   loadgen HOST PORT storm   --users N [--inflight M] [--timeout S]
 *   common options: [--prefix u] [--server-pid PID] [--join-inflight 200]
 *                   [--handshake-timeout S] [--drain S] [--realtime 1]
 *
 * With --realtime 1 it asks for real-time scheduling (SCHED_FIFO, priority 1) on its CPU, so that
 * the kernel threads that share that CPU cannot hold back its reading of the clock: on the shared
 * virtual machine this was measured on, `perf sched` showed the generator runnable but waiting up
 * to 20 ms behind the RCU kthread, which made every handshake in flight then look 20 ms slow.
 * Without the privilege it warns and goes on; the JSON says whether it had it ("realtime").
 * It sleeps in epoll_wait whenever it has nothing to do, so it leaves its CPU to others then.
 *
 * With --server-pid it also reports the server's CPU seconds over the measured phase (from
 * /proc/PID/stat) and, in connect, the server's VmRSS before and while the users are held.
 *
 * It speaks to any server with chatd's wire protocol: the server sends a line ending in
 * "Please enter a username:", the client answers a name (PREFIX + index), the server answers
 * "* Welcome NAME! ..."; chat lines from others arrive as "NAME: TEXT"; the sender gets no echo.
 *
 * fanout: joins all users (at most --join-inflight handshakes at a time), waits until every
 * "has joined" notice has arrived, then users 0..K-1 send messages of exactly --size bytes on the
 * wire (CRLF included): "SENDER SEQ SEND_NS xxx...". A message stays in flight until all N-1
 * other users have read it; a sender has at most --window messages in flight. Without --rate the
 * senders send whenever the window allows (saturation); with --rate they send that many messages
 * per second in total, round robin over the senders, on a timer (a message that finds its
 * sender's window full waits, and is counted as deferred). After --warmup seconds, --duration
 * seconds are measured: every line read is counted and its latency (read time minus the embedded
 * send time, CLOCK_MONOTONIC) goes into a histogram with 1 us buckets below 1.024 ms and 512
 * sub-buckets per power of two above. Then nobody sends and the generator waits (at most --drain
 * seconds) for the messages in flight. Each receiver checks every sender's sequence: SEQ must be
 * last+1; a gap counts the missing ones as lost, SEQ <= last as duplicated; a line that is neither
 * a well-formed message from a sender nor a "* " notice is malformed ("! " lines are malformed
 * too, and also counted as errors).  lost = deliveries owed (sent x (N-1)) - distinct deliveries.
 *
 * fanout with --rooms R (chatd's wire protocol v2): once everyone has joined, user i sends
 * "/join #rK" with K = i % R and waits for "* Now talking in #rK"; then every "* uX has joined
 * #rK" notice must arrive (m(m-1)/2 in a room of m).  Sender s (user s, s < K) then talks in room
 * s % R only, so with --senders 50 --rooms 100 rooms 0 to 49 have one talker each and the other 50
 * are silent; a message is owed to the m-1 other members of its room, and one read by a user of
 * another room is malformed.  Everyone stays in #lobby too, where nobody speaks.
 *
 * fanout with --receipts 1: every sender sends "/receipts on" before the load and waits for
 * "* Receipts are on"; the server then answers each chat line with "+ SEQ #room TIME" once it is
 * stored.  Receipts of a sender come in the order of its lines, so each one is timed against the
 * oldest unanswered send: receipt latency p50/p99 (receipts read in the measured window), receipts
 * per second in the window (the store's commit rate, as every line gets one), and receipts still
 * missing after the drain.  Receipts do not hold the window: the store may fall behind the relay.
 *
 * connect: opens --users connections at --rate per second, does the handshake, records handshake
 * latency (connect() start to the welcome line), then reads and discards what the server sends;
 * once every connection is named (or failed, or timed out) it prints READY on stderr, reads the
 * server's VmRSS if --server-pid is given, holds --hold seconds and closes everything.
 *
 * storm: starts --users non-blocking connect()s at once, unpaced; answers each prompt with a name
 * while at most --inflight names await their welcome; counts the handshakes completed within
 * --timeout seconds, the failed ones and the stalled ones (no prompt or no welcome in time).
 *
 * Output: one JSON object on stdout at the end; progress on stderr. Exit status 0 when it ran,
 * 2 on a setup failure (fanout: not every user joined; connect, storm: no handshake completed;
 * the JSON then says why, with whatever was measured), 1 on a usage error.
 * Every phase has a hard time bound. Its own CPU time (getrusage) is reported beside wall time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- time, logging */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t T0;

static void progress(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen %7.2fs: ", (now_ns() - T0) / 1e9);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- histogram (microseconds) */

#define HSUB 512
#define HLIN 1024
#define HBUCKETS (HLIN + 44 * HSUB)

typedef struct {
    uint64_t counts[HBUCKETS];
    uint64_t n, max;
} hist_t;

static int hist_bucket(uint64_t us) {
    if (us < HLIN) return (int)us;
    int e = 63 - __builtin_clzll(us); /* >= 10 */
    int sub = (int)((us >> (e - 9)) & (HSUB - 1));
    int b = HLIN + (e - 10) * HSUB + sub;
    return b < HBUCKETS ? b : HBUCKETS - 1;
}

static uint64_t hist_lower(int b) {
    if (b < HLIN) return (uint64_t)b;
    int e = (b - HLIN) / HSUB + 10, sub = (b - HLIN) % HSUB;
    return (uint64_t)(HSUB + sub) << (e - 9);
}

static void hist_add(hist_t *h, uint64_t us) {
    h->counts[hist_bucket(us)]++;
    h->n++;
    if (us > h->max) h->max = us;
}

static double hist_pct(const hist_t *h, double p) {
    if (h->n == 0) return -1;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->n);
    if (want >= h->n) want = h->n - 1;
    uint64_t seen = 0;
    for (int b = 0; b < HBUCKETS; b++) {
        seen += h->counts[b];
        if (seen > want) return (double)hist_lower(b);
    }
    return (double)h->max;
}

/* ---------------------------------------------------------------- options */

enum { FANOUT, CONNECT, STORM };

static struct {
    const char *host;
    int port, scenario;
    int users, senders, window, size;
    double warmup, duration, rate, hold, timeout, drain, handshake_timeout;
    int inflight, join_inflight, server_pid, realtime, rooms, receipts;
    const char *prefix;
} opt = {.users = 100, .senders = 10, .window = 16, .size = 64, .warmup = 3, .duration = 10,
         .rate = 0, .hold = 2, .timeout = 30, .drain = 5, .handshake_timeout = 10,
         .inflight = 1000, .join_inflight = 200, .prefix = "u"};

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen HOST PORT fanout|connect|storm [--users N] [--senders K] [--window W]\n"
            "       [--size BYTES] [--warmup S] [--duration S] [--rate R] [--hold S]\n"
            "       [--inflight M] [--timeout S] [--drain S] [--handshake-timeout S]\n"
            "       [--join-inflight M] [--prefix P] [--server-pid PID] [--realtime 0|1]\n"
            "       [--rooms R] [--receipts 0|1]\n");
    exit(1);
}

static void parse_args(int argc, char **argv) {
    if (argc < 4) usage();
    opt.host = argv[1];
    opt.port = atoi(argv[2]);
    if (!strcmp(argv[3], "fanout")) opt.scenario = FANOUT;
    else if (!strcmp(argv[3], "connect")) opt.scenario = CONNECT, opt.rate = 1000, opt.users = 10000;
    else if (!strcmp(argv[3], "storm")) opt.scenario = STORM, opt.users = 2000;
    else usage();
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--users")) opt.users = atoi(v);
        else if (!strcmp(a, "--senders")) opt.senders = atoi(v);
        else if (!strcmp(a, "--window")) opt.window = atoi(v);
        else if (!strcmp(a, "--size")) opt.size = atoi(v);
        else if (!strcmp(a, "--warmup")) opt.warmup = atof(v);
        else if (!strcmp(a, "--duration")) opt.duration = atof(v);
        else if (!strcmp(a, "--rate")) opt.rate = atof(v);
        else if (!strcmp(a, "--hold")) opt.hold = atof(v);
        else if (!strcmp(a, "--inflight")) opt.inflight = atoi(v);
        else if (!strcmp(a, "--timeout")) opt.timeout = atof(v);
        else if (!strcmp(a, "--drain")) opt.drain = atof(v);
        else if (!strcmp(a, "--handshake-timeout")) opt.handshake_timeout = atof(v);
        else if (!strcmp(a, "--join-inflight")) opt.join_inflight = atoi(v);
        else if (!strcmp(a, "--prefix")) opt.prefix = v;
        else if (!strcmp(a, "--server-pid")) opt.server_pid = atoi(v);
        else if (!strcmp(a, "--realtime")) opt.realtime = atoi(v);
        else if (!strcmp(a, "--rooms")) opt.rooms = atoi(v);
        else if (!strcmp(a, "--receipts")) opt.receipts = atoi(v);
        else usage();
    }
    if (opt.users < 1 || opt.port <= 0 || opt.window < 1 || opt.inflight < 1 ||
        opt.join_inflight < 1 || strlen(opt.prefix) > 20)
        usage();
    if (opt.scenario == FANOUT &&
        (opt.senders < 1 || opt.senders > opt.users || opt.users < 2 || opt.size < 48 ||
         opt.size > 4000 || opt.rooms < 0 || opt.rooms > opt.users))
        usage();
}

/* ---------------------------------------------------------------- connections */

enum { C_IDLE, C_CONNECTING, C_PROMPT, C_QUEUED, C_WELCOME, C_JOINED, C_FAILED, C_CLOSED };

typedef struct {
    int fd, state, idx;
    uint64_t started;              /* connect() start */
    char *pend;                    /* partial line carried between reads */
    size_t plen, pcap;
    char *wbuf;                    /* output the kernel did not take yet */
    size_t wlen, wcap;
    int want_out;
} conn_t;

typedef struct {              /* one slot of a sender's window */
    int64_t seq;
    int remaining;            /* recipients that have not resolved it yet */
} slot_t;

typedef struct {
    int64_t next_seq;         /* next sequence number to send (starts at 1) */
    int inflight;
    int64_t backlog;          /* rate mode: messages due but waiting for the window */
    slot_t *ring;
    uint64_t *unreceipted;    /* --receipts: send times awaiting their receipt, a growable FIFO */
    size_t rhead, rlen, rcap;
    char name[32];            /* its username, made once: checked on every line it sent */
    size_t name_len;
} sender_t;

static conn_t *conns;
static sender_t *senders;
static int64_t *last_seq;     /* [receiver * senders + sender] */
static int epfd, tfd = -1;
static struct sockaddr_in addr;
static char rbuf[1 << 20];
static char namebuf[64];

/* counters */
static struct {
    int64_t connects_started, connected, handshakes_ok, handshakes_failed, handshakes_timeout;
    int64_t conn_errors, closed_by_server, prompts;
    int64_t lines, history, notices, join_notices, errors, malformed, duplicated, gaps, lost_in_gaps;
    int64_t deliveries_unique, deliveries_window, sent, sent_window, deferred;
    int64_t bytes_read, owed;
    int64_t now_talking, room_join_notices, receipts_on, receipts, receipts_window, receipts_stray;
    int joined_inflight;      /* handshakes between connect() and welcome */
    int named_inflight;       /* names sent, welcome not yet */
    int measuring, sending;
    char first_malformed[160];
} st;

static hist_t lat_hist, hs_hist, receipt_hist;

/* --rooms: the room of user i, and how many users share it */
static int room_of(int i) { return opt.rooms ? i % opt.rooms : 0; }

static int room_size(int r) {
    if (!opt.rooms) return opt.users;
    return opt.users / opt.rooms + (r < opt.users % opt.rooms ? 1 : 0);
}

static const char *state_error = NULL;

static void set_nonblock_nodelay(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void ep_mod(conn_t *c) {
    struct epoll_event ev = {.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0), .data.u64 = (uint64_t)c->idx};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_close(conn_t *c, int state) {
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->state == C_CONNECTING || c->state == C_PROMPT || c->state == C_QUEUED) st.joined_inflight--;
    if (c->state == C_WELCOME) st.joined_inflight--, st.named_inflight--;
    c->state = state;
    free(c->pend);
    free(c->wbuf);
    c->pend = c->wbuf = NULL;
    c->plen = c->pcap = c->wlen = c->wcap = 0;
}

static void conn_start(conn_t *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        st.conn_errors++;
        c->state = C_FAILED;
        st.handshakes_failed++;
        return;
    }
    set_nonblock_nodelay(fd);
    c->fd = fd;
    c->started = now_ns();
    st.connects_started++;
    st.joined_inflight++;
    int r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    if (r < 0 && errno != EINPROGRESS) {
        st.conn_errors++;
        st.handshakes_failed++;
        c->state = C_CONNECTING;
        conn_close(c, C_FAILED);
        return;
    }
    c->state = C_CONNECTING;
    c->want_out = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)c->idx};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Write, keeping what the kernel does not take; returns -1 if the connection failed. */
static int conn_write(conn_t *c, const char *data, size_t len) {
    if (c->fd < 0) return -1;
    if (c->wlen == 0) {
        ssize_t n = write(c->fd, data, len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            n = 0;
        }
        data += n;
        len -= (size_t)n;
        if (len == 0) return 0;
    }
    if (c->wlen + len > c->wcap) {
        c->wcap = (c->wlen + len) * 2;
        c->wbuf = realloc(c->wbuf, c->wcap);
    }
    memcpy(c->wbuf + c->wlen, data, len);
    c->wlen += len;
    if (!c->want_out) {
        c->want_out = 1;
        ep_mod(c);
    }
    return 0;
}

static int conn_flush(conn_t *c) {
    while (c->wlen) {
        ssize_t n = write(c->fd, c->wbuf, c->wlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
        c->wlen -= (size_t)n;
    }
    c->want_out = 0;
    ep_mod(c);
    return 0;
}

static void send_name(conn_t *c) {
    int n = snprintf(namebuf, sizeof namebuf, "%s%d\r\n", opt.prefix, c->idx);
    c->state = C_WELCOME;
    st.named_inflight++;
    if (conn_write(c, namebuf, (size_t)n) < 0) {
        st.handshakes_failed++;
        conn_close(c, C_FAILED);
    }
}

/* ---------------------------------------------------------------- fan-out accounting */

static void resolve(int s, int64_t seq) {
    sender_t *snd = &senders[s];
    slot_t *slot = &snd->ring[seq % opt.window];
    if (slot->seq != seq || slot->remaining <= 0) return;
    if (--slot->remaining == 0) snd->inflight--;
}

static void malformed(const char *line, size_t len) {
    if (st.malformed++ == 0) {
        size_t n = len < sizeof st.first_malformed - 1 ? len : sizeof st.first_malformed - 1;
        for (size_t i = 0; i < n; i++)
            st.first_malformed[i] = (line[i] >= 32 && line[i] < 127 && line[i] != '"' && line[i] != '\\') ? line[i] : '?';
        st.first_malformed[n] = 0;
    }
}

static char padding[4096];

/* The decimal number at p (1 to 19 digits, nothing else: no sign, no spaces), or -1; *after is
 * where it ends.  Every delivery carries three, and strtoll's locale-aware generality made half
 * of the generator's time in scenario B. */
static int64_t decimal(const char *p, const char *end, const char **after) {
    const char *start = p;
    int64_t value = 0;
    while (p < end && p - start < 19 && *p >= '0' && *p <= '9') value = value * 10 + (*p++ - '0');
    *after = p;
    return p == start ? -1 : value;
}

static void chat_line(conn_t *c, const char *line, size_t len, uint64_t t) {
    const char *colon = memmem(line, len, ": ", 2);
    if (!colon) { malformed(line, len); return; }
    const char *p = colon + 2, *end = line + len;
    size_t payload = (size_t)(end - p);
    if (payload != (size_t)opt.size - 2) { malformed(line, len); return; }
    /* SENDER SEQ NS xxx... */
    const char *q;
    int64_t s = decimal(p, end, &q);
    if (q == end || *q != ' ' || s < 0 || s >= opt.senders) { malformed(line, len); return; }
    p = q + 1;
    int64_t seq = decimal(p, end, &q);
    if (q == end || *q != ' ' || seq < 1) { malformed(line, len); return; }
    p = q + 1;
    int64_t sent = decimal(p, end, &q);
    if (q == end || *q != ' ' || sent < 0) { malformed(line, len); return; }
    uint64_t sent_ns = (uint64_t)sent;
    p = q + 1;
    if (memcmp(p, padding, (size_t)(end - p)) != 0) { malformed(line, len); return; }
    /* the name must be the sender's */
    const sender_t *from = &senders[s];
    if ((size_t)(colon - line) != from->name_len || memcmp(line, from->name, from->name_len) != 0 ||
        s == c->idx || seq >= from->next_seq || room_of(c->idx) != room_of((int)s)) {
        malformed(line, len);
        return;
    }
    int64_t *last = &last_seq[(int64_t)c->idx * opt.senders + s];
    if (seq <= *last) { st.duplicated++; return; }
    if (seq > *last + 1) {
        st.gaps++;
        st.lost_in_gaps += seq - *last - 1;
        for (int64_t m = *last + 1; m < seq; m++) resolve((int)s, m);
    }
    *last = seq;
    st.deliveries_unique++;
    resolve((int)s, seq);
    if (st.measuring) {
        st.deliveries_window++;
        hist_add(&lat_hist, t > sent_ns ? (t - sent_ns) / 1000 : 0);
    }
}

static const char PROMPT[] = "Please enter a username:";
static const char WELCOME[] = "* Welcome ";
static const char JOINED[] = " has joined the chat";
static const char NOW_TALKING[] = "* Now talking in #";
static const char JOINED_ROOM[] = " has joined #";
static const char RECEIPTS_ON[] = "* Receipts are on";

/* A "+ SEQ #room TIME" line: the oldest unanswered line of this sender is stored. */
static void receipt(conn_t *c, uint64_t t) {
    if (c->idx >= opt.senders || senders[c->idx].rlen == 0) {
        st.receipts_stray++;
        return;
    }
    sender_t *snd = &senders[c->idx];
    uint64_t sent = snd->unreceipted[snd->rhead];
    snd->rhead = (snd->rhead + 1) % snd->rcap;
    snd->rlen--;
    st.receipts++;
    if (st.measuring) {
        st.receipts_window++;
        hist_add(&receipt_hist, t > sent ? (t - sent) / 1000 : 0);
    }
}

static void await_receipt(sender_t *snd, uint64_t t) {
    if (snd->rlen == snd->rcap) {
        size_t cap = snd->rcap ? snd->rcap * 2 : 1024;
        uint64_t *ring = malloc(cap * sizeof *ring);
        for (size_t i = 0; i < snd->rlen; i++) ring[i] = snd->unreceipted[(snd->rhead + i) % snd->rcap];
        free(snd->unreceipted);
        snd->unreceipted = ring, snd->rcap = cap, snd->rhead = 0;
    }
    snd->unreceipted[(snd->rhead + snd->rlen) % snd->rcap] = t;
    snd->rlen++;
}

static void handle_line(conn_t *c, const char *line, size_t len, uint64_t t) {
    if (len && line[len - 1] == '\r') len--;
    st.lines++;
    switch (c->state) {
    case C_CONNECTING:
    case C_PROMPT:
        if (len >= sizeof PROMPT - 1 && !memcmp(line + len - (sizeof PROMPT - 1), PROMPT, sizeof PROMPT - 1)) {
            st.prompts++;
            if (opt.scenario == STORM && st.named_inflight >= opt.inflight) {
                c->state = C_QUEUED;
            } else {
                send_name(c);
            }
        } else if (len >= 2 && line[0] == '!') {
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
        }
        return;
    case C_WELCOME:
        if (len >= sizeof WELCOME - 1 && !memcmp(line, WELCOME, sizeof WELCOME - 1)) {
            st.handshakes_ok++;
            hist_add(&hs_hist, (t - c->started) / 1000);
            st.joined_inflight--;
            st.named_inflight--;
            c->state = C_JOINED;
        } else if (len >= 1 && line[0] == '!') {
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
        }
        return;
    case C_JOINED:
        if (len >= 2 && line[0] == '*' && line[1] == ' ') {
            st.notices++;
            if (len >= sizeof JOINED - 1 && !memcmp(line + len - (sizeof JOINED - 1), JOINED, sizeof JOINED - 1))
                st.join_notices++;
            else if (len >= sizeof NOW_TALKING - 1 && !memcmp(line, NOW_TALKING, sizeof NOW_TALKING - 1))
                st.now_talking++;
            else if (memmem(line, len, JOINED_ROOM, sizeof JOINED_ROOM - 1))
                st.room_join_notices++;
            else if (len == sizeof RECEIPTS_ON - 1 && !memcmp(line, RECEIPTS_ON, len))
                st.receipts_on++;
            return;
        }
        if (len >= 2 && line[0] == '+' && line[1] == ' ') {
            receipt(c, t);
            return;
        }
        if (len >= 8 && line[0] == '[' && line[3] == ':' && line[6] == ']' && line[7] == ' ') {
            st.history++; /* a newcomer's history from an earlier run on the same server */
            return;
        }
        if (len >= 1 && line[0] == '!') {
            st.errors++;
            malformed(line, len);
            return;
        }
        chat_line(c, line, len, t);
        return;
    default:
        return;
    }
}

/* Read what is there; idle joined users in connect/storm only count bytes. */
static void conn_read(conn_t *c) {
    for (int rounds = 0; rounds < 4 && c->fd >= 0; rounds++) {
        size_t keep = c->plen;
        if (keep > sizeof rbuf / 2) { /* an absurdly long line: drop what we have of it */
            malformed(c->pend, 80);
            keep = c->plen = 0;
        }
        if (keep) memcpy(rbuf, c->pend, keep);
        ssize_t n = read(c->fd, rbuf + keep, sizeof rbuf - keep);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            st.closed_by_server++;
            if (c->state != C_JOINED) st.handshakes_failed++;
            conn_close(c, c->state == C_JOINED ? C_CLOSED : C_FAILED);
            return;
        }
        if (n < 0) return;
        st.bytes_read += n;
        if (opt.scenario != FANOUT && c->state == C_JOINED) {
            c->plen = 0;
            if ((size_t)n < sizeof rbuf - keep) return;
            continue;
        }
        uint64_t t = now_ns();
        char *p = rbuf, *end = rbuf + keep + n;
        for (;;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) break;
            handle_line(c, p, (size_t)(nl - p), t);
            p = nl + 1;
            if (c->fd < 0) return;
            if (opt.scenario != FANOUT && c->state == C_JOINED) { p = end; break; }
        }
        size_t rest = (size_t)(end - p);
        if (rest > c->pcap) {
            c->pcap = rest < 256 ? 256 : rest * 2;
            c->pend = realloc(c->pend, c->pcap);
        }
        if (rest) memcpy(c->pend, p, rest);
        c->plen = rest;
        if ((size_t)n < sizeof rbuf - keep) return;
    }
}

static void conn_event(conn_t *c, uint32_t ev) {
    if (c->fd < 0) return;
    if (c->state == C_CONNECTING && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            st.conn_errors++;
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
            return;
        }
        st.connected++;
        c->state = C_PROMPT;
        if (c->wlen == 0) {
            c->want_out = 0;
            ep_mod(c);
        }
    }
    if (ev & EPOLLOUT && c->wlen) {
        if (conn_flush(c) < 0) {
            if (c->state != C_JOINED) st.handshakes_failed++;
            conn_close(c, c->state == C_JOINED ? C_CLOSED : C_FAILED);
            return;
        }
    }
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(c);
}

/* ---------------------------------------------------------------- sending */

static char msgbuf[16 * 4096 + 64];

static void sender_send(int s, int count) {
    sender_t *snd = &senders[s];
    conn_t *c = &conns[s];
    if (c->state != C_JOINED) return;
    size_t off = 0;
    uint64_t t = now_ns();
    for (int i = 0; i < count && snd->inflight < opt.window && off + opt.size <= sizeof msgbuf; i++) {
        int64_t seq = snd->next_seq++;
        char *m = msgbuf + off;
        int n = snprintf(m, (size_t)opt.size, "%d %lld %llu ", s, (long long)seq, (unsigned long long)t);
        memset(m + n, 'x', (size_t)(opt.size - 2 - n));
        m[opt.size - 2] = '\r';
        m[opt.size - 1] = '\n';
        off += (size_t)opt.size;
        slot_t *slot = &snd->ring[seq % opt.window];
        slot->seq = seq;
        slot->remaining = room_size(room_of(s)) - 1;
        snd->inflight++;
        st.sent++;
        st.owed += slot->remaining;
        if (opt.receipts) await_receipt(snd, t);
        if (st.measuring) st.sent_window++;
    }
    if (off && conn_write(c, msgbuf, off) < 0) {
        conn_close(c, C_CLOSED);
        state_error = "a sender's connection failed";
    }
}

/* ---------------------------------------------------------------- the loop */

static struct epoll_event events[4096];

/* One turn of the loop: wait at most timeout_ms, handle events; returns timer ticks seen. */
static int turn(int timeout_ms) {
    int n = epoll_wait(epfd, events, 4096, timeout_ms);
    int ticks = 0;
    for (int i = 0; i < n; i++) {
        if (events[i].data.u64 == UINT64_MAX) {
            uint64_t exp;
            if (read(tfd, &exp, sizeof exp) == sizeof exp) ticks += (int)exp;
            continue;
        }
        conn_event(&conns[events[i].data.u64], events[i].events);
    }
    return ticks;
}

static void start_timer(double interval_s) {
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its;
    long ns = (long)(interval_s * 1e9);
    if (ns < 50000) ns = 50000;
    its.it_interval.tv_sec = ns / 1000000000;
    its.it_interval.tv_nsec = ns % 1000000000;
    its.it_value = its.it_interval;
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
}

static void stop_timer(void) {
    if (tfd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, tfd, NULL);
        close(tfd);
        tfd = -1;
    }
}

/* Time out handshakes older than the limit (connect scenarios and joins). */
static void reap_handshakes(uint64_t t, double limit_s, int64_t *timeouts) {
    for (int i = 0; i < opt.users; i++) {
        conn_t *c = &conns[i];
        if ((c->state == C_CONNECTING || c->state == C_PROMPT || c->state == C_QUEUED ||
             c->state == C_WELCOME) &&
            t - c->started > (uint64_t)(limit_s * 1e9)) {
            (*timeouts)++;
            conn_close(c, C_FAILED);
        }
    }
}

/* The server's CPU seconds (user + system, all threads) from /proc/PID/stat; -1 if unknown. */
static double server_cpu(void) {
    if (!opt.server_pid) return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", opt.server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double server_cpu_s = -1; /* over the measured phase */

static long read_rss_kib(void) {
    if (!opt.server_pid) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", opt.server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = atol(line + 6);
    fclose(f);
    return kib;
}

/* Join users [0, users) with at most join_inflight handshakes at a time; bounded. */
static int join_all(double bound_s, double pace_per_s) {
    uint64_t start = now_ns(), last_report = start;
    int next = 0;
    if (pace_per_s > 0) start_timer(0.001);
    int64_t timeouts = 0;
    uint64_t last_reap = start;
    while (st.handshakes_ok + st.handshakes_failed + timeouts < opt.users) {
        uint64_t t = now_ns();
        double el = (t - start) / 1e9;
        if (el > bound_s) break;
        int64_t due = pace_per_s > 0 ? (int64_t)(el * pace_per_s) + 1 : opt.users;
        while (next < opt.users && next < due &&
               (pace_per_s > 0 || st.joined_inflight < opt.join_inflight))
            conn_start(&conns[next++]);
        turn(pace_per_s > 0 ? 5 : 50);
        t = now_ns();
        if (t - last_reap > 100000000ull) {
            reap_handshakes(t, opt.handshake_timeout, &timeouts);
            last_reap = t;
        }
        if (t - last_report > 2000000000ull) {
            progress("joining: %lld ok, %lld failed, %lld timed out, %d started",
                     (long long)st.handshakes_ok, (long long)st.handshakes_failed,
                     (long long)timeouts, next);
            last_report = t;
        }
    }
    stop_timer();
    st.handshakes_timeout = timeouts + (opt.users - next); /* never started counts as timed out */
    return st.handshakes_ok == opt.users;
}

/* Run the loop for a while; stop early when done() says so. */
static void run_for(double seconds, int (*done)(void)) {
    uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    while (now_ns() < end) {
        if (done && done()) return;
        turn(10);
    }
}

static int joins_settled(void) {
    return st.join_notices >= (int64_t)opt.users * (opt.users - 1) / 2;
}

static int all_resolved(void) {
    for (int s = 0; s < opt.senders; s++)
        if (senders[s].inflight) return 0;
    return 1;
}

static int all_receipted(void) {
    for (int s = 0; s < opt.senders; s++)
        if (senders[s].rlen) return 0;
    return 1;
}

static int drained(void) { return all_resolved() && (!opt.receipts || all_receipted()); }

static int64_t room_joins_owed(void) {
    int64_t owed = 0;
    for (int r = 0; r < opt.rooms; r++) owed += (int64_t)room_size(r) * (room_size(r) - 1) / 2;
    return owed;
}

static int rooms_settled(void) {
    return st.now_talking >= opt.users && st.room_join_notices >= room_joins_owed();
}

static int receipts_settled(void) { return st.receipts_on >= opt.senders; }

/* Every user (rooms) or every sender (receipts) sends one command line; bounded wait for the
 * answers.  Returns an error text or NULL. */
static const char *setup_phase(void) {
    char line[64];
    if (opt.rooms) {
        for (int i = 0; i < opt.users; i++) {
            int n = snprintf(line, sizeof line, "/join #r%d\r\n", room_of(i));
            if (conn_write(&conns[i], line, (size_t)n) < 0) return "a /join could not be sent";
        }
        uint64_t t = now_ns();
        run_for(10 + opt.users / 50.0, rooms_settled);
        progress("rooms: %lld now talking, %lld of %lld room join notices in %.2f s",
                 (long long)st.now_talking, (long long)st.room_join_notices,
                 (long long)room_joins_owed(), (now_ns() - t) / 1e9);
        if (!rooms_settled()) return "room joins did not all arrive";
    }
    if (opt.receipts) {
        for (int s = 0; s < opt.senders; s++)
            if (conn_write(&conns[s], "/receipts on\r\n", 14) < 0) return "/receipts could not be sent";
        run_for(10, receipts_settled);
        progress("receipts on for %lld of %d senders", (long long)st.receipts_on, opt.senders);
        if (!receipts_settled()) return "receipts were not switched on";
    }
    run_for(0.2, NULL);
    return NULL;
}

/* ---------------------------------------------------------------- JSON */

static int realtime_granted;

static void json_common(const char *scenario, double wall, double cpu) {
    printf("{\"scenario\": \"%s\", \"host\": \"%s\", \"port\": %d, \"users\": %d", scenario,
           opt.host, opt.port, opt.users);
    printf(", \"handshakes_ok\": %lld, \"handshakes_failed\": %lld, \"handshakes_timeout\": %lld",
           (long long)st.handshakes_ok, (long long)st.handshakes_failed,
           (long long)st.handshakes_timeout);
    printf(", \"connect_errors\": %lld, \"closed_by_server\": %lld", (long long)st.conn_errors,
           (long long)st.closed_by_server);
    printf(", \"handshake_p50_us\": %.0f, \"handshake_p99_us\": %.0f, \"handshake_max_us\": %llu",
           hist_pct(&hs_hist, 50), hist_pct(&hs_hist, 99), (unsigned long long)hs_hist.max);
    printf(", \"loadgen_cpu_s\": %.3f, \"wall_s\": %.3f, \"loadgen_cpu_share\": %.3f", cpu, wall,
           wall > 0 ? cpu / wall : 0);
    printf(", \"server_cpu_s\": %.3f, \"server_cpu_share\": %.3f", server_cpu_s,
           wall > 0 && server_cpu_s >= 0 ? server_cpu_s / wall : -1);
    printf(", \"realtime\": %s", realtime_granted ? "true" : "false");
    printf(", \"error\": ");
    if (state_error) printf("\"%s\"", state_error);
    else printf("null");
}

/* ---------------------------------------------------------------- scenarios */

static int run_fanout(void) {
    conns = calloc((size_t)opt.users, sizeof *conns);
    senders = calloc((size_t)opt.senders, sizeof *senders);
    last_seq = calloc((size_t)opt.users * (size_t)opt.senders, sizeof *last_seq);
    for (int i = 0; i < opt.users; i++) conns[i].fd = -1, conns[i].idx = i;
    for (int s = 0; s < opt.senders; s++) {
        senders[s].next_seq = 1;
        senders[s].ring = calloc((size_t)opt.window, sizeof(slot_t));
        /* --prefix is at most 20 bytes, and an int at most 11 */
        senders[s].name_len = (size_t)snprintf(senders[s].name, sizeof senders[s].name, "%s%d",
                                                opt.prefix, s);
    }
    memset(padding, 'x', sizeof padding);

    double join_bound = 30 + opt.users / 20.0;
    progress("joining %d users (at most %d handshakes in flight, bound %.0f s)", opt.users,
             opt.join_inflight, join_bound);
    int ok = join_all(join_bound, 0);
    progress("joined %lld of %d", (long long)st.handshakes_ok, opt.users);
    if (!ok) state_error = "not every user could join";
    double settle_bound = 10 + opt.users / 50.0;
    uint64_t t_settle = now_ns();
    if (ok) {
        run_for(settle_bound, joins_settled);
        if (!joins_settled()) state_error = "join notices did not all arrive";
        run_for(0.5, NULL);
        progress("join notices settled in %.2f s (%lld of %lld)", (now_ns() - t_settle) / 1e9,
                 (long long)st.join_notices, (long long)opt.users * (opt.users - 1) / 2);
        if (!state_error) state_error = setup_phase();
    }
    int64_t notices_before = st.notices;
    double wall = 0, cpu = 0;
    uint64_t deferred_start = 0;
    if (!state_error) {
        st.sending = 1;
        double per_tick = 0;
        int64_t issued = 0;
        uint64_t t_start = now_ns();
        if (opt.rate > 0) {
            start_timer(1.0 / opt.rate);
            per_tick = opt.rate;
        }
        uint64_t t_measure = t_start + (uint64_t)(opt.warmup * 1e9);
        uint64_t t_end = t_measure + (uint64_t)(opt.duration * 1e9);
        double cpu0 = 0;
        progress("sending: %s, warmup %.1f s, measuring %.1f s",
                 opt.rate > 0 ? "fixed rate" : "saturating", opt.warmup, opt.duration);
        for (;;) {
            uint64_t t = now_ns();
            if (!st.measuring && t >= t_measure) {
                st.measuring = 1;
                cpu0 = cpu_seconds();
                server_cpu_s = server_cpu();
                t_measure = t;
                deferred_start = st.deferred;
            }
            if (t >= t_end) break;
            if (state_error) break;
            if (opt.rate > 0) {
                int64_t due = (int64_t)((t - t_start) / 1e9 * per_tick);
                for (; issued < due; issued++) {
                    sender_t *snd = &senders[issued % opt.senders];
                    if (snd->backlog > 0 || snd->inflight >= opt.window) st.deferred++;
                    snd->backlog++;
                }
                for (int s = 0; s < opt.senders; s++) {
                    sender_t *snd = &senders[s];
                    if (snd->backlog > 0) {
                        int before = snd->inflight;
                        int want = snd->backlog > 16 ? 16 : (int)snd->backlog;
                        sender_send(s, want);
                        int sent = snd->inflight - before;
                        snd->backlog -= sent;
                    }
                }
            } else {
                for (int s = 0; s < opt.senders; s++)
                    if (senders[s].inflight < opt.window)
                        sender_send(s, opt.window - senders[s].inflight);
            }
            turn(1);
        }
        uint64_t t_stop = now_ns();
        wall = (t_stop - t_measure) / 1e9;
        cpu = cpu_seconds() - cpu0;
        if (server_cpu_s >= 0) server_cpu_s = server_cpu() - server_cpu_s;
        st.measuring = 0;
        st.sending = 0;
        stop_timer();
        progress("stopped sending; draining (at most %.1f s)", opt.drain);
        run_for(opt.drain, drained);
        progress("drained in %.2f s", (now_ns() - t_stop) / 1e9);
    }
    int64_t owed = st.owed;
    int64_t receipts_missing = 0;
    for (int s = 0; s < opt.senders; s++) receipts_missing += (int64_t)senders[s].rlen;
    int64_t lost = owed - st.deliveries_unique;
    int64_t in_flight_left = 0;
    for (int s = 0; s < opt.senders; s++) in_flight_left += senders[s].inflight;
    json_common("fanout", wall, cpu);
    printf(", \"senders\": %d, \"window\": %d, \"size\": %d, \"rate\": %.1f", opt.senders,
           opt.window, opt.size, opt.rate);
    printf(", \"warmup_s\": %.1f, \"duration_s\": %.1f", opt.warmup, opt.duration);
    printf(", \"deliveries\": %lld, \"deliveries_per_s\": %.1f", (long long)st.deliveries_window,
           wall > 0 ? st.deliveries_window / wall : 0);
    printf(", \"sent\": %lld, \"sent_window\": %lld, \"messages_per_s\": %.1f", (long long)st.sent,
           (long long)st.sent_window, wall > 0 ? st.sent_window / wall : 0);
    printf(", \"deferred\": %lld", (long long)(st.deferred - deferred_start));
    printf(", \"p50_us\": %.0f, \"p99_us\": %.0f, \"max_us\": %llu", hist_pct(&lat_hist, 50),
           hist_pct(&lat_hist, 99), (unsigned long long)lat_hist.max);
    printf(", \"owed\": %lld, \"delivered\": %lld, \"lost\": %lld, \"duplicated\": %lld",
           (long long)owed, (long long)st.deliveries_unique, (long long)lost,
           (long long)st.duplicated);
    printf(", \"gaps\": %lld, \"malformed\": %lld, \"errors\": %lld, \"first_malformed\": \"%s\"",
           (long long)st.gaps, (long long)st.malformed, (long long)st.errors, st.first_malformed);
    printf(", \"notices\": %lld, \"notices_during_load\": %lld, \"join_notices\": %lld",
           (long long)st.notices, (long long)(st.notices - notices_before),
           (long long)st.join_notices);
    printf(", \"history\": %lld", (long long)st.history);
    printf(", \"rooms\": %d, \"room_join_notices\": %lld", opt.rooms,
           (long long)st.room_join_notices);
    if (opt.receipts) {
        printf(", \"receipts\": %lld, \"receipts_window\": %lld, \"receipts_per_s\": %.1f",
               (long long)st.receipts, (long long)st.receipts_window,
               wall > 0 ? st.receipts_window / wall : 0);
        printf(", \"receipts_missing\": %lld, \"receipts_stray\": %lld", (long long)receipts_missing,
               (long long)st.receipts_stray);
        printf(", \"receipt_p50_us\": %.0f, \"receipt_p99_us\": %.0f, \"receipt_max_us\": %llu",
               hist_pct(&receipt_hist, 50), hist_pct(&receipt_hist, 99),
               (unsigned long long)receipt_hist.max);
    }
    printf(", \"in_flight_left\": %lld, \"lines\": %lld, \"bytes_read\": %lld}\n",
           (long long)in_flight_left, (long long)st.lines, (long long)st.bytes_read);
    return state_error ? 2 : 0;
}

static int run_connect(void) {
    conns = calloc((size_t)opt.users, sizeof *conns);
    for (int i = 0; i < opt.users; i++) conns[i].fd = -1, conns[i].idx = i;
    long rss_before = read_rss_kib();
    int status;
    double bound = opt.users / (opt.rate > 0 ? opt.rate : 1000) + opt.handshake_timeout + 30;
    progress("connecting %d users at %.0f/s (bound %.0f s)", opt.users, opt.rate, bound);
    uint64_t t0 = now_ns();
    double cpu0 = cpu_seconds();
    server_cpu_s = server_cpu();
    join_all(bound, opt.rate);
    double wall = (now_ns() - t0) / 1e9, cpu = cpu_seconds() - cpu0;
    if (server_cpu_s >= 0) server_cpu_s = server_cpu() - server_cpu_s;
    status = st.handshakes_ok > 0 ? 0 : 2;
    if (status) state_error = "no handshake completed";
    progress("%lld named, %lld failed, %lld timed out in %.2f s", (long long)st.handshakes_ok,
             (long long)st.handshakes_failed, (long long)st.handshakes_timeout, wall);
    /* let the join notices drain a little before measuring memory */
    run_for(0.5, NULL);
    fprintf(stderr, "READY\n");
    fflush(stderr);
    long rss_held = read_rss_kib();
    run_for(opt.hold, NULL);
    long rss_after_hold = read_rss_kib();
    int open = 0;
    for (int i = 0; i < opt.users; i++)
        if (conns[i].state == C_JOINED) open++;
    json_common("connect", wall, cpu);
    printf(", \"rate\": %.1f, \"hold_s\": %.1f, \"still_open\": %d", opt.rate, opt.hold, open);
    printf(", \"server_rss_before_kib\": %ld, \"server_rss_held_kib\": %ld"
           ", \"server_rss_after_hold_kib\": %ld",
           rss_before, rss_held, rss_after_hold);
    long peak = rss_held > rss_after_hold ? rss_held : rss_after_hold;
    printf(", \"rss_per_conn_bytes\": %.1f", rss_before > 0 && peak > 0 && st.handshakes_ok > 0
                                                 ? (peak - rss_before) * 1024.0 / st.handshakes_ok
                                                 : -1.0);
    printf(", \"bytes_read\": %lld}\n", (long long)st.bytes_read);
    for (int i = 0; i < opt.users; i++)
        if (conns[i].fd >= 0) close(conns[i].fd);
    return status;
}

static int run_storm(void) {
    conns = calloc((size_t)opt.users, sizeof *conns);
    for (int i = 0; i < opt.users; i++) conns[i].fd = -1, conns[i].idx = i;
    progress("storm: %d connects at once, %d handshakes in flight at most, timeout %.0f s",
             opt.users, opt.inflight, opt.timeout);
    uint64_t t0 = now_ns(), last_report = t0;
    double cpu0 = cpu_seconds();
    server_cpu_s = server_cpu();
    for (int i = 0; i < opt.users; i++) conn_start(&conns[i]);
    while (st.handshakes_ok + st.handshakes_failed < opt.users) {
        uint64_t t = now_ns();
        if (t - t0 > (uint64_t)(opt.timeout * 1e9)) break;
        for (int i = 0; i < opt.users && st.named_inflight < opt.inflight; i++)
            if (conns[i].state == C_QUEUED) send_name(&conns[i]);
        turn(10);
        if (t - last_report > 5000000000ull) {
            progress("storm: %lld ok, %lld failed", (long long)st.handshakes_ok,
                     (long long)st.handshakes_failed);
            last_report = t;
        }
    }
    double wall = (now_ns() - t0) / 1e9, cpu = cpu_seconds() - cpu0;
    if (server_cpu_s >= 0) server_cpu_s = server_cpu() - server_cpu_s;
    int no_prompt = 0, no_welcome = 0;
    for (int i = 0; i < opt.users; i++) {
        int s = conns[i].state;
        if (s == C_CONNECTING || s == C_PROMPT) no_prompt++;
        else if (s == C_QUEUED || s == C_WELCOME) no_welcome++;
    }
    st.handshakes_timeout = no_prompt + no_welcome;
    if (st.handshakes_ok == 0) state_error = "no handshake completed";
    progress("storm: %lld of %d completed in %.2f s; %d without a prompt, %d without a welcome",
             (long long)st.handshakes_ok, opt.users, wall, no_prompt, no_welcome);
    json_common("storm", wall, cpu);
    printf(", \"inflight\": %d, \"timeout_s\": %.1f, \"completed\": %lld, \"failed\": %lld",
           opt.inflight, opt.timeout, (long long)st.handshakes_ok, (long long)st.handshakes_failed);
    printf(", \"stalled\": %d, \"stalled_without_prompt\": %d, \"stalled_without_welcome\": %d",
           no_prompt + no_welcome, no_prompt, no_welcome);
    printf(", \"connected\": %lld, \"prompts\": %lld}\n", (long long)st.connected,
           (long long)st.prompts);
    for (int i = 0; i < opt.users; i++)
        if (conns[i].fd >= 0) close(conns[i].fd);
    return st.handshakes_ok > 0 ? 0 : 2;
}

int main(int argc, char **argv) {
    T0 = now_ns();
    parse_args(argc, argv);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)opt.users + 16)
            progress("warning: open-file limit %llu is below %d users", (unsigned long long)rl.rlim_cur,
                     opt.users);
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: HOST must be an IPv4 address: %s\n", opt.host);
        return 1;
    }
    if (opt.realtime) {
        struct sched_param sp = {.sched_priority = 1};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0) realtime_granted = 1;
        else progress("warning: no real-time priority (%s); measuring without", strerror(errno));
    }
    epfd = epoll_create1(0);
    int status;
    if (opt.scenario == FANOUT) status = run_fanout();
    else if (opt.scenario == CONNECT) status = run_connect();
    else status = run_storm();
    fflush(stdout);
    return status;
}

/*
 * loadgen: a single-process, single-threaded epoll load generator for chatd's line protocol, and
 * (fanout only) for its web door's WebSocket protocol.
 *
 * Build (from the repository root):   gcc -O2 -o loadgen bench/fanout/loadgen.c
 *
 *   loadgen HOST PORT fanout  --users N --senders K [--window 16] [--size 64]
 *                             [--warmup S] [--duration S] [--rate MSGS_PER_S]
 *                             [--rooms R] [--receipts 0|1] [--proto line|web]
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
 * fanout with --proto web (chatd's web door, `--web ENDPOINT`; docs/web-protocol.md): every user
 * is a WebSocket client of /ws instead of a line client, doing the same work.  It sends an HTTP
 * upgrade (no Origin header, as a program does; the fixed key of RFC 6455's example, whose
 * Sec-WebSocket-Accept it checks), waits for {"type":"ask_name"} and answers
 * {"type":"name","name":"uN"}; {"type":"welcome",...} ends the handshake.  Its frames are masked
 * (a fresh key each), the server's must not be, and each must be one final text frame of one JSON
 * object (a ping gets its pong; anything else is malformed).  A message is
 * {"type":"say","text":TEXT} with TEXT the line mode's "SENDER SEQ SEND_NS xxx..." of --size - 2
 * bytes, so the hub gets the very same lines; a delivery is
 * {"type":"said","room":R,"name":SENDER,"text":TEXT,"seq":N,"time":"...Z"}, matched byte for byte
 * in the order of fields chatd writes (a different order counts as malformed, so nothing passes
 * unchecked), and the room's seq must grow from one delivery to the next at each reader.  Joins
 * are counted from {"type":"joined",...}, --receipts 1 sends {"type":"receipts","on":true} and
 * times {"type":"receipt",...}; an {"type":"error",...} is malformed and an error, as "! " is.
 * Not with --rooms.
 *
 * fanout with --ports P1,P2,... (several chatd nodes of one cluster, bench/cluster): user i
 * connects to the (i mod n)th port instead of PORT, so the users are spread over the nodes, and
 * latencies of lines read on another node than their sender's are also kept apart: cross_p50_us
 * and cross_p99_us. A node may announce someone's arrival twice (once it hears of it), so the
 * join notices awaited are a floor.
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
    int web; /* --proto web */
    int nports, ports[16]; /* --ports: one per node of a cluster */
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
            "       [--rooms R] [--receipts 0|1] [--proto line|web] [--ports P1,P2,...]\n");
    exit(1);
}

/* A whole number, all of v (no sign, no spaces, nothing after it), else a usage error: atoi would
 * take "1O00" for 1. */
static int whole(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || *v < '0' || *v > '9' || n > 1000000000) usage();
    return (int)n;
}

/* A number of seconds or a rate, all of v and not negative, else a usage error. */
static double real(const char *v) {
    char *end;
    errno = 0;
    if (!((*v >= '0' && *v <= '9') || *v == '.')) usage(); /* strtod would skip spaces */
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0) || x > 1e9) usage();
    return x;
}

static void parse_args(int argc, char **argv) {
    if (argc < 4) usage();
    opt.host = argv[1];
    opt.port = whole(argv[2]);
    if (!strcmp(argv[3], "fanout")) opt.scenario = FANOUT;
    else if (!strcmp(argv[3], "connect")) opt.scenario = CONNECT, opt.rate = 1000, opt.users = 10000;
    else if (!strcmp(argv[3], "storm")) opt.scenario = STORM, opt.users = 2000;
    else usage();
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--users")) opt.users = whole(v);
        else if (!strcmp(a, "--senders")) opt.senders = whole(v);
        else if (!strcmp(a, "--window")) opt.window = whole(v);
        else if (!strcmp(a, "--size")) opt.size = whole(v);
        else if (!strcmp(a, "--warmup")) opt.warmup = real(v);
        else if (!strcmp(a, "--duration")) opt.duration = real(v);
        else if (!strcmp(a, "--rate")) opt.rate = real(v);
        else if (!strcmp(a, "--hold")) opt.hold = real(v);
        else if (!strcmp(a, "--inflight")) opt.inflight = whole(v);
        else if (!strcmp(a, "--timeout")) opt.timeout = real(v);
        else if (!strcmp(a, "--drain")) opt.drain = real(v);
        else if (!strcmp(a, "--handshake-timeout")) opt.handshake_timeout = real(v);
        else if (!strcmp(a, "--join-inflight")) opt.join_inflight = whole(v);
        else if (!strcmp(a, "--prefix")) opt.prefix = v;
        else if (!strcmp(a, "--server-pid")) opt.server_pid = whole(v);
        else if (!strcmp(a, "--realtime")) opt.realtime = whole(v);
        else if (!strcmp(a, "--rooms")) opt.rooms = whole(v);
        else if (!strcmp(a, "--receipts")) opt.receipts = whole(v);
        else if (!strcmp(a, "--ports")) {
            char list[256];
            if (strlen(v) >= sizeof list) usage();
            strcpy(list, v);
            for (char *part = strtok(list, ","); part; part = strtok(NULL, ",")) {
                if (opt.nports == 16) usage();
                opt.ports[opt.nports++] = whole(part);
            }
        }
        else if (!strcmp(a, "--proto")) {
            if (!strcmp(v, "web")) opt.web = 1;
            else if (strcmp(v, "line")) usage();
        }
        else usage();
    }
    if (opt.users < 1 || opt.port <= 0 || opt.window < 1 || opt.inflight < 1 ||
        opt.join_inflight < 1 || strlen(opt.prefix) > 20)
        usage();
    if (opt.scenario == FANOUT &&
        (opt.senders < 1 || opt.senders > opt.users || opt.users < 2 || opt.size < 48 ||
         opt.size > 4000 || opt.rooms < 0 || opt.rooms > opt.users))
        usage();
    if (opt.web && (opt.scenario != FANOUT || opt.rooms)) usage();
    if (opt.nports && (opt.scenario != FANOUT || opt.web)) usage();
    if (opt.receipts < 0 || opt.receipts > 1 || opt.realtime < 0 || opt.realtime > 1) usage();
}

/* ---------------------------------------------------------------- connections */

/* C_UPGRADE: --proto web, the HTTP upgrade sent, its answer not read yet */
enum { C_IDLE, C_CONNECTING, C_UPGRADE, C_PROMPT, C_QUEUED, C_WELCOME, C_JOINED, C_FAILED, C_CLOSED };

typedef struct {
    int fd, state, idx;
    uint64_t started;              /* connect() start */
    char *pend;                    /* partial line carried between reads */
    size_t plen, pcap;
    char *wbuf;                    /* output the kernel did not take yet */
    size_t wlen, wcap;
    int want_out;
    int64_t room_seq;              /* --proto web: the room's seq of the last line read */
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
static char namebuf[80];

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

static hist_t lat_hist, hs_hist, receipt_hist, cross_hist;

/* --ports: the node user i is on (0 without it) */
static int node_of(int i) { return opt.nports ? i % opt.nports : 0; }

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
    if (c->state == C_CONNECTING || c->state == C_UPGRADE || c->state == C_PROMPT ||
        c->state == C_QUEUED)
        st.joined_inflight--;
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
    struct sockaddr_in to = addr;
    if (opt.nports) to.sin_port = htons((uint16_t)opt.ports[node_of(c->idx)]);
    int r = connect(fd, (struct sockaddr *)&to, sizeof to);
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

/* ---------------------------------------------------------------- WebSocket (--proto web) */

/* RFC 6455's example key, and the Sec-WebSocket-Accept a server must answer it with. */
static const char WS_KEY[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char WS_ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
static char upgrade_request[256];
static size_t upgrade_len;

static void make_upgrade_request(void) {
    upgrade_len = (size_t)snprintf(upgrade_request, sizeof upgrade_request,
                                   "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                                   "Sec-WebSocket-Version: 13\r\n\r\n",
                                   opt.host, opt.port, WS_KEY);
}

/* Whether the head of the server's answer (up to its blank line) accepts the upgrade. */
static int upgrade_accepted(const char *head, size_t len) {
    static const char STATUS[] = "HTTP/1.1 101 ";
    char text[2048];
    if (len >= sizeof text || len < sizeof STATUS - 1 || memcmp(head, STATUS, sizeof STATUS - 1))
        return 0;
    memcpy(text, head, len);
    text[len] = 0;
    /* the header's name in any case, its value exactly (base64 is case-sensitive) */
    const char *h = strcasestr(text, "\r\nSec-WebSocket-Accept:");
    if (!h) return 0;
    h += sizeof "\r\nSec-WebSocket-Accept:" - 1;
    while (*h == ' ') h++;
    return !strncmp(h, WS_ACCEPT, sizeof WS_ACCEPT - 1) &&
           (h[sizeof WS_ACCEPT - 1] == '\r' || h[sizeof WS_ACCEPT - 1] == ' ');
}

static uint32_t mask_state = 0x9e3779b9u;

/* One final, masked frame of opcode op (0x1 text, 0xA pong) carrying payload[0..n) into out;
 * returns its length (at most n + 8: n is below 64 KiB here). */
static size_t ws_frame(char *out, int op, const char *payload, size_t n) {
    size_t h = 0;
    out[h++] = (char)(0x80 | op);
    if (n < 126) {
        out[h++] = (char)(0x80 | n);
    } else {
        out[h++] = (char)(0x80 | 126);
        out[h++] = (char)(n >> 8);
        out[h++] = (char)(n & 0xff);
    }
    /* xorshift32: a fresh key per frame, as a client must (RFC 6455, section 5.3) */
    mask_state ^= mask_state << 13, mask_state ^= mask_state >> 17, mask_state ^= mask_state << 5;
    unsigned char key[4];
    memcpy(key, &mask_state, 4);
    memcpy(out + h, key, 4);
    h += 4;
    for (size_t i = 0; i < n; i++) out[h + i] = (char)(payload[i] ^ key[i & 3]);
    return h + n;
}

/* The JSON {"type":"say","text":TEXT} in a masked frame; TEXT needs no escaping. */
static size_t ws_say(char *out, const char *text, size_t n) {
    static const char HEAD[] = "{\"type\":\"say\",\"text\":\"";
    char json[4200];
    memcpy(json, HEAD, sizeof HEAD - 1);
    memcpy(json + sizeof HEAD - 1, text, n);
    memcpy(json + sizeof HEAD - 1 + n, "\"}", 2);
    return ws_frame(out, 0x1, json, sizeof HEAD - 1 + n + 2);
}

static void send_name(conn_t *c) {
    int n = snprintf(namebuf, sizeof namebuf, "%s%d\r\n", opt.prefix, c->idx);
    if (opt.web) {
        char json[64], frame[80];
        int j = snprintf(json, sizeof json, "{\"type\":\"name\",\"name\":\"%s%d\"}", opt.prefix,
                         c->idx);
        n = (int)ws_frame(frame, 0x1, json, (size_t)j);
        memcpy(namebuf, frame, (size_t)n);
    }
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

/* A chat line from name[0..name_len) with text p..end, read by c at t: checked and counted.  line
 * and len are what was read, shown if it is malformed. */
static void chat_text(conn_t *c, const char *name, size_t name_len, const char *p, const char *end,
                      uint64_t t, const char *line, size_t len) {
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
    if (name_len != from->name_len || memcmp(name, from->name, from->name_len) != 0 ||
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
        uint64_t us = t > sent_ns ? (t - sent_ns) / 1000 : 0;
        hist_add(&lat_hist, us);
        if (node_of(c->idx) != node_of((int)s)) hist_add(&cross_hist, us);
    }
}

/* "NAME: TEXT" */
static void chat_line(conn_t *c, const char *line, size_t len, uint64_t t) {
    const char *colon = memmem(line, len, ": ", 2);
    if (!colon) { malformed(line, len); return; }
    chat_text(c, line, (size_t)(colon - line), colon + 2, line + len, t, line, len);
}

/* Expects the string literal lit at *p (before end) and steps over it. */
#define TAKE(p, end, lit) \
    ((size_t)((end) - (p)) >= sizeof lit - 1 && !memcmp((p), lit, sizeof lit - 1) && \
     ((p) += sizeof lit - 1, 1))

static const char SAID[] = "{\"type\":\"said\",\"room\":\"";

/* {"type":"said","room":R,"name":N,"text":T,"seq":S,"time":"...Z"} (chatd's order of fields),
 * with ,"replayed":true before the end for a line from history. */
static void said(conn_t *c, const char *m, size_t n, uint64_t t) {
    const char *p = m + sizeof SAID - 1, *end = m + n;
    const char *q = memchr(p, '"', (size_t)(end - p)); /* the room's end */
    if (!q) { malformed(m, n); return; }
    p = q;
    if (!TAKE(p, end, "\",\"name\":\"")) { malformed(m, n); return; }
    const char *name = p;
    q = memchr(p, '"', (size_t)(end - p) < 40 ? (size_t)(end - p) : 40);
    if (!q) { malformed(m, n); return; }
    size_t name_len = (size_t)(q - name);
    p = q;
    if (!TAKE(p, end, "\",\"text\":\"")) { malformed(m, n); return; }
    const char *text = p;
    size_t text_len = (size_t)opt.size - 2; /* the text has no '"' or '\\' to escape */
    if ((size_t)(end - p) < text_len) { malformed(m, n); return; }
    p += text_len;
    if (!TAKE(p, end, "\",\"seq\":")) { malformed(m, n); return; }
    int64_t seq = decimal(p, end, &p);
    if (seq < 1 || !TAKE(p, end, ",\"time\":\"") || end - p < 25 || p[23] != 'Z' || p[24] != '"') {
        malformed(m, n);
        return;
    }
    p += 25;
    if (TAKE(p, end, ",\"replayed\":true}") && p == end) {
        st.history++; /* a newcomer's history from an earlier run on the same server */
        return;
    }
    if (!(p + 1 == end && *p == '}')) { malformed(m, n); return; }
    if (seq <= c->room_seq) { malformed(m, n); return; } /* the room's order, broken */
    c->room_seq = seq;
    chat_text(c, name, name_len, text, text + text_len, t, m, n);
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

/* Asked for a name: answer, or in storm queue while --inflight names await their welcome. */
static void prompted(conn_t *c) {
    st.prompts++;
    if (opt.scenario == STORM && st.named_inflight >= opt.inflight) {
        c->state = C_QUEUED;
    } else {
        send_name(c);
    }
}

static void handle_line(conn_t *c, const char *line, size_t len, uint64_t t) {
    if (len && line[len - 1] == '\r') len--;
    st.lines++;
    switch (c->state) {
    case C_CONNECTING:
    case C_PROMPT:
        if (len >= sizeof PROMPT - 1 && !memcmp(line + len - (sizeof PROMPT - 1), PROMPT, sizeof PROMPT - 1)) {
            prompted(c);
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

#define IS(m, n, lit) ((n) >= sizeof lit - 1 && !memcmp((m), lit, sizeof lit - 1))

/* One JSON message of the web protocol, as handle_line takes one line. */
static void handle_message(conn_t *c, const char *m, size_t n, uint64_t t) {
    st.lines++;
    switch (c->state) {
    case C_PROMPT: /* hello and the motd come first, and are let pass */
        if (IS(m, n, "{\"type\":\"ask_name\"}")) {
            prompted(c);
        } else if (IS(m, n, "{\"type\":\"error\"")) {
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
        }
        return;
    case C_WELCOME:
        if (IS(m, n, "{\"type\":\"welcome\"")) {
            st.handshakes_ok++;
            hist_add(&hs_hist, (t - c->started) / 1000);
            st.joined_inflight--;
            st.named_inflight--;
            c->state = C_JOINED;
        } else if (IS(m, n, "{\"type\":\"error\"")) {
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
        }
        return;
    case C_JOINED:
        if (IS(m, n, SAID)) {
            said(c, m, n, t);
        } else if (IS(m, n, "{\"type\":\"receipt\",")) {
            receipt(c, t);
        } else if (IS(m, n, "{\"type\":\"error\"")) {
            st.errors++;
            malformed(m, n);
        } else if (IS(m, n, "{\"type\":\"")) { /* an event other than a line: a notice */
            st.notices++;
            if (IS(m, n, "{\"type\":\"joined\",")) st.join_notices++;
            else if (n == sizeof "{\"type\":\"receipts\",\"on\":true}" - 1 &&
                     IS(m, n, "{\"type\":\"receipts\",\"on\":true}"))
                st.receipts_on++;
        } else {
            malformed(m, n);
        }
        return;
    default:
        return;
    }
}

/* What a WebSocket connection read, from p to end: first the answer to the upgrade, then the
 * server's frames.  Returns where an unfinished frame begins (to be kept for the next read), or
 * NULL if the connection was closed. */
static char *web_input(conn_t *c, char *p, char *end, uint64_t t) {
    if (c->state == C_UPGRADE) {
        char *blank = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!blank) return p;
        if (!upgrade_accepted(p, (size_t)(blank - p) + 2)) {
            malformed(p, (size_t)(blank - p));
            st.handshakes_failed++;
            conn_close(c, C_FAILED);
            return NULL;
        }
        c->state = C_PROMPT;
        p = blank + 4;
    }
    while (end - p >= 2) {
        unsigned char b0 = (unsigned char)p[0], b1 = (unsigned char)p[1];
        size_t head = 2;
        uint64_t n = b1 & 0x7f;
        if (n == 126) {
            if (end - p < 4) break;
            n = (uint64_t)(unsigned char)p[2] << 8 | (unsigned char)p[3];
            head = 4;
        } else if (n == 127) {
            if (end - p < 10) break;
            n = 0;
            for (int i = 2; i < 10; i++) n = n << 8 | (unsigned char)p[i];
            head = 10;
        }
        if ((b1 & 0x80) || n > sizeof rbuf / 4) { /* masked by the server, or absurdly long */
            malformed(p, (size_t)(end - p) < 80 ? (size_t)(end - p) : 80);
            conn_close(c, c->state == C_JOINED ? C_CLOSED : C_FAILED);
            return NULL;
        }
        if ((uint64_t)(end - p) < head + n) break;
        char *payload = p + head;
        p = payload + n;
        if (b0 == 0x81) {
            handle_message(c, payload, (size_t)n, t);
        } else if (b0 == 0x89 && n < 126) { /* a ping: its pong */
            char pong[140];
            if (conn_write(c, pong, ws_frame(pong, 0xA, payload, (size_t)n)) < 0) {
                conn_close(c, c->state == C_JOINED ? C_CLOSED : C_FAILED);
                return NULL;
            }
        } else if (b0 == 0x88) { /* the server closes */
            st.closed_by_server++;
            if (c->state != C_JOINED) st.handshakes_failed++;
            conn_close(c, c->state == C_JOINED ? C_CLOSED : C_FAILED);
            return NULL;
        } else { /* fragmented, binary, reserved bits: not what chatd sends */
            malformed(payload, (size_t)n < 80 ? (size_t)n : 80);
        }
        if (c->fd < 0) return NULL;
    }
    return p;
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
        if (opt.web) {
            p = web_input(c, p, end, t);
            if (!p) return;
        }
        while (!opt.web) {
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
        if (opt.web) {
            c->state = C_UPGRADE;
            if (conn_write(c, upgrade_request, upgrade_len) < 0) {
                st.handshakes_failed++;
                conn_close(c, C_FAILED);
                return;
            }
        }
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

/* The most one message takes on the wire: --size bytes as a line; as a frame, the text's
 * --size - 2 bytes in {"type":"say","text":""} (24 bytes) and at most 8 bytes of head. */
static size_t wire_size(void) { return (size_t)opt.size + (opt.web ? 30 : 0); }

static void sender_send(int s, int count) {
    sender_t *snd = &senders[s];
    conn_t *c = &conns[s];
    if (c->state != C_JOINED) return;
    size_t off = 0;
    uint64_t t = now_ns();
    char text[4096];
    for (int i = 0; i < count && snd->inflight < opt.window && off + wire_size() <= sizeof msgbuf;
         i++) {
        int64_t seq = snd->next_seq++;
        char *m = opt.web ? text : msgbuf + off;
        int n = snprintf(m, (size_t)opt.size, "%d %lld %llu ", s, (long long)seq, (unsigned long long)t);
        memset(m + n, 'x', (size_t)(opt.size - 2 - n));
        if (opt.web) {
            off += ws_say(msgbuf + off, text, (size_t)opt.size - 2);
        } else {
            m[opt.size - 2] = '\r';
            m[opt.size - 1] = '\n';
            off += (size_t)opt.size;
        }
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
        if ((c->state == C_CONNECTING || c->state == C_UPGRADE || c->state == C_PROMPT ||
             c->state == C_QUEUED ||
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
        static const char ON[] = "{\"type\":\"receipts\",\"on\":true}";
        char frame[64];
        size_t n = opt.web ? ws_frame(frame, 0x1, ON, sizeof ON - 1) : 14;
        if (!opt.web) memcpy(frame, "/receipts on\r\n", n);
        for (int s = 0; s < opt.senders; s++)
            if (conn_write(&conns[s], frame, n) < 0) return "/receipts could not be sent";
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
    printf("{\"scenario\": \"%s\", \"proto\": \"%s\", \"host\": \"%s\", \"port\": %d, \"users\": %d",
           scenario, opt.web ? "web" : "line", opt.host, opt.port, opt.users);
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
    if (opt.nports)
        printf(", \"nodes\": %d, \"cross_p50_us\": %.0f, \"cross_p99_us\": %.0f", opt.nports,
               hist_pct(&cross_hist, 50), hist_pct(&cross_hist, 99));
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
    make_upgrade_request();
    epfd = epoll_create1(0);
    int status;
    if (opt.scenario == FANOUT) status = run_fanout();
    else if (opt.scenario == CONNECT) status = run_connect();
    else status = run_storm();
    fflush(stdout);
    return status;
}

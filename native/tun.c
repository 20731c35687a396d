/*
 * synack's native piece: open a Linux TUN device, and move whole packets between a non-blocking
 * packet file descriptor and JavaScript on Node's event loop. Plain Node-API (node_api.h) + libuv.
 *
 * Exports:
 *   open(name)           -> { fd, name, persistent }  /dev/net/tun, TUNSETIFF IFF_TUN|IFF_NO_PI
 *                           (single queue), O_NONBLOCK|O_CLOEXEC. Throws an Error with code
 *                           (errno name), errno and syscall on failure.
 *   seqpacketPair()      -> [fd, fd]  a non-blocking AF_UNIX SOCK_SEQPACKET pair: a packet fd
 *                           with the same one-read-one-packet semantics, for tests without root.
 *   class PacketFd(fd, onPackets(ab, lengths, count), onError(code, message, errno), options?)
 *     start() / pause()  want readable notifications or not
 *     write(u8) -> 1 sent, 0 queued, -1 dropped (queue full), -2 error (counted), -3 closed
 *     ref() / unref() / stats() / close(); queued (packets waiting in the write queue)
 *
 * Invariants:
 *  - No thread pool, no blocking call: one uv_poll_t per fd. On readable, up to maxBatch packets
 *    are read in a loop into one preallocated buffer, then copied into one fresh ArrayBuffer and
 *    handed to JS in one call with their lengths (a Uint32Array reused between calls: valid only
 *    during the callback). One batch per readable event keeps the loop fair (epoll is
 *    level-triggered: the rest comes on the next turn).
 *  - Every read has at least MAX_PACKET bytes of room, so no packet is ever truncated (a TUN
 *    device's MTU is at most 65535).
 *  - write() tries write(2) at once; on EAGAIN the packet is copied to a FIFO and the fd is polled
 *    for writable; while the FIFO is non-empty new packets go behind it, so order is kept. The FIFO
 *    is bounded (packets and bytes); beyond it packets are dropped and counted, like a full NIC
 *    transmit queue (IP is unreliable; TCP recovers).
 *  - After close() nothing is delivered, writes return -3, and the fd is closed exactly once.
 *  - While polling, the JS object is strongly referenced so it cannot be collected under libuv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define MAX_PACKET 65536u
#define DEFAULT_BATCH 256u
#define MAX_BATCH 4096u
#define DEFAULT_BUFFER (1u << 20)
#define DEFAULT_QUEUE_PACKETS 16384u
#define DEFAULT_QUEUE_BYTES (32u << 20)

/* ------------------------------------------------------------------------------------------ */
/* errors */

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ENOSPC: return "ENOSPC";
    case EPIPE: return "EPIPE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EBADFD: return "EBADFD";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return NULL;
  }
}

/* Throw Error("<syscall> <what>: <strerror>") with .code, .errno, .syscall. */
static void throw_errno(napi_env env, int e, const char *syscall, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, what, strerror(e));
  char codebuf[24];
  const char *code = errno_name(e);
  if (code == NULL) {
    snprintf(codebuf, sizeof codebuf, "ERRNO_%d", e);
    code = codebuf;
  }
  napi_value vmsg, vcode, err, verrno, vsys;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &vmsg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &vcode);
  napi_create_error(env, vcode, vmsg, &err);
  napi_create_int32(env, e, &verrno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &vsys);
  napi_set_named_property(env, err, "errno", verrno);
  napi_set_named_property(env, err, "syscall", vsys);
  napi_throw(env, err);
}

#define CHECK(env, call)                                                         \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      bool pending_ = false;                                                     \
      napi_is_exception_pending((env), &pending_);                               \
      if (!pending_) napi_throw_error((env), "ERR_SYNACK_NATIVE", #call " failed"); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

/* ------------------------------------------------------------------------------------------ */
/* open(name) */

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1];
  memset(name, 0, sizeof name);
  size_t namelen = 0;
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[0], &t));
    if (t == napi_string) {
      /* Copy at most IFNAMSIZ bytes: a longer name is detected below. */
      CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &namelen));
      if (namelen >= IFNAMSIZ) {
        throw_errno(env, EINVAL, "TUNSETIFF", "(interface names are at most 15 bytes)");
        return NULL;
      }
    } else if (t != napi_undefined && t != napi_null) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "name must be a string");
      return NULL;
    }
  }

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", "/dev/net/tun");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  /* Layer 3, no 4-byte packet-information prefix, single queue (IFF_MULTI_QUEUE off). */
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, namelen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "ioctl(TUNSETIFF)", namelen > 0 ? name : "(any name)");
    return NULL;
  }
  struct ifreq got;
  memset(&got, 0, sizeof got);
  int persistent = 0;
  if (ioctl(fd, TUNGETIFF, &got) == 0) persistent = (got.ifr_flags & IFF_PERSIST) != 0;
  /* O_NONBLOCK was given to open(); make sure it holds whatever the driver did. */
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);

  char actual[IFNAMSIZ + 1];
  memset(actual, 0, sizeof actual);
  memcpy(actual, ifr.ifr_name, IFNAMSIZ);
  napi_value out, vfd, vname, vpersist;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_create_int32(env, fd, &vfd));
  CHECK(env, napi_create_string_utf8(env, actual, NAPI_AUTO_LENGTH, &vname));
  CHECK(env, napi_get_boolean(env, persistent, &vpersist));
  CHECK(env, napi_set_named_property(env, out, "fd", vfd));
  CHECK(env, napi_set_named_property(env, out, "name", vname));
  CHECK(env, napi_set_named_property(env, out, "persistent", vpersist));
  return out;
}

/* seqpacketPair(sndbuf?) -> [fd, fd] */
static napi_value js_seqpacket_pair(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
    throw_errno(env, errno, "socketpair", "AF_UNIX SOCK_SEQPACKET");
    return NULL;
  }
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[0], &t));
    if (t == napi_number) {
      int32_t sndbuf = 0;
      CHECK(env, napi_get_value_int32(env, argv[0], &sndbuf));
      if (sndbuf > 0) {
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
      }
    }
  }
  napi_value arr, a, b;
  CHECK(env, napi_create_array_with_length(env, 2, &arr));
  CHECK(env, napi_create_int32(env, sv[0], &a));
  CHECK(env, napi_create_int32(env, sv[1], &b));
  CHECK(env, napi_set_element(env, arr, 0, a));
  CHECK(env, napi_set_element(env, arr, 1, b));
  return arr;
}

/* ------------------------------------------------------------------------------------------ */
/* PacketFd */

typedef struct pkt {
  struct pkt *next;
  uint32_t len;
  uint8_t data[];
} pkt_t;

typedef struct {
  double rx_packets, rx_bytes, rx_batches;
  double tx_packets, tx_bytes, tx_queued, tx_dropped, tx_errors, tx_eagain;
  int last_tx_errno;
} stats_t;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int poll_inited;
  int handle_closed;
  int closed;
  int finalized;
  int cleanup_registered;
  int reading;
  int events;
  int self_strong;
  uint8_t *rxbuf;
  size_t rxcap;
  uint32_t max_batch;
  uint32_t *lengths;
  napi_ref lengths_ref;
  napi_ref on_packets;
  napi_ref on_error;
  napi_ref self;
  napi_async_context actx;
  pkt_t *qhead, *qtail;
  size_t qcount, qbytes, qmax_packets, qmax_bytes;
  stats_t st;
} packet_fd;

static void on_poll(uv_poll_t *h, int status, int events);

static void maybe_free(packet_fd *d) {
  if (d->finalized && (d->handle_closed || !d->poll_inited)) {
    free(d->rxbuf);
    free(d);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  packet_fd *d = (packet_fd *)h->data;
  d->handle_closed = 1;
  maybe_free(d);
}

static void free_queue(packet_fd *d) {
  pkt_t *p = d->qhead;
  while (p != NULL) {
    pkt_t *n = p->next;
    free(p);
    p = n;
  }
  d->qhead = d->qtail = NULL;
  d->qcount = d->qbytes = 0;
}

static void set_self_strong(packet_fd *d, int strong) {
  if (d->self == NULL || d->finalized || strong == d->self_strong) return;
  uint32_t rc;
  if (strong) napi_reference_ref(d->env, d->self, &rc);
  else napi_reference_unref(d->env, d->self, &rc);
  d->self_strong = strong;
}

/* Stop polling, close the handle and the fd, drop the queue. No JS is touched. */
static void shutdown_fd(packet_fd *d) {
  if (d->closed) return;
  d->closed = 1;
  if (d->poll_inited) {
    uv_poll_stop(&d->poll);
    uv_close((uv_handle_t *)&d->poll, on_handle_closed);
  }
  if (d->fd >= 0) close(d->fd);
  d->fd = -1;
  free_queue(d);
}

static void env_cleanup(void *arg) {
  packet_fd *d = (packet_fd *)arg;
  d->cleanup_registered = 0;
  shutdown_fd(d);
}

/* Call a JS callback from a libuv callback; an exception becomes an uncaught exception. */
static void call_js(packet_fd *d, napi_ref fnref, size_t argc, napi_value *argv) {
  napi_env env = d->env;
  if (fnref == NULL) return;
  napi_value fn, recv, result;
  if (napi_get_reference_value(env, fnref, &fn) != napi_ok || fn == NULL) return;
  if (d->self == NULL || napi_get_reference_value(env, d->self, &recv) != napi_ok || recv == NULL) napi_get_undefined(env, &recv);
  napi_status s = napi_make_callback(env, d->actx, recv, fn, argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
  }
}

static void report_error(packet_fd *d, const char *code, int e, const char *what) {
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char msg[200];
  if (e != 0) snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  else snprintf(msg, sizeof msg, "%s", what);
  napi_value argv[3];
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_int32(env, e, &argv[2]);
  call_js(d, d->on_error, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void update_poll(packet_fd *d) {
  if (d->closed || !d->poll_inited) return;
  int ev = 0;
  if (d->reading) ev |= UV_READABLE;
  if (d->qhead != NULL) ev |= UV_WRITABLE;
  if (ev != d->events) {
    if (ev == 0) {
      uv_poll_stop(&d->poll);
    } else {
      int r = uv_poll_start(&d->poll, ev, on_poll);
      if (r < 0) {
        d->events = 0;
        set_self_strong(d, 0);
        report_error(d, "EPOLL", -r, "uv_poll_start");
        return;
      }
    }
    d->events = ev;
  }
  set_self_strong(d, ev != 0);
}

/* write(2) one packet: 1 written, 0 would block, -1 failed (counted, errno kept). */
static int try_write(packet_fd *d, const uint8_t *data, size_t len) {
  for (;;) {
    ssize_t r = write(d->fd, data, len);
    if (r >= 0) {
      d->st.tx_packets += 1;
      d->st.tx_bytes += (double)r;
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      d->st.tx_eagain += 1;
      return 0;
    }
    d->st.tx_errors += 1;
    d->st.last_tx_errno = errno;
    return -1;
  }
}

static void flush_queue(packet_fd *d) {
  while (d->qhead != NULL && !d->closed) {
    pkt_t *p = d->qhead;
    int r = try_write(d, p->data, p->len);
    if (r == 0) return;
    /* Written, or failed for good (counted): either way it leaves the queue. */
    d->qhead = p->next;
    if (d->qhead == NULL) d->qtail = NULL;
    d->qcount -= 1;
    d->qbytes -= p->len;
    free(p);
  }
}

/* Read and deliver one batch. Returns 1 when reading failed for good (reported, reading stopped). */
static int read_batch(packet_fd *d) {
  size_t off = 0;
  uint32_t n = 0;
  int err = 0, eof = 0;
  while (n < d->max_batch && d->rxcap - off >= MAX_PACKET) {
    ssize_t r = read(d->fd, d->rxbuf + off, MAX_PACKET);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (r == 0) {
      /* A TUN device never reads 0 bytes; a socket does at end of stream. */
      eof = 1;
      break;
    }
    d->lengths[n++] = (uint32_t)r;
    off += (size_t)r;
  }
  if (n > 0) {
    d->st.rx_packets += n;
    d->st.rx_bytes += (double)off;
    d->st.rx_batches += 1;
    napi_env env = d->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      void *data = NULL;
      napi_value argv[3];
      if (napi_create_arraybuffer(env, off, &data, &argv[0]) == napi_ok &&
          napi_get_reference_value(env, d->lengths_ref, &argv[1]) == napi_ok &&
          napi_create_uint32(env, n, &argv[2]) == napi_ok) {
        memcpy(data, d->rxbuf, off);
        call_js(d, d->on_packets, 3, argv);
      }
      napi_close_handle_scope(env, scope);
    }
  }
  if (d->closed) return 1;
  if (err != 0 || eof) {
    /* The fd is unusable for reading (the device was deleted: EBADFD; the peer closed): stop
       reading, say so once. */
    d->reading = 0;
    update_poll(d);
    if (eof) report_error(d, "EOF", 0, "end of stream");
    else {
      const char *code = errno_name(err);
      report_error(d, code != NULL ? code : "EIO", err, "read");
    }
    return 1;
  }
  return 0;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  packet_fd *d = (packet_fd *)h->data;
  if (d->closed) return;
  if (status < 0) {
    /* libuv has stopped the handle (it reports EPOLLERR as UV_EBADF). A TUN fd whose device was
       deleted polls as an error: read once to deliver what is left and to learn the real errno
       (EBADFD); if the read does not fail, report the poll error itself. */
    d->events = 0;
    if (d->reading && read_batch(d)) return;
    if (d->closed) return;
    d->reading = 0;
    free_queue(d);
    update_poll(d);
    const char *code = errno_name(-status);
    report_error(d, code != NULL ? code : "EIO", -status, "poll");
    return;
  }
  if (events & UV_WRITABLE) flush_queue(d);
  if (d->closed) return;
  if ((events & UV_READABLE) && d->reading) (void)read_batch(d);
  if (d->closed) return;
  update_poll(d);
}

static void finalize_packet_fd(napi_env env, void *data, void *hint) {
  packet_fd *d = (packet_fd *)data;
  if (d->cleanup_registered) {
    napi_remove_env_cleanup_hook(env, env_cleanup, d);
    d->cleanup_registered = 0;
  }
  shutdown_fd(d);
  if (d->on_packets) napi_delete_reference(env, d->on_packets);
  if (d->on_error) napi_delete_reference(env, d->on_error);
  if (d->lengths_ref) napi_delete_reference(env, d->lengths_ref);
  if (d->self) napi_delete_reference(env, d->self);
  d->on_packets = d->on_error = d->lengths_ref = d->self = NULL;
  if (d->actx) napi_async_destroy(env, d->actx);
  d->actx = NULL;
  d->finalized = 1;
  maybe_free(d);
}

static int get_uint_option(napi_env env, napi_value obj, const char *key, uint32_t *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined) return 0;
  if (t != napi_number) return -1;
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok || !(x >= 1 && x <= 4294967295.0)) return -1;
  *out = (uint32_t)x;
  return 0;
}

/* new PacketFd(fd, onPackets, onError, options?) */
static napi_value js_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], self;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "PacketFd(fd, onPackets, onError, options?)");
    return NULL;
  }
  napi_valuetype t0, t1, t2;
  CHECK(env, napi_typeof(env, argv[0], &t0));
  CHECK(env, napi_typeof(env, argv[1], &t1));
  CHECK(env, napi_typeof(env, argv[2], &t2));
  if (t0 != napi_number || t1 != napi_function || t2 != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "PacketFd(fd: number, onPackets: function, onError: function)");
    return NULL;
  }
  int32_t fd;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  uint32_t batch = DEFAULT_BATCH, bufsize = DEFAULT_BUFFER, qpk = DEFAULT_QUEUE_PACKETS, qby = DEFAULT_QUEUE_BYTES;
  if (argc >= 4) {
    napi_valuetype t3;
    CHECK(env, napi_typeof(env, argv[3], &t3));
    if (t3 == napi_object) {
      if (get_uint_option(env, argv[3], "maxBatch", &batch) < 0 || get_uint_option(env, argv[3], "bufferSize", &bufsize) < 0 ||
          get_uint_option(env, argv[3], "queuePackets", &qpk) < 0 || get_uint_option(env, argv[3], "queueBytes", &qby) < 0) {
        napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "PacketFd options must be positive integers");
        return NULL;
      }
    }
  }
  if (batch > MAX_BATCH) batch = MAX_BATCH;
  if (bufsize < MAX_PACKET) bufsize = MAX_PACKET;
  if (bufsize > (64u << 20)) bufsize = 64u << 20;
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
    throw_errno(env, fd < 0 ? EBADF : errno, "fcntl", "(PacketFd: not an open file descriptor)");
    return NULL;
  }

  packet_fd *d = (packet_fd *)calloc(1, sizeof *d);
  if (d == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  d->env = env;
  d->fd = fd;
  d->max_batch = batch;
  d->rxcap = bufsize;
  d->qmax_packets = qpk;
  d->qmax_bytes = qby;
  d->rxbuf = (uint8_t *)malloc(bufsize);
  if (d->rxbuf == NULL) {
    free(d);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    free(d->rxbuf);
    free(d);
    napi_throw_error(env, "ERR_SYNACK_NATIVE", "no event loop");
    return NULL;
  }
  int r = uv_poll_init(loop, &d->poll, fd);
  if (r < 0) {
    free(d->rxbuf);
    free(d);
    throw_errno(env, -r, "uv_poll_init", "(PacketFd)");
    return NULL;
  }
  d->poll.data = d;
  d->poll_inited = 1;

  /* From here on the wrap owns d: failures below leave cleanup to the finalizer. */
  napi_status s = napi_wrap(env, self, d, finalize_packet_fd, NULL, &d->self);
  if (s != napi_ok) {
    d->finalized = 1;
    shutdown_fd(d);
    napi_throw_error(env, "ERR_SYNACK_NATIVE", "napi_wrap failed");
    return NULL;
  }
  napi_value ab, lengths, resname;
  void *lendata = NULL;
  CHECK(env, napi_create_arraybuffer(env, (size_t)batch * 4, &lendata, &ab));
  d->lengths = (uint32_t *)lendata;
  CHECK(env, napi_create_typedarray(env, napi_uint32_array, batch, ab, 0, &lengths));
  CHECK(env, napi_create_reference(env, lengths, 1, &d->lengths_ref));
  CHECK(env, napi_create_reference(env, argv[1], 1, &d->on_packets));
  CHECK(env, napi_create_reference(env, argv[2], 1, &d->on_error));
  CHECK(env, napi_create_string_utf8(env, "SynackPacketFd", NAPI_AUTO_LENGTH, &resname));
  CHECK(env, napi_async_init(env, self, resname, &d->actx));
  if (napi_add_env_cleanup_hook(env, env_cleanup, d) == napi_ok) d->cleanup_registered = 1;
  return self;
}

static packet_fd *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  size_t n = argc != NULL ? *argc : 0;
  if (napi_get_cb_info(env, info, &n, argv, &self, NULL) != napi_ok) return NULL;
  if (argc != NULL) *argc = n;
  void *p = NULL;
  if (napi_unwrap(env, self, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not a PacketFd");
    return NULL;
  }
  return (packet_fd *)p;
}

static napi_value undefined_value(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  if (!d->closed) {
    d->reading = 1;
    update_poll(d);
  }
  return undefined_value(env);
}

static napi_value js_pause(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  if (!d->closed) {
    d->reading = 0;
    update_poll(d);
  }
  return undefined_value(env);
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  packet_fd *d = unwrap(env, info, &argc, argv);
  if (d == NULL) return NULL;
  bool is_ta = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "write(packet: Uint8Array)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  CHECK(env, napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL));
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "write(packet: Uint8Array)");
    return NULL;
  }
  int32_t result;
  int w;
  if (d->closed) {
    result = -3;
  } else if (d->qhead == NULL && (w = try_write(d, (const uint8_t *)data, length)) != 0) {
    result = w == 1 ? 1 : -2; /* written, or failed for good (counted, errno kept) */
  } else if (d->qcount >= d->qmax_packets || d->qbytes + length > d->qmax_bytes) {
    d->st.tx_dropped += 1;
    result = -1;
  } else {
    pkt_t *p = (pkt_t *)malloc(sizeof *p + length);
    if (p == NULL) {
      d->st.tx_dropped += 1;
      result = -1;
    } else {
      p->next = NULL;
      p->len = (uint32_t)length;
      if (length > 0) memcpy(p->data, data, length);
      if (d->qtail != NULL) d->qtail->next = p;
      else d->qhead = p;
      d->qtail = p;
      d->qcount += 1;
      d->qbytes += length;
      d->st.tx_queued += 1;
      update_poll(d);
      result = 0;
    }
  }
  napi_value out;
  CHECK(env, napi_create_int32(env, result, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  if (!d->closed) {
    d->reading = 0;
    shutdown_fd(d);
    set_self_strong(d, 0);
    /* Drop the callbacks now: they may hold the JS wrapper, which holds this object. */
    if (d->on_packets) napi_delete_reference(env, d->on_packets);
    if (d->on_error) napi_delete_reference(env, d->on_error);
    d->on_packets = d->on_error = NULL;
    if (d->actx) napi_async_destroy(env, d->actx);
    d->actx = NULL;
    if (d->cleanup_registered) {
      napi_remove_env_cleanup_hook(env, env_cleanup, d);
      d->cleanup_registered = 0;
    }
  }
  return undefined_value(env);
}

static napi_value js_ref(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  if (!d->closed) uv_ref((uv_handle_t *)&d->poll);
  return undefined_value(env);
}

static napi_value js_unref(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  if (!d->closed) uv_unref((uv_handle_t *)&d->poll);
  return undefined_value(env);
}

static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, obj, key, x);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  napi_value o, code;
  CHECK(env, napi_create_object(env, &o));
  set_num(env, o, "rxPackets", d->st.rx_packets);
  set_num(env, o, "rxBytes", d->st.rx_bytes);
  set_num(env, o, "rxBatches", d->st.rx_batches);
  set_num(env, o, "txPackets", d->st.tx_packets);
  set_num(env, o, "txBytes", d->st.tx_bytes);
  set_num(env, o, "txQueued", d->st.tx_queued);
  set_num(env, o, "txDropped", d->st.tx_dropped);
  set_num(env, o, "txErrors", d->st.tx_errors);
  set_num(env, o, "txEagain", d->st.tx_eagain);
  set_num(env, o, "queuePackets", (double)d->qcount);
  set_num(env, o, "queueBytes", (double)d->qbytes);
  const char *name = d->st.last_tx_errno != 0 ? errno_name(d->st.last_tx_errno) : NULL;
  if (d->st.last_tx_errno != 0) {
    char buf[24];
    if (name == NULL) {
      snprintf(buf, sizeof buf, "ERRNO_%d", d->st.last_tx_errno);
      name = buf;
    }
    CHECK(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code));
  } else {
    CHECK(env, napi_get_null(env, &code));
  }
  CHECK(env, napi_set_named_property(env, o, "lastTxError", code));
  return o;
}

static napi_value js_get_queued(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  napi_value n;
  CHECK(env, napi_create_uint32(env, (uint32_t)d->qcount, &n));
  return n;
}

static napi_value js_get_closed(napi_env env, napi_callback_info info) {
  packet_fd *d = unwrap(env, info, NULL, NULL);
  if (d == NULL) return NULL;
  napi_value b;
  CHECK(env, napi_get_boolean(env, d->closed, &b));
  return b;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default_method, NULL},
    {"pause", NULL, js_pause, NULL, NULL, NULL, napi_default_method, NULL},
    {"write", NULL, js_write, NULL, NULL, NULL, napi_default_method, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL},
    {"ref", NULL, js_ref, NULL, NULL, NULL, napi_default_method, NULL},
    {"unref", NULL, js_unref, NULL, NULL, NULL, napi_default_method, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default_method, NULL},
    {"closed", NULL, NULL, js_get_closed, NULL, NULL, napi_default_jsproperty, NULL},
    {"queued", NULL, NULL, js_get_queued, NULL, NULL, napi_default_jsproperty, NULL},
  };
  napi_value cls, fopen, fpair;
  CHECK(env, napi_define_class(env, "PacketFd", NAPI_AUTO_LENGTH, js_ctor, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fopen));
  CHECK(env, napi_create_function(env, "seqpacketPair", NAPI_AUTO_LENGTH, js_seqpacket_pair, NULL, &fpair));
  CHECK(env, napi_set_named_property(env, exports, "PacketFd", cls));
  CHECK(env, napi_set_named_property(env, exports, "open", fopen));
  CHECK(env, napi_set_named_property(env, exports, "seqpacketPair", fpair));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

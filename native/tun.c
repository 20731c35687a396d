/*
 * synack's native piece: open a Linux TUN device, and move whole packets between a non-blocking
 * packet file descriptor and JavaScript on Node's event loop. Plain Node-API (node_api.h) + libuv.
 *
 * Exports:
 *   open(name, offload?) -> { fd, name, persistent, offload }  /dev/net/tun, TUNSETIFF
 *                           IFF_TUN|IFF_NO_PI (single queue), O_NONBLOCK|O_CLOEXEC; with offload,
 *                           also IFF_VNET_HDR and TUNSETOFFLOAD(CSUM|TSO4|TSO6) (see "offload"
 *                           below). Throws an Error with code (errno name), errno and syscall.
 *   seqpacketPair()      -> [fd, fd]  a non-blocking AF_UNIX SOCK_SEQPACKET pair: a packet fd
 *                           with the same one-read-one-packet semantics, for tests without root.
 *   class PacketFd(fd, onPackets(ab, lengths, count), onError(code, message, errno), options?)
 *     start() / pause()  want readable notifications or not
 *     write(u8) -> 1 sent, 0 queued, -1 dropped (queue full), -2 error (counted), -3 closed
 *     writeMany([u8...]) -> packets not taken (dropped or refused), or -3 closed
 *     ref() / unref() / stats() / close(); queued (packets waiting in the write queue)
 *
 * Offload (PacketFd option vnetHdr, on a TUN fd opened with offload): every packet on the fd
 * carries a 10-byte struct virtio_net_hdr. Reading, the kernel may hand over TSO super-packets
 * (up to 64 KiB, gso_size = MSS) and packets whose TCP/UDP checksum it left to us (NEEDS_CSUM):
 * they are cut back into MSS-sized segments here, each with its own IP length/ID, sequence
 * number, flags (FIN/PSH only on the last, CWR only on the first, as the kernel's GSO does) and
 * full checksums, so JS sees exactly what a wire would carry. Writing, writeMany() merges runs of
 * back-to-back full-sized segments of one TCP flow (same headers but the sequence number, ACK
 * only, contiguous, only the last shorter or with PSH/FIN) into one super-packet with
 * gso_type TCPV4/TCPV6 and a partial checksum, so the kernel takes a 64 KiB burst in one write(2)
 * and its TCP receives it as one GRO-sized segment. Anything else is written as it is. With the
 * option gro, super-packets read are not cut but handed over whole with their checksum completed:
 * one large, valid segment (what Linux's GRO hands its own TCP), far less work per byte.
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
#include <endian.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>
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
#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
/* A read in offload mode: the header and a super-packet of at most 64 KiB. */
#define SCRATCH_SIZE (MAX_PACKET + 256u)
/* Segments cut from one super-packet: more means a tiny gso_size (not from a sane kernel). */
#define MAX_SPLIT 1024u
/* Segments merged into one super-packet on write. */
#define MAX_MERGE 64u

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
  size_t argc = 2;
  napi_value argv[2];
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

  bool offload = false;
  if (argc >= 2) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[1], &t));
    if (t == napi_boolean) CHECK(env, napi_get_value_bool(env, argv[1], &offload));
  }

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", "/dev/net/tun");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  /* Layer 3, no 4-byte packet-information prefix, single queue (IFF_MULTI_QUEUE off). */
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, namelen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "ioctl(TUNSETIFF)", namelen > 0 ? name : "(any name)");
    return NULL;
  }
  if (offload) {
    int hdrsz = (int)VNET_HDR_LEN;
    unsigned int features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0) {
      int e = errno;
      close(fd);
      throw_errno(env, e, "ioctl(TUNSETVNETHDRSZ)", "(offload)");
      return NULL;
    }
    if (ioctl(fd, TUNSETOFFLOAD, features) < 0) {
      int e = errno;
      close(fd);
      throw_errno(env, e, "ioctl(TUNSETOFFLOAD)", "(offload)");
      return NULL;
    }
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
  napi_value out, vfd, vname, vpersist, voffload;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_get_boolean(env, offload, &voffload));
  CHECK(env, napi_set_named_property(env, out, "offload", voffload));
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
  /* Offload: super-packets read and the segments cut from them; reads that were not usable;
     super-packets written and the segments merged into them. */
  double rx_super, rx_split, rx_bad, tx_super, tx_merged;
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
  /* Offload mode: every packet on the fd has a virtio_net_hdr; scratch takes one read, txbuf
     one merged super-packet. */
  int vnet;
  /* Offload mode: hand super-packets to JS whole (one large segment, as Linux's GRO makes) instead of cutting them. */
  int gro;
  uint8_t *scratch;
  uint8_t *txbuf;
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
    free(d->scratch);
    free(d->txbuf);
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
  /* Offloads are a property of the device: leave a persistent one as a plain reader expects it. */
  if (d->fd >= 0 && d->vnet) (void)ioctl(d->fd, TUNSETOFFLOAD, 0u);
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


/* ------------------------------------------------------------------------------------------ */
/* offload: checksums, cutting super-packets, merging segments */

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static inline void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* RFC 1071 sum of big-endian 16-bit words (an odd last byte padded with zero), not yet folded. */
static uint64_t sum_words(const uint8_t *p, size_t len, uint64_t sum) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    sum += ((uint32_t)p[i] << 8 | p[i + 1]) + ((uint32_t)p[i + 2] << 8 | p[i + 3]) + ((uint32_t)p[i + 4] << 8 | p[i + 5]) +
           ((uint32_t)p[i + 6] << 8 | p[i + 7]);
  }
  for (; i + 1 < len; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (i < len) sum += (uint32_t)p[i] << 8;
  return sum;
}

static uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* The pseudo-header of RFC 9293 3.1 (IPv4) or RFC 8200 8.1 (IPv6) for TCP of `len` bytes. */
static uint64_t pseudo_sum(const uint8_t *ip, int v6, uint32_t len) {
  uint64_t s = v6 ? sum_words(ip + 8, 32, 0) : sum_words(ip + 12, 8, 0);
  return s + 6 + (len >> 16) + (len & 0xffff);
}

/* Finish a checksum the kernel left to us (VIRTIO_NET_HDR_F_NEEDS_CSUM): the field holds the
   pseudo-header sum; the checksum covers everything from `start`. 0 when it does not fit. */
static int complete_csum(uint8_t *p, size_t len, uint32_t start, uint32_t off) {
  if ((size_t)start + off + 2 > len) return 0;
  uint16_t c = (uint16_t)~fold(sum_words(p + start, len - start, 0));
  if (c == 0 && off == 6) c = 0xffff; /* UDP: zero means "no checksum" (RFC 768) */
  put16(p + start + off, c);
  return 1;
}

/* A plain TCP packet (IPv4 without fragmentation, IPv6 without extension headers): its header
   sizes and family. 0 otherwise. */
static int tcp_shape(const uint8_t *p, size_t len, int *v6, uint32_t *iphl, uint32_t *thl) {
  if (len < 40) return 0;
  uint32_t ver = p[0] >> 4, ih;
  if (ver == 4) {
    ih = (uint32_t)(p[0] & 15) * 4;
    if (ih < 20 || p[9] != 6 || (get16(p + 6) & 0x3fff) != 0 || get16(p + 2) != len) return 0;
    *v6 = 0;
  } else if (ver == 6) {
    ih = 40;
    if (p[6] != 6 || (size_t)get16(p + 4) + 40 != len) return 0;
    *v6 = 1;
  } else {
    return 0;
  }
  if (len < ih + 20) return 0;
  uint32_t th = (uint32_t)(p[ih + 12] >> 4) * 4;
  if (th < 20 || ih + th > len) return 0;
  *iphl = ih;
  *thl = th;
  return 1;
}

static void ipv4_fix(uint8_t *ip, uint32_t iphl, uint32_t total) {
  put16(ip + 2, total);
  ip[10] = ip[11] = 0;
  put16(ip + 10, (uint16_t)~fold(sum_words(ip, iphl, 0)));
}

/* Cut a TSO super-packet into segments of `mss` payload bytes at `out`, as the kernel's GSO
   would (tcp_gso_segment): lengths, IPv4 IDs counting up, sequence numbers, FIN/PSH on the last
   only, CWR on the first only, and every checksum computed. Returns the number of segments, or
   -1 when the packet is not plain TCP or does not fit. */
static int split_tso(const uint8_t *p, size_t len, uint32_t mss, uint8_t *out, size_t room, uint32_t *lens, uint32_t maxn) {
  int v6;
  uint32_t iphl, thl;
  if (mss == 0 || !tcp_shape(p, len, &v6, &iphl, &thl)) return -1;
  uint32_t hdr = iphl + thl;
  size_t payload = len - hdr;
  if (payload == 0) return -1;
  size_t nseg = (payload + mss - 1) / mss;
  if (nseg > maxn || nseg > MAX_SPLIT || payload + nseg * hdr > room) return -1;
  uint32_t seq0 = get32(p + iphl + 4);
  uint32_t id0 = get16(p + 4);
  uint8_t flags0 = p[iphl + 13];
  size_t o = 0;
  for (size_t i = 0; i < nseg; i++) {
    size_t plen = payload - i * mss < mss ? payload - i * mss : mss;
    uint8_t *q = out + o;
    memcpy(q, p, hdr);
    memcpy(q + hdr, p + hdr + i * mss, plen);
    if (v6) put16(q + 4, (uint32_t)(thl + plen));
    else {
      put16(q + 4, (id0 + (uint32_t)i) & 0xffff);
      ipv4_fix(q, iphl, (uint32_t)(hdr + plen));
    }
    uint8_t *t = q + iphl;
    put32(t + 4, seq0 + (uint32_t)(i * mss));
    uint8_t fl = flags0;
    if (i != nseg - 1) fl &= (uint8_t)~0x09; /* FIN, PSH */
    if (i != 0) fl &= (uint8_t)~0x80;        /* CWR */
    t[13] = fl;
    t[16] = t[17] = 0;
    put16(t + 16, (uint16_t)~fold(sum_words(t, thl + plen, pseudo_sum(q, v6, (uint32_t)(thl + plen)))));
    lens[i] = (uint32_t)(hdr + plen);
    o += hdr + plen;
  }
  return (int)nseg;
}

typedef struct {
  const uint8_t *data;
  size_t len;
} span_t;

/* How many packets from items[i] on can go out as one TSO super-packet (1: only the first).
   They must be one flow's back-to-back segments: identical IP and TCP headers except lengths,
   IPv4 ID, checksums and the sequence number (which must follow on), all but the last carrying
   exactly gso_size bytes and only ACK; the last may be shorter and add PSH/FIN. */
static size_t merge_run(const span_t *items, size_t i, size_t n, uint32_t *gso) {
  const uint8_t *a = items[i].data;
  size_t alen = items[i].len;
  int v6;
  uint32_t iphl, thl;
  if (!tcp_shape(a, alen, &v6, &iphl, &thl)) return 1;
  uint32_t hdr = iphl + thl;
  size_t size = alen - hdr;
  if (size == 0 || a[iphl + 13] != 0x10) return 1;
  uint32_t seq0 = get32(a + iphl + 4);
  size_t total = alen, k = 1;
  for (size_t j = i + 1; j < n && k < MAX_MERGE; j++) {
    const uint8_t *b = items[j].data;
    size_t blen = items[j].len;
    int bv6;
    uint32_t biphl, bthl;
    if (!tcp_shape(b, blen, &bv6, &biphl, &bthl) || bv6 != v6 || biphl != iphl || bthl != thl) break;
    size_t bsize = blen - hdr;
    if (bsize == 0 || bsize > size) break;
    if (total + bsize - (v6 ? 40 : 0) > 65535) break;
    if (v6) {
      if (memcmp(a, b, 4) != 0 || memcmp(a + 6, b + 6, 34) != 0) break;
    } else {
      if (memcmp(a, b, 2) != 0 || memcmp(a + 6, b + 6, 4) != 0 || memcmp(a + 12, b + 12, iphl - 12) != 0) break;
    }
    const uint8_t *ta = a + iphl, *tb = b + iphl;
    if (memcmp(ta, tb, 4) != 0 || memcmp(ta + 8, tb + 8, 5) != 0 || memcmp(ta + 14, tb + 14, 2) != 0 ||
        memcmp(ta + 18, tb + 18, thl - 18) != 0)
      break;
    if (get32(tb + 4) != seq0 + (uint32_t)(k * size)) break;
    uint8_t fl = tb[13];
    if ((fl & 0x10) == 0 || (fl & (uint8_t)~0x19) != 0) break;
    k++;
    total += bsize;
    if (bsize < size || fl != 0x10) break; /* the last one */
  }
  *gso = (uint32_t)size;
  return k;
}

/* Build the super-packet for items[i..i+k) at d->txbuf (header included); returns its length. */
static size_t build_super(packet_fd *d, const span_t *items, size_t i, size_t k, uint32_t gso) {
  const uint8_t *a = items[i].data;
  int v6;
  uint32_t iphl, thl;
  tcp_shape(a, items[i].len, &v6, &iphl, &thl);
  uint32_t hdr = iphl + thl;
  struct virtio_net_hdr h;
  memset(&h, 0, sizeof h);
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  h.hdr_len = htole16((uint16_t)hdr);
  h.gso_size = htole16((uint16_t)gso);
  h.csum_start = htole16((uint16_t)iphl);
  h.csum_offset = htole16(16);
  memcpy(d->txbuf, &h, VNET_HDR_LEN);
  uint8_t *q = d->txbuf + VNET_HDR_LEN;
  memcpy(q, a, hdr);
  size_t off = hdr;
  for (size_t j = i; j < i + k; j++) {
    memcpy(q + off, items[j].data + hdr, items[j].len - hdr);
    off += items[j].len - hdr;
  }
  if (v6) put16(q + 4, (uint32_t)(off - 40));
  else ipv4_fix(q, iphl, (uint32_t)off);
  uint8_t *t = q + iphl;
  t[13] = items[i + k - 1].data[iphl + 13]; /* the last one's flags: GSO clears FIN/PSH before it */
  /* A partial checksum: the pseudo-header sum, completed per segment by whoever segments. */
  t[16] = t[17] = 0;
  put16(t + 16, fold(pseudo_sum(q, v6, (uint32_t)(off - iphl))));
  return VNET_HDR_LEN + off;
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

/* Like try_write, for a virtio_net_hdr (all zero: a plain packet) followed by the packet. */
static int try_write_plain_vnet(packet_fd *d, const uint8_t *data, size_t len) {
  static const uint8_t zero[sizeof(struct virtio_net_hdr)] = {0};
  struct iovec iov[2] = {{(void *)zero, VNET_HDR_LEN}, {(void *)data, len}};
  for (;;) {
    ssize_t r = writev(d->fd, iov, 2);
    if (r >= 0) {
      d->st.tx_packets += 1;
      d->st.tx_bytes += (double)len;
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

/* Put `len` bytes (preceded by a zero virtio_net_hdr when `zero_hdr`) at the end of the write
   queue: 0 queued, -1 dropped (queue full or no memory). */
static int enqueue(packet_fd *d, const uint8_t *data, size_t len, int zero_hdr) {
  size_t extra = zero_hdr ? VNET_HDR_LEN : 0;
  if (d->qcount >= d->qmax_packets || d->qbytes + len + extra > d->qmax_bytes) {
    d->st.tx_dropped += 1;
    return -1;
  }
  pkt_t *p = (pkt_t *)malloc(sizeof *p + len + extra);
  if (p == NULL) {
    d->st.tx_dropped += 1;
    return -1;
  }
  p->next = NULL;
  p->len = (uint32_t)(len + extra);
  if (extra > 0) memset(p->data, 0, extra);
  if (len > 0) memcpy(p->data + extra, data, len);
  if (d->qtail != NULL) d->qtail->next = p;
  else d->qhead = p;
  d->qtail = p;
  d->qcount += 1;
  d->qbytes += p->len;
  d->st.tx_queued += 1;
  update_poll(d);
  return 0;
}

/* One packet out (a zero virtio_net_hdr in front in offload mode): 1 written, 0 queued, -1
   dropped, -2 refused by the kernel (counted). Order is kept behind a non-empty queue. */
static int send_one(packet_fd *d, const uint8_t *data, size_t len) {
  if (d->qhead == NULL) {
    int w = d->vnet ? try_write_plain_vnet(d, data, len) : try_write(d, data, len);
    if (w != 0) return w == 1 ? 1 : -2;
  }
  return enqueue(d, data, len, d->vnet);
}

/* A buffer that already starts with its virtio_net_hdr (a super-packet): as send_one. */
static int send_raw(packet_fd *d, const uint8_t *data, size_t len) {
  if (d->qhead == NULL) {
    int w = try_write(d, data, len);
    if (w != 0) return w == 1 ? 1 : -2;
  }
  return enqueue(d, data, len, 0);
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

/* Hand rxbuf[0..off) with n lengths to JS in one call (copied into a fresh ArrayBuffer). */
static void deliver(packet_fd *d, size_t off, uint32_t n) {
  if (n == 0) return;
  d->st.rx_packets += n;
  d->st.rx_bytes += (double)off;
  d->st.rx_batches += 1;
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  void *data = NULL;
  napi_value argv[3];
  if (napi_create_arraybuffer(env, off, &data, &argv[0]) == napi_ok && napi_get_reference_value(env, d->lengths_ref, &argv[1]) == napi_ok &&
      napi_create_uint32(env, n, &argv[2]) == napi_ok) {
    memcpy(data, d->rxbuf, off);
    call_js(d, d->on_packets, 3, argv);
  }
  napi_close_handle_scope(env, scope);
}

/* Offload mode: one read (header + packet) in d->scratch of `r` bytes, made into plain packets
   at rxbuf+*off. Returns 0, or -1 when there is no room (nothing consumed: deliver, then retry). */
static int take_vnet(packet_fd *d, size_t r, size_t *off, uint32_t *n) {
  if (r < VNET_HDR_LEN) {
    d->st.rx_bad += 1;
    return 0;
  }
  struct virtio_net_hdr h;
  memcpy(&h, d->scratch, VNET_HDR_LEN);
  uint8_t *p = d->scratch + VNET_HDR_LEN;
  size_t len = r - VNET_HDR_LEN;
  uint8_t gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  if (gso == VIRTIO_NET_HDR_GSO_NONE || d->gro) {
    /* A plain packet, or a super-packet taken whole (GRO): its checksum field holds the pseudo-
       header sum over its full length, so completing it makes it a valid (large) segment. */
    if (gso != VIRTIO_NET_HDR_GSO_NONE) d->st.rx_super += 1;
    if (d->rxcap - *off < len || *n >= d->max_batch) return -1;
    if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !complete_csum(p, len, le16toh(h.csum_start), le16toh(h.csum_offset))) {
      d->st.rx_bad += 1;
      return 0;
    }
    memcpy(d->rxbuf + *off, p, len);
    d->lengths[(*n)++] = (uint32_t)len;
    *off += len;
    return 0;
  }
  int k = split_tso(p, len, le16toh(h.gso_size), d->rxbuf + *off, d->rxcap - *off, d->lengths + *n, d->max_batch - *n);
  if (k < 0) {
    /* No room (retry after delivering), or not something we can cut: then it is dropped. */
    if (*n > 0) return -1;
    d->st.rx_bad += 1;
    return 0;
  }
  d->st.rx_super += 1;
  d->st.rx_split += k;
  for (int i = 0; i < k; i++) *off += d->lengths[*n + (uint32_t)i];
  *n += (uint32_t)k;
  return 0;
}

/* Read and deliver one batch. Returns 1 when reading failed for good (reported, reading stopped). */
static int read_batch(packet_fd *d) {
  size_t off = 0;
  uint32_t n = 0;
  int err = 0, eof = 0;
  if (!d->vnet) {
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
    deliver(d, off, n);
  } else {
    /* As many reads as max_batch packets would be, whatever they are cut into. */
    for (uint32_t reads = 0; reads < d->max_batch && !d->closed; reads++) {
      ssize_t r = read(d->fd, d->scratch, SCRATCH_SIZE);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      if (r == 0) {
        eof = 1;
        break;
      }
      if (take_vnet(d, (size_t)r, &off, &n) < 0) {
        deliver(d, off, n);
        off = 0;
        n = 0;
        if (d->closed) break;
        (void)take_vnet(d, (size_t)r, &off, &n);
      }
    }
    if (!d->closed) deliver(d, off, n);
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
  uint32_t batch = DEFAULT_BATCH, bufsize = DEFAULT_BUFFER, qpk = DEFAULT_QUEUE_PACKETS, qby = DEFAULT_QUEUE_BYTES, vnet = 0, gro = 0;
  if (argc >= 4) {
    napi_valuetype t3;
    CHECK(env, napi_typeof(env, argv[3], &t3));
    if (t3 == napi_object) {
      if (get_uint_option(env, argv[3], "maxBatch", &batch) < 0 || get_uint_option(env, argv[3], "bufferSize", &bufsize) < 0 ||
          get_uint_option(env, argv[3], "queuePackets", &qpk) < 0 || get_uint_option(env, argv[3], "queueBytes", &qby) < 0 ||
          get_uint_option(env, argv[3], "vnetHdr", &vnet) < 0 || get_uint_option(env, argv[3], "gro", &gro) < 0) {
        napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "PacketFd options must be positive integers");
        return NULL;
      }
    }
  }
  if (batch > MAX_BATCH) batch = MAX_BATCH;
  if (bufsize < MAX_PACKET) bufsize = MAX_PACKET;
  /* Room for a super-packet cut into segments (each with its own headers) and then some. */
  if (vnet && bufsize < 4 * MAX_PACKET) bufsize = 4 * MAX_PACKET;
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
  d->vnet = vnet != 0;
  d->gro = gro != 0;
  d->rxbuf = (uint8_t *)malloc(bufsize);
  if (d->vnet) {
    d->scratch = (uint8_t *)malloc(SCRATCH_SIZE);
    d->txbuf = (uint8_t *)malloc(VNET_HDR_LEN + MAX_PACKET + 64);
  }
  if (d->rxbuf == NULL || (d->vnet && (d->scratch == NULL || d->txbuf == NULL))) {
    free(d->rxbuf);
    free(d->scratch);
    free(d->txbuf);
    free(d);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    free(d->rxbuf);
    free(d->scratch);
    free(d->txbuf);
    free(d);
    napi_throw_error(env, "ERR_SYNACK_NATIVE", "no event loop");
    return NULL;
  }
  int r = uv_poll_init(loop, &d->poll, fd);
  if (r < 0) {
    free(d->rxbuf);
    free(d->scratch);
    free(d->txbuf);
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
  int32_t result = d->closed ? -3 : send_one(d, (const uint8_t *)data, length);
  napi_value out;
  CHECK(env, napi_create_int32(env, result, &out));
  return out;
}

/* writeMany(packets: Uint8Array[]) -> how many were not taken (dropped or refused), -3 closed. In
   offload mode runs of one flow's segments go out as TSO super-packets (merge_run). */
static napi_value js_write_many(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  packet_fd *d = unwrap(env, info, &argc, argv);
  if (d == NULL) return NULL;
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeMany(packets: Uint8Array[])");
    return NULL;
  }
  uint32_t n = 0;
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  napi_value out;
  if (d->closed) {
    CHECK(env, napi_create_int32(env, -3, &out));
    return out;
  }
  span_t stack_items[64];
  span_t *items = n <= 64 ? stack_items : (span_t *)malloc(sizeof(span_t) * n);
  if (items == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    bool is_ta = false;
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    if (napi_get_element(env, argv[0], i, &el) != napi_ok || napi_is_typedarray(env, el, &is_ta) != napi_ok || !is_ta ||
        napi_get_typedarray_info(env, el, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
      if (items != stack_items) free(items);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeMany(packets: Uint8Array[])");
      return NULL;
    }
    items[i].data = (const uint8_t *)data;
    items[i].len = length;
  }
  int32_t lost = 0;
  for (size_t i = 0; i < n && !d->closed;) {
    size_t k = 1;
    uint32_t gso = 0;
    if (d->vnet) k = merge_run(items, i, n, &gso);
    int r;
    if (k >= 2) {
      size_t len = build_super(d, items, i, k, gso);
      r = send_raw(d, d->txbuf, len);
      if (r >= 0) {
        d->st.tx_super += 1;
        d->st.tx_merged += (double)k;
      }
    } else {
      r = send_one(d, items[i].data, items[i].len);
    }
    if (r < 0) lost += (int32_t)k;
    i += k;
  }
  if (items != stack_items) free(items);
  CHECK(env, napi_create_int32(env, lost, &out));
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
  set_num(env, o, "rxSuper", d->st.rx_super);
  set_num(env, o, "rxSplit", d->st.rx_split);
  set_num(env, o, "rxBad", d->st.rx_bad);
  set_num(env, o, "txSuper", d->st.tx_super);
  set_num(env, o, "txMerged", d->st.tx_merged);
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
    {"writeMany", NULL, js_write_many, NULL, NULL, NULL, napi_default_method, NULL},
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

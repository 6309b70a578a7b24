/* A scriptable libenet 1.3.17 peer for the interop tests, driven by line commands on stdin and
 * reporting events as lines on stdout (one line per command answer or event, flushed at once).
 * Second mode `rc`: calls enet_range_coder_compress/decompress and enet_crc32 on hex inputs.
 * Built by test/interop/support/harness.ts: gcc -O2 enet-harness.c -lenet. Loopback only. */
#include <enet/enet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES (4 * 1024 * 1024)

static ENetHost *host = NULL;
static char *inbuf;
static size_t inlen = 0;
static int quitting = 0;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void out(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex into a new buffer; "-" is the empty string. Returns length or -1. */
static long unhex(const char *s, uint8_t **res) {
  size_t n = strlen(s);
  if (strcmp(s, "-") == 0) n = 0;
  if (n % 2) return -1;
  uint8_t *b = malloc(n / 2 + 1);
  for (size_t i = 0; i < n / 2; i++) {
    int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
    if (h < 0 || l < 0) { free(b); return -1; }
    b[i] = (uint8_t)(h * 16 + l);
  }
  *res = b;
  return (long)(n / 2);
}

static void puthex(const uint8_t *b, size_t n) {
  static const char d[] = "0123456789abcdef";
  if (n == 0) { fputc('-', stdout); return; }
  for (size_t i = 0; i < n; i++) { fputc(d[b[i] >> 4], stdout); fputc(d[b[i] & 15], stdout); }
}

/* The payload pattern shared with support/pattern.ts: seed 0 = repeating a..z (compressible),
 * otherwise xorshift32 bytes seeded from the seed (incompressible). */
static void fill(uint8_t *b, size_t n, uint32_t seed) {
  if (seed == 0) {
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)('a' + i % 26);
    return;
  }
  uint32_t x = seed * 2654435761u;
  if (x == 0) x = 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    b[i] = (uint8_t)(x >> 24);
  }
}

static uint32_t crc_of(const uint8_t *b, size_t n) {
  ENetBuffer buf;
  buf.data = (void *)b;
  buf.dataLength = n;
  /* enet_crc32 returns the CRC already in network byte order (spec §2.2). */
  return ENET_NET_TO_HOST_32(enet_crc32(&buf, 1));
}

static ENetPeer *peer_at(long id) {
  if (host == NULL || id < 0 || (size_t)id >= host->peerCount) return NULL;
  return &host->peers[id];
}

static void report_event(const ENetEvent *ev) {
  char ip[64];
  switch (ev->type) {
  case ENET_EVENT_TYPE_CONNECT:
    enet_address_get_host_ip(&ev->peer->address, ip, sizeof ip);
    out("connect %ld %u %s %u", (long)(ev->peer - host->peers), ev->data, ip, ev->peer->address.port);
    break;
  case ENET_EVENT_TYPE_DISCONNECT:
    out("disconnect %ld %u", (long)(ev->peer - host->peers), ev->data);
    break;
  case ENET_EVENT_TYPE_RECEIVE: {
    size_t n = ev->packet->dataLength;
    printf("recv %ld %u %u %zu %08x ", (long)(ev->peer - host->peers), ev->channelID, ev->packet->flags, n,
           crc_of(ev->packet->data, n));
    puthex(ev->packet->data, n < 64 ? n : 64);
    out("%s", "");
    enet_packet_destroy(ev->packet);
    break;
  }
  default:
    break;
  }
}

/* rc mode: "c <limit> <hex>" / "d <limit> <hex>" / "crc <hex>" -> hex result or "-" for 0. */
static int run_rc(void) {
  void *rc = enet_range_coder_create();
  char *line = malloc(LINE_MAX_BYTES);
  uint8_t *dst = malloc(LINE_MAX_BYTES);
  while (fgets(line, LINE_MAX_BYTES, stdin)) {
    line[strcspn(line, "\r\n")] = 0;
    char op[8];
    unsigned long limit = 0;
    int off = 0;
    uint8_t *src = NULL;
    if (strncmp(line, "crc ", 4) == 0) {
      long n = unhex(line + 4, &src);
      if (n < 0) { out("error bad hex"); continue; }
      out("%08x", crc_of(src, (size_t)n));
      free(src);
      continue;
    }
    if (sscanf(line, "%7s %lu %n", op, &limit, &off) != 2 || limit > LINE_MAX_BYTES) { out("error bad line"); continue; }
    long n = unhex(line + off, &src);
    if (n < 0) { out("error bad hex"); continue; }
    size_t r = 0;
    if (strcmp(op, "c") == 0) {
      ENetBuffer buf;
      buf.data = src;
      buf.dataLength = (size_t)n;
      r = enet_range_coder_compress(rc, &buf, 1, (size_t)n, dst, limit);
    } else if (strcmp(op, "d") == 0) {
      r = enet_range_coder_decompress(rc, src, (size_t)n, dst, limit);
    } else {
      free(src);
      out("error bad op");
      continue;
    }
    puthex(dst, r);
    out("%s", "");
    free(src);
  }
  enet_range_coder_destroy(rc);
  return 0;
}

static int parse_addr(const char *ip, unsigned port, ENetAddress *a) {
  a->port = (enet_uint16)port;
  if (strcmp(ip, "*") == 0) { a->host = ENET_HOST_ANY; return 0; }
  return enet_address_set_host_ip(a, ip);
}

static void command(char *line) {
  char cmd[32] = {0};
  char ip[64];
  unsigned long a = 0, b = 0, c = 0, d = 0, e = 0;
  long id = 0;
  int off = 0;
  if (sscanf(line, "%31s %n", cmd, &off) < 1) return;
  char *rest = line + off;
  ENetPeer *p;

  if (strcmp(cmd, "host") == 0) {
    /* host <ip|*|-> <port> <peers> <channels> <inBandwidth> <outBandwidth> */
    if (sscanf(rest, "%63s %lu %lu %lu %lu %lu", ip, &a, &b, &c, &d, &e) != 6) { out("error usage host"); return; }
    ENetAddress addr;
    if (strcmp(ip, "-") == 0) {
      host = enet_host_create(NULL, b, c, (enet_uint32)d, (enet_uint32)e);
    } else {
      if (parse_addr(ip, (unsigned)a, &addr) != 0) { out("error bad address"); return; }
      host = enet_host_create(&addr, b, c, (enet_uint32)d, (enet_uint32)e);
    }
    if (host == NULL) { out("error host_create failed"); return; }
    ENetAddress bound;
    enet_socket_get_address(host->socket, &bound);
    out("host %u", bound.port);
  } else if (host == NULL && strcmp(cmd, "quit") != 0 && strcmp(cmd, "sync") != 0) {
    out("error no host");
  } else if (strcmp(cmd, "compress") == 0) {
    if (strtoul(rest, NULL, 10)) enet_host_compress_with_range_coder(host);
    else enet_host_compress(host, NULL);
    out("ok compress");
  } else if (strcmp(cmd, "checksum") == 0) {
    host->checksum = strtoul(rest, NULL, 10) ? enet_crc32 : NULL;
    out("ok checksum");
  } else if (strcmp(cmd, "connect") == 0) {
    /* connect <ip> <port> <channels> <data> */
    if (sscanf(rest, "%63s %lu %lu %lu", ip, &a, &b, &c) != 4) { out("error usage connect"); return; }
    ENetAddress addr;
    if (parse_addr(ip, (unsigned)a, &addr) != 0) { out("error bad address"); return; }
    p = enet_host_connect(host, &addr, b, (enet_uint32)c);
    if (p == NULL) { out("error connect failed"); return; }
    out("peer %ld", (long)(p - host->peers));
  } else if (strcmp(cmd, "send") == 0 || strcmp(cmd, "sendn") == 0) {
    /* send <peer> <channel> <flags> <size> <seed>; sendn ... <count>: seeds seed..seed+count-1 */
    unsigned long count = 1;
    int k = sscanf(rest, "%ld %lu %lu %lu %lu %lu", &id, &a, &b, &c, &d, &count);
    if (k < 5 || (p = peer_at(id)) == NULL) { out("error usage send"); return; }
    for (unsigned long i = 0; i < count; i++) {
      ENetPacket *pk = enet_packet_create(NULL, c, (enet_uint32)b);
      fill(pk->data, c, (enet_uint32)(d + i));
      if (enet_peer_send(p, (enet_uint8)a, pk) != 0) {
        enet_packet_destroy(pk);
        out("error send failed");
        return;
      }
    }
    out("ok send");
  } else if (strcmp(cmd, "sendhex") == 0) {
    /* sendhex <peer> <channel> <flags> <hex> */
    if (sscanf(rest, "%ld %lu %lu %n", &id, &a, &b, &off) != 3 || (p = peer_at(id)) == NULL) { out("error usage sendhex"); return; }
    uint8_t *data = NULL;
    long n = unhex(rest + off, &data);
    if (n < 0) { out("error bad hex"); return; }
    ENetPacket *pk = enet_packet_create(data, (size_t)n, (enet_uint32)b);
    free(data);
    if (enet_peer_send(p, (enet_uint8)a, pk) != 0) { enet_packet_destroy(pk); out("error send failed"); return; }
    out("ok sendhex");
  } else if (strcmp(cmd, "broadcast") == 0) {
    /* broadcast <channel> <flags> <size> <seed> */
    if (sscanf(rest, "%lu %lu %lu %lu", &a, &b, &c, &d) != 4) { out("error usage broadcast"); return; }
    ENetPacket *pk = enet_packet_create(NULL, c, (enet_uint32)b);
    fill(pk->data, c, (enet_uint32)d);
    enet_host_broadcast(host, (enet_uint8)a, pk);
    out("ok broadcast");
  } else if (strcmp(cmd, "disconnect") == 0 || strcmp(cmd, "disconnect_later") == 0 || strcmp(cmd, "disconnect_now") == 0) {
    if (sscanf(rest, "%ld %lu", &id, &a) != 2 || (p = peer_at(id)) == NULL) { out("error usage disconnect"); return; }
    if (strcmp(cmd, "disconnect") == 0) enet_peer_disconnect(p, (enet_uint32)a);
    else if (strcmp(cmd, "disconnect_later") == 0) enet_peer_disconnect_later(p, (enet_uint32)a);
    else enet_peer_disconnect_now(p, (enet_uint32)a);
    out("ok %s", cmd);
  } else if (strcmp(cmd, "timeout") == 0) {
    if (sscanf(rest, "%ld %lu %lu %lu", &id, &a, &b, &c) != 4 || (p = peer_at(id)) == NULL) { out("error usage timeout"); return; }
    enet_peer_timeout(p, (enet_uint32)a, (enet_uint32)b, (enet_uint32)c);
    out("ok timeout");
  } else if (strcmp(cmd, "ping_interval") == 0) {
    if (sscanf(rest, "%ld %lu", &id, &a) != 2 || (p = peer_at(id)) == NULL) { out("error usage ping_interval"); return; }
    enet_peer_ping_interval(p, (enet_uint32)a);
    out("ok ping_interval");
  } else if (strcmp(cmd, "throttle") == 0) {
    if (sscanf(rest, "%ld %lu %lu %lu", &id, &a, &b, &c) != 4 || (p = peer_at(id)) == NULL) { out("error usage throttle"); return; }
    enet_peer_throttle_configure(p, (enet_uint32)a, (enet_uint32)b, (enet_uint32)c);
    out("ok throttle");
  } else if (strcmp(cmd, "bandwidth") == 0) {
    if (sscanf(rest, "%lu %lu", &a, &b) != 2) { out("error usage bandwidth"); return; }
    enet_host_bandwidth_limit(host, (enet_uint32)a, (enet_uint32)b);
    out("ok bandwidth");
  } else if (strcmp(cmd, "flush") == 0) {
    enet_host_flush(host);
    out("ok flush");
  } else if (strcmp(cmd, "stats") == 0) {
    out("stats sentData=%u sentPackets=%u receivedData=%u receivedPackets=%u connectedPeers=%zu", host->totalSentData,
        host->totalSentPackets, host->totalReceivedData, host->totalReceivedPackets, host->connectedPeers);
  } else if (strcmp(cmd, "peerstats") == 0) {
    if (sscanf(rest, "%ld", &id) != 1 || (p = peer_at(id)) == NULL) { out("error usage peerstats"); return; }
    out("peerstats %ld state=%d rtt=%u rttVariance=%u packetLoss=%u packetLossVariance=%u packetsSent=%u packetsLost=%u "
        "packetThrottle=%u packetThrottleLimit=%u incomingBandwidth=%u outgoingBandwidth=%u windowSize=%u mtu=%u "
        "incomingDataTotal=%u outgoingDataTotal=%u channels=%zu lastRoundTripTime=%u lastRoundTripTimeVariance=%u "
        "packetLossEpoch=%u packetThrottleCounter=%u packetThrottleEpoch=%u packetThrottleAcceleration=%u "
        "packetThrottleDeceleration=%u packetThrottleInterval=%u reliableDataInTransit=%u",
        id, (int)p->state, p->roundTripTime, p->roundTripTimeVariance, p->packetLoss, p->packetLossVariance, p->packetsSent,
        p->packetsLost, p->packetThrottle, p->packetThrottleLimit, p->incomingBandwidth, p->outgoingBandwidth, p->windowSize,
        p->mtu, p->incomingDataTotal, p->outgoingDataTotal, p->channelCount, p->lastRoundTripTime, p->lastRoundTripTimeVariance,
        p->packetLossEpoch, p->packetThrottleCounter, p->packetThrottleEpoch, p->packetThrottleAcceleration,
        p->packetThrottleDeceleration, p->packetThrottleInterval, p->reliableDataInTransit);
  } else if (strcmp(cmd, "sync") == 0) {
    out("sync %s", rest);
  } else if (strcmp(cmd, "quit") == 0) {
    quitting = 1;
  } else {
    out("error unknown command %s", cmd);
  }
}

/* Splits complete lines off the stdin buffer and runs them. */
static void drain_lines(void) {
  size_t start = 0;
  for (size_t i = 0; i < inlen; i++) {
    if (inbuf[i] == '\n') {
      inbuf[i] = 0;
      if (i > start && inbuf[i - 1] == '\r') inbuf[i - 1] = 0;
      command(inbuf + start);
      start = i + 1;
      if (quitting) return;
    }
  }
  memmove(inbuf, inbuf + start, inlen - start);
  inlen -= start;
}

int main(int argc, char **argv) {
  if (enet_initialize() != 0) { out("error enet_initialize failed"); return 1; }
  if (argc > 1 && strcmp(argv[1], "rc") == 0) return run_rc();
  inbuf = malloc(LINE_MAX_BYTES);
  out("ready %d", (int)getpid());
  while (!quitting) {
    struct pollfd fds[2];
    int nfds = 1;
    fds[0].fd = 0;
    fds[0].events = POLLIN;
    if (host) {
      fds[1].fd = host->socket;
      fds[1].events = POLLIN;
      nfds = 2;
    }
    /* Wake at least every 2 ms so libenet's timers (pings, retransmits) run on time. */
    int r = poll(fds, nfds, 2);
    if (r < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      if (inlen >= LINE_MAX_BYTES - 1) { out("error line too long"); inlen = 0; }
      ssize_t n = read(0, inbuf + inlen, LINE_MAX_BYTES - 1 - inlen);
      if (n <= 0) break; /* stdin closed: the test is gone, so are we */
      inlen += (size_t)n;
      drain_lines();
    }
    if (host) {
      ENetEvent ev;
      int guard = 0;
      int s;
      /* Bounded per wake-up so stdin commands are never starved. */
      while (guard++ < 10000 && (s = enet_host_service(host, &ev, 0)) != 0) {
        if (s < 0) { out("error service failed"); break; }
        report_event(&ev);
      }
    }
  }
  if (host) {
    enet_host_flush(host);
    enet_host_destroy(host);
  }
  enet_deinitialize();
  return 0;
}

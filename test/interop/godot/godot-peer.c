/* A libenet 1.3.x peer that behaves like Godot 4's ENetMultiplayerPeer on the wire
 * (docs/specs/godot-enet.md §2): the client's id is the CONNECT data, the server is id 1 and
 * resets CONNECTs with id < 2 or a duplicate id, packets go on channel 0 (reliable), 1
 * (unreliable / unreliable-ordered) or k+1 (transfer channel k) with Godot's flags, no header.
 *
 * Usage:  godot-peer server <port> [echo]     godot-peer client <port> <id>
 * stdin:  send <to> <mode> <tchannel> <hex|-|big:N>   (to: 0 all, >0 one, <0 all but)
 *         disconnect <id>     quit
 * stdout: ready <port> | connect <id> | reject <data> | recv <from> <enet-ch> <flags> <len> <hex>
 *         | disconnect <id> | error <what>
 * Loopback only (127.0.0.1); exits on quit, stdin EOF, or after MAX_LIFETIME_MS. Compiled by
 * godot-harness.ts with gcc ... -lenet. Written for meshpunch, not copied from Godot. */
#include <enet/enet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PEERS 32
#define MAX_LIFETIME_MS 60000 /* a test never needs longer; bounds a leaked process */
#define HEX_PRINT_LIMIT 64    /* longer payloads print their length and first bytes only */

static ENetHost *host;
static ENetPeer *peers[MAX_PEERS];
static uint32_t ids[MAX_PEERS];
static int is_server;
static int echo;

static void out(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

static int slot_of(ENetPeer *p) {
  for (int i = 0; i < MAX_PEERS; i++) if (peers[i] == p) return i;
  return -1;
}
static int slot_of_id(uint32_t id) {
  for (int i = 0; i < MAX_PEERS; i++) if (peers[i] && ids[i] == id) return i;
  return -1;
}

/* Godot 4 put_packet mapping (spec §2.7). mode: 0 UNRELIABLE, 1 UNRELIABLE_ORDERED, 2 RELIABLE. */
static void godot_channel_flags(int mode, int tchannel, int *channel, int *flags) {
  if (mode == 2) { *channel = 0; *flags = ENET_PACKET_FLAG_RELIABLE; }
  else if (mode == 1) { *channel = 1; *flags = ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT; }
  else { *channel = 1; *flags = ENET_PACKET_FLAG_UNSEQUENCED | ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT; }
  if (tchannel > 0) *channel = tchannel + 1;
}
/* Godot 4 get_packet_mode / get_packet_channel (spec §2.7). */
static int godot_mode_of(int flags) {
  if (flags & ENET_PACKET_FLAG_RELIABLE) return 2;
  if (flags & ENET_PACKET_FLAG_UNSEQUENCED) return 0;
  return 1;
}

static void godot_send(long to, int mode, int tchannel, const uint8_t *data, size_t len) {
  int channel, flags;
  godot_channel_flags(mode, tchannel, &channel, &flags);
  for (int i = 0; i < MAX_PEERS; i++) {
    if (!peers[i]) continue;
    if (to > 0 && ids[i] != (uint32_t)to) continue;
    if (to < 0 && ids[i] == (uint32_t)(-to)) continue;
    ENetPacket *p = enet_packet_create(data, len, (enet_uint32)flags);
    if (enet_peer_send(peers[i], (enet_uint8)channel, p) < 0) { enet_packet_destroy(p); out("error send-refused %u", ids[i]); }
  }
  enet_host_flush(host);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void command(char *line) {
  char *argv[8];
  int argc = 0;
  for (char *t = strtok(line, " \t\r\n"); t && argc < 8; t = strtok(NULL, " \t\r\n")) argv[argc++] = t;
  if (argc == 0) return;
  if (strcmp(argv[0], "quit") == 0) {
    for (int i = 0; i < MAX_PEERS; i++) if (peers[i]) enet_peer_disconnect_now(peers[i], 0);
    enet_host_flush(host);
    exit(0);
  }
  if (strcmp(argv[0], "disconnect") == 0 && argc == 2) {
    int s = slot_of_id((uint32_t)strtoul(argv[1], NULL, 10));
    if (s >= 0) { enet_peer_disconnect(peers[s], 0); enet_host_flush(host); }
    else out("error unknown-peer %s", argv[1]);
    return;
  }
  if (strcmp(argv[0], "send") == 0 && argc == 5) {
    long to = strtol(argv[1], NULL, 10);
    int mode = atoi(argv[2]), tch = atoi(argv[3]);
    size_t len;
    uint8_t *buf;
    if (strncmp(argv[4], "big:", 4) == 0) {
      len = strtoul(argv[4] + 4, NULL, 10);
      buf = malloc(len ? len : 1);
      for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 7 + 3);
    } else if (strcmp(argv[4], "-") == 0) {
      len = 0;
      buf = malloc(1);
    } else {
      len = strlen(argv[4]) / 2;
      buf = malloc(len ? len : 1);
      for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(hexval(argv[4][2 * i]) * 16 + hexval(argv[4][2 * i + 1]));
    }
    godot_send(to, mode, tch, buf, len);
    free(buf);
    return;
  }
  out("error bad-command %s", argv[0]);
}

static void on_event(ENetEvent *ev) {
  if (ev->type == ENET_EVENT_TYPE_CONNECT) {
    if (!is_server) { out("connect 1"); return; }
    uint32_t id = ev->data;
    int free_slot = slot_of(NULL);
    /* Godot's server-side validation (spec §2.5): unsigned id < 2 or duplicate -> silent reset. */
    if (id < 2 || slot_of_id(id) >= 0 || free_slot < 0) {
      out("reject %u", id);
      enet_peer_reset(ev->peer);
      return;
    }
    peers[free_slot] = ev->peer;
    ids[free_slot] = id;
    out("connect %u", id);
  } else if (ev->type == ENET_EVENT_TYPE_DISCONNECT) {
    int s = slot_of(ev->peer);
    if (s < 0) return;
    out("disconnect %u", ids[s]);
    peers[s] = NULL;
    ids[s] = 0;
  } else if (ev->type == ENET_EVENT_TYPE_RECEIVE) {
    int s = slot_of(ev->peer);
    ENetPacket *p = ev->packet;
    if (s >= 0) {
      char hex[2 * HEX_PRINT_LIMIT + 1];
      size_t n = p->dataLength < HEX_PRINT_LIMIT ? p->dataLength : HEX_PRINT_LIMIT;
      for (size_t i = 0; i < n; i++) sprintf(hex + 2 * i, "%02x", p->data[i]);
      hex[2 * n] = 0;
      out("recv %u %u %u %zu %s", ids[s], ev->channelID, p->flags, p->dataLength, n ? hex : "-");
      if (echo) {
        /* Reply the way a Godot server script would: same mode and transfer channel. */
        int mode = godot_mode_of((int)p->flags);
        int tch = ev->channelID >= 2 ? ev->channelID - 1 : 0;
        uint8_t *r = malloc(p->dataLength + 5);
        memcpy(r, "echo:", 5);
        memcpy(r + 5, p->data, p->dataLength);
        godot_send((long)ids[s], mode, tch, r, p->dataLength + 5);
        free(r);
      }
    }
    enet_packet_destroy(p);
  }
}

int main(int argc, char **argv) {
  if (argc < 3 || enet_initialize() != 0) { fprintf(stderr, "usage: godot-peer server <port> [echo] | client <port> <id>\n"); return 2; }
  is_server = strcmp(argv[1], "server") == 0;
  ENetAddress addr;
  enet_address_set_host_ip(&addr, "127.0.0.1");
  addr.port = (enet_uint16)atoi(argv[2]);
  if (is_server) {
    echo = argc > 3 && strcmp(argv[3], "echo") == 0;
    host = enet_host_create(&addr, MAX_PEERS, 0, 0, 0); /* 0 channels = 255, as Godot */
    if (!host) { out("error host"); return 1; }
    ENetAddress bound;
    enet_socket_get_address(host->socket, &bound);
    out("ready %u", bound.port);
  } else {
    if (argc < 4) return 2;
    host = enet_host_create(NULL, 1, 0, 0, 0);
    if (!host) { out("error host"); return 1; }
    /* Godot create_client: 0 channels (-> 255), CONNECT data = our unique id (spec §2.4). */
    peers[0] = enet_host_connect(host, &addr, 255, (enet_uint32)strtoul(argv[3], NULL, 10));
    ids[0] = 1;
    if (!peers[0]) { out("error connect"); return 1; }
    out("ready 0");
  }
  char line[1 << 16];
  size_t used = 0;
  enet_uint32 start = enet_time_get();
  while (enet_time_get() - start < MAX_LIFETIME_MS) {
    struct pollfd pfd = { 0, POLLIN, 0 };
    if (poll(&pfd, 1, 1) > 0) {
      ssize_t r = read(0, line + used, sizeof line - 1 - used);
      if (r <= 0) break;
      used += (size_t)r;
      line[used] = 0;
      char *nl;
      while ((nl = strchr(line, '\n')) != NULL) {
        *nl = 0;
        command(line);
        size_t rest = used - (size_t)(nl + 1 - line);
        memmove(line, nl + 1, rest);
        used = rest;
        line[used] = 0;
      }
      if (used == sizeof line - 1) used = 0; /* overlong line: drop it */
    }
    ENetEvent ev;
    while (enet_host_service(host, &ev, 1) > 0) on_event(&ev);
  }
  enet_host_destroy(host);
  return 0;
}

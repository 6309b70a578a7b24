/* libenet 1.3.17 side of `npm run bench:enet`: one process drives a server and a client host on
 * 127.0.0.1, polling both with enet_host_service(…, 0) (docs/benchmarks.md).
 *   throughput <size> <count> <inflight>  → {"packets":N,"seconds":S}
 *   pingpong <count> <size>               → {"rttsUs":[…]}  (one RTT per round trip, µs)
 * Built by bench/enet/main.ts with gcc -O2 … -lenet. Loopback only. */
#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Gives up after this long so a broken run can never hang the bench. */
#define WALL_LIMIT_S 120.0

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ENetHost *server, *client;
static ENetPeer *to_server, *to_client;

static void fail(const char *why) {
  fprintf(stderr, "libenet-bench: %s\n", why);
  exit(1);
}

static void setup(void) {
  ENetAddress addr;
  enet_address_set_host_ip(&addr, "127.0.0.1");
  addr.port = 0;
  server = enet_host_create(&addr, 4, 2, 0, 0);
  client = enet_host_create(NULL, 1, 2, 0, 0);
  if (!server || !client) fail("host_create failed");
  ENetAddress bound;
  enet_socket_get_address(server->socket, &bound);
  bound.host = addr.host;
  to_server = enet_host_connect(client, &bound, 2, 0);
  int connected = 0;
  double t0 = now_s();
  while (connected < 2) {
    ENetEvent ev;
    while (enet_host_service(client, &ev, 0) > 0)
      if (ev.type == ENET_EVENT_TYPE_CONNECT) connected++;
    while (enet_host_service(server, &ev, 0) > 0)
      if (ev.type == ENET_EVENT_TYPE_CONNECT) { connected++; to_client = ev.peer; }
    if (now_s() - t0 > 5) fail("connect timed out");
  }
}

static void throughput(size_t size, long count, long inflight) {
  unsigned char *payload = calloc(1, size);
  long sent = 0, received = 0;
  double t0 = now_s();
  while (received < count) {
    while (sent < count && sent - received < inflight) {
      ENetPacket *p = enet_packet_create(payload, size, ENET_PACKET_FLAG_RELIABLE);
      enet_peer_send(to_server, 0, p);
      sent++;
    }
    ENetEvent ev;
    while (enet_host_service(client, &ev, 0) > 0)
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
    while (enet_host_service(server, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
        received++;
        enet_packet_destroy(ev.packet);
      } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) fail("disconnected during throughput");
    }
    if (now_s() - t0 > WALL_LIMIT_S) fail("throughput run exceeded the wall limit");
  }
  printf("{\"packets\":%ld,\"seconds\":%.6f}\n", received, now_s() - t0);
  free(payload);
}

static void pingpong(long count, size_t size) {
  unsigned char *payload = calloc(1, size);
  double *rtts = malloc(sizeof(double) * (size_t)count);
  double tlimit = now_s();
  for (long i = 0; i < count; i++) {
    double t0 = now_s();
    enet_peer_send(to_server, 0, enet_packet_create(payload, size, ENET_PACKET_FLAG_RELIABLE));
    int got = 0;
    while (!got) {
      ENetEvent ev;
      while (enet_host_service(client, &ev, 0) > 0)
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) { got = 1; enet_packet_destroy(ev.packet); }
      while (enet_host_service(server, &ev, 0) > 0)
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
          enet_peer_send(to_client, 0, enet_packet_create(ev.packet->data, ev.packet->dataLength, ENET_PACKET_FLAG_RELIABLE));
          enet_packet_destroy(ev.packet);
        }
      if (now_s() - tlimit > WALL_LIMIT_S) fail("ping-pong run exceeded the wall limit");
    }
    rtts[i] = (now_s() - t0) * 1e6;
  }
  printf("{\"rttsUs\":[");
  for (long i = 0; i < count; i++) printf(i ? ",%.3f" : "%.3f", rtts[i]);
  printf("]}\n");
  free(rtts);
  free(payload);
}

int main(int argc, char **argv) {
  if (enet_initialize() != 0) fail("enet_initialize failed");
  setup();
  if (argc == 5 && strcmp(argv[1], "throughput") == 0) throughput(strtoul(argv[2], NULL, 10), atol(argv[3]), atol(argv[4]));
  else if (argc == 4 && strcmp(argv[1], "pingpong") == 0) pingpong(atol(argv[2]), strtoul(argv[3], NULL, 10));
  else fail("usage: throughput <size> <count> <inflight> | pingpong <count> <size>");
  enet_host_destroy(client);
  enet_host_destroy(server);
  enet_deinitialize();
  return 0;
}

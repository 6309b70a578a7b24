/*
 * nfq-delay: the NAT lab's delay / jitter / reordering / loss helper (this kernel has no netem,
 * docs/specs/natlab.md §2 and §4). It reads one NFQUEUE, drops loss% of the packets, holds the rest
 * for delay ± jitter ms and then accepts them; jitter larger than the packet spacing reorders.
 * Only the verdict is delayed (copy mode META), so no payload is copied or held in user space.
 *
 * usage: nfq-delay <queue-num> <delay-ms> <jitter-ms> <loss-pct> [seed]
 * Prints "ready" once bound; on SIGTERM/SIGINT accepts everything still held and prints
 * "stats in=N dropped=N overflow=N" before exiting.
 * Build: gcc -O2 -Wall -o nfq-delay nfq-delay.c -lnetfilter_queue -lnfnetlink
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* At most this many packets are held; past it packets pass undelayed (counted as overflow).
 * 4096 covers 50 ms of delay at ~80k packets/s, far above what the lab's tests send. */
#define MAX_HELD 4096

struct held {
  uint64_t due_us;
  uint32_t id;
};

static struct held heap[MAX_HELD];
static int nheld;
static volatile sig_atomic_t stopping;
static unsigned delay_ms, jitter_ms, loss_pct, seed;
static unsigned long long n_in, n_drop, n_overflow;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000u;
}

static void heap_push(uint64_t due, uint32_t id) {
  int i = nheld++;
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (heap[parent].due_us <= due) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i].due_us = due;
  heap[i].id = id;
}

static struct held heap_pop(void) {
  struct held top = heap[0];
  struct held last = heap[--nheld];
  int i = 0;
  for (;;) {
    int child = 2 * i + 1;
    if (child >= nheld) break;
    if (child + 1 < nheld && heap[child + 1].due_us < heap[child].due_us) child++;
    if (last.due_us <= heap[child].due_us) break;
    heap[i] = heap[child];
    i = child;
  }
  if (nheld > 0) heap[i] = last;
  return top;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == NULL) return 0;
  uint32_t id = ntohl(ph->packet_id);
  n_in++;
  if (loss_pct > 0 && (unsigned)(rand_r(&seed) % 100) < loss_pct) {
    n_drop++;
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  int64_t d = (int64_t)delay_ms * 1000;
  if (jitter_ms > 0) {
    int64_t span = 2 * (int64_t)jitter_ms * 1000 + 1;
    d += (int64_t)(rand_r(&seed) % span) - (int64_t)jitter_ms * 1000;
  }
  if (d < 0) d = 0;
  if (nheld >= MAX_HELD) {
    n_overflow++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  heap_push(now_us() + (uint64_t)d, id);
  return 0;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: nfq-delay <queue-num> <delay-ms> <jitter-ms> <loss-pct> [seed]\n");
    return 2;
  }
  unsigned qnum = (unsigned)strtoul(argv[1], NULL, 10);
  delay_ms = (unsigned)strtoul(argv[2], NULL, 10);
  jitter_ms = (unsigned)strtoul(argv[3], NULL, 10);
  loss_pct = (unsigned)strtoul(argv[4], NULL, 10);
  seed = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 1u;
  if (jitter_ms > delay_ms) jitter_ms = delay_ms;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct nfq_handle *h = nfq_open();
  if (h == NULL) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)qnum, on_packet, NULL);
  if (qh == NULL) {
    perror("nfq_create_queue");
    nfq_close(h);
    return 1;
  }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) perror("nfq_set_mode");
  nfq_set_queue_maxlen(qh, MAX_HELD);
  int fd = nfq_fd(h);
  printf("ready queue=%u delay=%u jitter=%u loss=%u\n", qnum, delay_ms, jitter_ms, loss_pct);
  fflush(stdout);

  static char buf[65536];
  while (!stopping) {
    uint64_t now = now_us();
    while (nheld > 0 && heap[0].due_us <= now) {
      struct held p = heap_pop();
      nfq_set_verdict(qh, p.id, NF_ACCEPT, 0, NULL);
    }
    struct timespec ts = {1, 0};
    if (nheld > 0) {
      uint64_t wait = heap[0].due_us > now ? heap[0].due_us - now : 0;
      ts.tv_sec = (time_t)(wait / 1000000u);
      ts.tv_nsec = (long)(wait % 1000000u) * 1000;
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = ppoll(&pfd, 1, &ts, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("ppoll");
      break;
    }
    if (r > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) nfq_handle_packet(h, buf, (int)n);
      /* ENOBUFS = the kernel dropped queue messages; the packets fail open (--queue-bypass). */
    }
  }
  while (nheld > 0) {
    struct held p = heap_pop();
    nfq_set_verdict(qh, p.id, NF_ACCEPT, 0, NULL);
  }
  printf("stats in=%llu dropped=%llu overflow=%llu\n", n_in, n_drop, n_overflow);
  fflush(stdout);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}

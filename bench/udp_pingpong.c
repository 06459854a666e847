// Baseline for the agent's one-client figures (docs/benchmarks.md, "Agent wake-ups"): the
// cheapest possible request-reply between two processes, a blocking UDP echo server and a
// client that sends one datagram and waits for the reply, N times, in plain C. It shows what
// a round trip costs on this machine when both ends run on one vCPU and when they run on two.
//
//   gcc -O2 -o /tmp/udp_pingpong bench/udp_pingpong.c
//   /tmp/udp_pingpong server 24500 &                      # unpinned
//   /tmp/udp_pingpong client 24500 50000 unpinned
//   taskset -c 0 /tmp/udp_pingpong server 24501 &
//   taskset -c 0 /tmp/udp_pingpong client 24501 50000 "one vCPU"
//   taskset -c 1 /tmp/udp_pingpong client 24501 50000 "two vCPUs"
//
// Loopback only (127.0.0.1). Not part of the build; Lars itself has no C.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "server") != 0 && (argc < 5 || atoi(argv[3]) < 1))) {
    fprintf(stderr, "usage: udp_pingpong server PORT | udp_pingpong client PORT COUNT LABEL\n");
    return 2;
  }
  int port = atoi(argv[2]);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(0x7f000001);
  char buf[64];
  if (!strcmp(argv[1], "server")) {
    bind(s, (struct sockaddr *)&a, sizeof a);
    for (;;) { struct sockaddr_in from; socklen_t fl = sizeof from; int n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl); if (n <= 0) break; sendto(s, buf, n, 0, (struct sockaddr *)&from, fl); }
  } else {
    int n = atoi(argv[3]); double *lat = malloc(n * sizeof(double));
    double t0 = now_us();
    for (int i = 0; i < n; i++) { double t = now_us(); sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof a); recv(s, buf, sizeof buf, 0); lat[i] = now_us() - t; }
    double el = now_us() - t0; qsort(lat, n, sizeof(double), cmp);
    printf("%s: %.0f loops/s, p50 %.1f us, p99 %.1f us\n", argv[4], n / el * 1e6, lat[n / 2], lat[n * 99 / 100]);
  }
  return 0;
}

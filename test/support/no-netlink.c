/*
 * Preloaded into the test suite's Chromium only. Chromium watches the host's interfaces over a
 * NETLINK_ROUTE socket and aborts every request in flight (ERR_NETWORK_CHANGED), WebSockets on
 * loopback included, whenever one appears or goes: on a Docker host that is every container start
 * and stop, so one test's launch used to break another test's page. Refusing that one socket makes
 * Chromium assume the network never changes; every other socket is left alone.
 *   gcc -shared -fPIC -O2 -o no-netlink.so no-netlink.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

typedef int (*socket_fn)(int, int, int);

int socket(int domain, int type, int protocol) {
  static socket_fn real;
  if (!real) real = (socket_fn)dlsym(RTLD_NEXT, "socket");
  if (domain == AF_NETLINK && protocol == NETLINK_ROUTE) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  return real(domain, type, protocol);
}

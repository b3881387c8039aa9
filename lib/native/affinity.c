/*
 * setAffinity(cpu): pin the whole process to one CPU (--cpu, spec §1.2).
 *
 * sched_setaffinity(2) changes one thread (pid 0 is the calling thread, not
 * the process), and Node already runs several: V8's platform workers, libuv's
 * pool (started lazily, on the first asynchronous file or DNS call) and any
 * thread an addon started. A new thread inherits its creator's mask, so once
 * every existing task is pinned, every later one is too. So: pin ourselves,
 * then every task in /proc/self/task, and look again until a pass finds none
 * left unpinned — a thread created during a pass by a task not yet pinned is
 * not missed.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include "native.h"

/* Each pass pins what the one before left; threads are not created in an endless stream at start-up. */
#define MAX_PASSES 16

/* The CPUs of `set` as a list ("0-3,6"), cut short if it does not fit in `out`. */
static void format_cpus(const cpu_set_t *set, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (int cpu = 0; cpu < CPU_SETSIZE && used < size; cpu++) {
    if (!CPU_ISSET(cpu, set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set)) last++;
    int n = last == cpu ? snprintf(out + used, size - used, "%s%d", used ? "," : "", cpu)
                        : snprintf(out + used, size - used, "%s%d-%d", used ? "," : "", cpu, last);
    if (n < 0) break;
    used += (size_t)n;
    cpu = last;
  }
}

/* One pass over /proc/self/task: *changed counts the tasks pinned now. 0, or an errno. */
static int pin_tasks(const cpu_set_t *target, int *changed) {
  *changed = 0;
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL) return errno;
  int err = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    char *end;
    long tid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || tid <= 0) continue; /* "." and ".." */
    cpu_set_t current;
    if (sched_getaffinity((pid_t)tid, sizeof current, &current) < 0) {
      if (errno == ESRCH) continue; /* the thread ended meanwhile */
      err = errno;
      break;
    }
    if (CPU_EQUAL(&current, target)) continue;
    if (sched_setaffinity((pid_t)tid, sizeof *target, target) < 0) {
      if (errno == ESRCH) continue;
      err = errno;
      break;
    }
    (*changed)++;
  }
  closedir(dir);
  return err;
}

static napi_value SetAffinity(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t cpu;
  if (get_args(env, info, argv, 1, 1, "setAffinity(cpu)") < 0) return NULL;
  /* CPUs the kernel was configured with (online or not): a larger number names no CPU of this machine. */
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  int64_t max = configured > 0 && configured < CPU_SETSIZE ? configured - 1 : CPU_SETSIZE - 1;
  if (get_integer(env, argv[0], "cpu", 0, max, &cpu) < 0) return NULL;

  char message[256];
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) < 0) {
    snprintf(message, sizeof message, "cannot read this process's CPU set: %s", strerror(errno));
    throw_coded(env, "AFFINITY", message);
    return NULL;
  }
  /* Outside the set we were given (taskset, a cgroup cpuset, an offline CPU) the kernel refuses with EINVAL; say why. */
  if (!CPU_ISSET((int)cpu, &allowed)) {
    char cpus[128];
    format_cpus(&allowed, cpus, sizeof cpus);
    snprintf(message, sizeof message, "CPU %d is not one this process may run on (allowed: %s)", (int)cpu, cpus);
    throw_coded(env, "AFFINITY", message);
    return NULL;
  }
  cpu_set_t target;
  CPU_ZERO(&target);
  CPU_SET((int)cpu, &target);
  /* This thread first: a thread it creates from now on starts pinned. */
  if (sched_setaffinity(0, sizeof target, &target) < 0) {
    snprintf(message, sizeof message, "cannot pin the process to CPU %d: %s", (int)cpu, strerror(errno));
    throw_coded(env, "AFFINITY", message);
    return NULL;
  }
  for (int pass = 0; pass < MAX_PASSES; pass++) {
    int changed;
    int err = pin_tasks(&target, &changed);
    if (err != 0) {
      snprintf(message, sizeof message, "cannot pin the process's threads to CPU %d: %s", (int)cpu, strerror(err));
      throw_coded(env, "AFFINITY", message);
      return NULL;
    }
    if (changed == 0) return NULL;
  }
  snprintf(message, sizeof message, "cannot pin the process to CPU %d: new threads kept appearing", (int)cpu);
  throw_coded(env, "AFFINITY", message);
  return NULL;
}

napi_status register_affinity(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setAffinity", NULL, SetAffinity, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

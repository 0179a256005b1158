/* shequ_plugin.h: the C ABI of shequd's native plugins (ABI 1.0).
 *
 * A plugin is a shared library exporting one function, SHEQU_PLUGIN_ENTRY_NAME, that returns a
 * pointer to a static descriptor. No C++ type crosses the boundary: strings are {ptr,len}
 * (UTF-8, not NUL-terminated), results are written into host-provided sinks, and errors are a
 * code plus a message written into a host-allocated buffer.
 *
 * Versioning (as PostgreSQL's PG_MODULE_MAGIC and SQLite's sqlite3_api_routines):
 *  - every struct starts with its size as the plugin was compiled; the host reads only the
 *    members that size covers, so members are only ever appended, never reordered or removed;
 *  - abi_major changes only when that rule is broken; the host refuses another major;
 *  - abi_minor grows when members are appended; a newer host treats missing members as absent.
 *
 * Threading: the host may call execute_job and invoke from several threads at once (up to the
 * plugin's max_concurrent_jobs), so they must be thread-safe. create runs first and destroy
 * last, each once, on one thread.
 *
 * Descriptor content (job types, checklists, ledger fields, signboards, ...) travels as one JSON
 * object: shequ.plugin.v1.Descriptor (proto/shequ/plugin/v1/plugin.proto) in protobuf's JSON
 * mapping. That keeps this ABI small while the protocol grows.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHEQU_PLUGIN_ABI_MAJOR 1
#define SHEQU_PLUGIN_ABI_MINOR 0
#define SHEQU_PLUGIN_ENTRY_NAME "shequ_plugin_entry"

#if defined(__GNUC__)
#define SHEQU_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SHEQU_PLUGIN_EXPORT
#endif

typedef struct shequ_str {
  const char* ptr;
  size_t len;
} shequ_str;

/* Result codes. A message accompanies every code but SHEQU_OK. */
typedef enum shequ_code {
  SHEQU_OK = 0,
  SHEQU_INVALID_INPUT = 1, /* the input is wrong: retrying will not help (job: an incident) */
  SHEQU_FAILED = 2,        /* failed this time: the job is retried with back-off */
  SHEQU_UNAVAILABLE = 3,   /* a system the plugin needs is down: retried */
  SHEQU_NOT_FOUND = 4,     /* unknown job type or operation */
  SHEQU_INTERNAL = 5       /* a bug in the plugin (an exception escaped, ...): retried */
} shequ_code;

/* Host-allocated buffer for an error message: the plugin copies at most `cap` bytes to `buf`
 * and sets `len`. The message is logged and stored with the job's history: never put personal
 * data (names, ID numbers, phones) in it. */
typedef struct shequ_error {
  char* buf;
  size_t cap;
  size_t len;
} shequ_error;

/* Where the plugin writes a result (JSON text); `append` may be called several times. */
typedef struct shequ_sink {
  void* ctx;
  void (*append)(void* ctx, const char* data, size_t len);
} shequ_sink;

enum { SHEQU_LOG_DEBUG = 0, SHEQU_LOG_INFO = 1, SHEQU_LOG_WARN = 2, SHEQU_LOG_ERROR = 3 };

/* What the host offers the plugin, given to create(). Append-only. */
typedef struct shequ_host {
  size_t size;
  uint32_t abi_major;
  uint32_t abi_minor;
  void* ctx;
  /* Goes to the daemon's log under the plugin's name. Never pass personal data. */
  void (*log)(void* ctx, int level, shequ_str message);
} shequ_host;

typedef struct shequ_job {
  size_t size;
  int64_t job_id; /* an idempotency key: a job may run twice */
  shequ_str type;
  shequ_str variables_json; /* the instance's variables, a JSON object */
  int64_t instance_id;
  shequ_str definition_id;
  shequ_str node_id;
  int32_t attempt;
  int32_t retries_left;
} shequ_job;

typedef struct shequ_invocation {
  size_t size;
  shequ_str operation;
  shequ_str input_json; /* a JSON object */
  shequ_str request_id;
  shequ_str caller_user;
  shequ_str caller_roles; /* comma-separated */
  shequ_str caller_unit;
} shequ_invocation;

/* The plugin's functions. Append-only; a member outside `size` is absent. */
typedef struct shequ_plugin_functions {
  size_t size;
  /* Creates the plugin's state, passed to every other call. May be null (no state). */
  shequ_code (*create)(const shequ_host* host, void** state, shequ_error* error);
  /* Runs one job; writes a JSON object of variables to `out`. */
  shequ_code (*execute_job)(void* state, const shequ_job* job, shequ_sink* out,
                            shequ_error* error);
  /* Runs a named operation; writes a JSON object to `out`. */
  shequ_code (*invoke)(void* state, const shequ_invocation* call, shequ_sink* out,
                       shequ_error* error);
  /* SHEQU_OK while the plugin can work. May be null (always healthy). */
  shequ_code (*health)(void* state, shequ_error* error);
  /* Releases the state. May be null. */
  void (*destroy)(void* state);
} shequ_plugin_functions;

typedef struct shequ_plugin_descriptor {
  size_t size;
  uint32_t abi_major;
  uint32_t abi_minor;
  shequ_str name;
  shequ_str version;
  shequ_str descriptor_json; /* shequ.plugin.v1.Descriptor as JSON */
  const shequ_plugin_functions* functions;
} shequ_plugin_descriptor;

/* The host's ABI version is passed so a plugin can refuse an older host (return null). */
typedef const shequ_plugin_descriptor* (*shequ_plugin_entry_fn)(uint32_t host_abi_major,
                                                                uint32_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* dns_threads.c with evdns_cancel_request called from the threads that started the
 * requests: each cancelled request is called back once, with DNS_ERR_CANCEL, on the
 * loop's thread. */
// test: evrs-only libevent 2.1 fails an assertion in request_finished, and 2.2.1 corrupts its heap, when requests are cancelled from another thread
// test: link event_core event_extra event_pthreads
// test: timeout 60
#define THREADS_CANCEL 1
#include "dns_threads.c"
